"""What the reader extracts from a PES_Aller (plain data, no Django models).

The classes use ``slots`` because an import of 100,000 pièces may keep them all; pass
``keep_pieces=False`` to :func:`exports.pes.reader.read_pes_aller` and consume pièces through
its callback to keep memory flat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from .issues import PesIssue

Kind = Literal["depense", "recette"]

#: Hélios domain blocks and their Bordereau element prefix used for default Ids.
DOMAIN_ELEMENTS: dict[Kind, str] = {"depense": "PES_DepenseAller", "recette": "PES_RecetteAller"}


def default_bordereau_id(kind: Kind, exercice: str | None, id_bord: str | None) -> str:
    """The Id given to a bordereau that has none when it is signed: an NCName (xs:ID) of ASCII
    letters, digits and "_", whatever the (unvalidated) values it is made from."""
    prefix = "BORD_DEP" if kind == "depense" else "BORD_REC"
    return f"{prefix}_{_id_part(exercice)}_{_id_part(id_bord)}"


def _id_part(value: str | None) -> str:
    cleaned = re.sub(r"[^0-9A-Za-z]", "", value or "")[:20]
    return cleaned or "X"


@dataclass(slots=True)
class PesEnvelope:
    version: str | None = None
    file_type: str | None = None  # TypFic, e.g. PESALR2
    file_name: str | None = None  # NomFic
    emitter_sigle: str | None = None
    emitter_address: str | None = None
    receiver_sigle: str | None = None
    receiver_address: str | None = None


@dataclass(slots=True)
class PesHeader:
    """EnTetePES: who the flow is for (one collectivité and budget per file)."""

    dte_str: date | None = None
    id_post: str | None = None
    libelle_poste: str | None = None
    id_coll: str | None = None
    fin_jur: str | None = None
    cod_col: str | None = None
    cod_bud: str | None = None
    libelle_col_bud: str | None = None


@dataclass(slots=True)
class DomainHeader:
    """EnTeteDepense / EnTeteRecette."""

    id_ver: str | None = None
    info_dematerialisee: bool | None = None  # None: element absent (Hélios reads it as 0)


@dataclass(slots=True)
class PjRefInfo:
    support: str | None
    id_unique: str | None
    nom_pj: str | None = None
    type_pj: str | None = None


@dataclass(slots=True)
class TiersInfo:
    nom: str | None = None
    prenom: str | None = None
    civilite: str | None = None
    compl_nom: str | None = None
    cat_tiers: str | None = None
    nat_jur: str | None = None
    typ_tiers: str | None = None  # recette only
    id_tiers: str | None = None
    nat_id_tiers: str | None = None
    ref_tiers: str | None = None
    adr1: str | None = None
    adr2: str | None = None
    adr3: str | None = None
    cp: str | None = None
    ville: str | None = None
    cod_res: str | None = None
    cod_pays: str | None = None
    iban: str | None = None
    bic: str | None = None
    rib: tuple[str | None, str | None, str | None, str | None] | None = None
    titulaire: str | None = None
    libelle_banque: str | None = None
    has_bank_account: bool = False


@dataclass(slots=True)
class LineInfo:
    """A ligne de pièce: one imputation (nature, fonction, opération) and its amounts."""

    id_ligne: str | None = None
    nature: str | None = None
    fonction: str | None = None
    operation: str | None = None
    montant_ht: Decimal | None = None
    montant_tva: Decimal | None = None
    libelle: str | None = None  # LibVir1 (dépense) or ObjLignePce (recette)
    libelle2: str | None = None  # LibVir2
    mod_regl: str | None = None
    cod_prod_loc: str | None = None  # recette
    tiers: list[TiersInfo] = field(default_factory=list)
    pj_refs: list[PjRefInfo] = field(default_factory=list)
    line: int | None = None

    @property
    def montant_ttc(self) -> Decimal:
        return (self.montant_ht or Decimal(0)) + (self.montant_tva or Decimal(0))


@dataclass(slots=True)
class PieceInfo:
    """A mandat (dépense) or a titre (recette)."""

    id_pce: str | None = None
    typ_pce: str | None = None
    nat_pce: str | None = None
    objet: str | None = None
    cod_serv: str | None = None
    date_echeance: date | None = None
    lines: list[LineInfo] = field(default_factory=list)
    pj_refs: list[PjRefInfo] = field(default_factory=list)
    line: int | None = None
    index: int = 0  # 1-based position in its bordereau

    @property
    def total_ht(self) -> Decimal:
        return sum((x.montant_ht or Decimal(0) for x in self.lines), Decimal(0))

    @property
    def total_tva(self) -> Decimal:
        return sum((x.montant_tva or Decimal(0) for x in self.lines), Decimal(0))

    @property
    def total_ttc(self) -> Decimal:
        return self.total_ht + self.total_tva

    @property
    def tiers(self) -> list[TiersInfo]:
        return [t for x in self.lines for t in x.tiers]


@dataclass(slots=True)
class BordereauInfo:
    kind: Kind
    index: int  # 1-based position in its domain block
    element_id: str | None = None  # the Id attribute
    exercice: str | None = None
    id_bord: str | None = None
    date_emission: date | None = None
    typ_bord: str | None = None
    nbr_pce: int | None = None  # as declared
    mt_cumul_annuel: Decimal | None = None
    mt_bord_ht: Decimal | None = None  # as declared (MtBordHT / MtBordHt)
    mt_bord_tva: Decimal | None = None  # as declared
    piece_count: int = 0  # as counted
    total_ht: Decimal = Decimal(0)  # sum of the lines
    total_tva: Decimal = Decimal(0)
    signed: bool = False
    signature_uris: list[str] = field(default_factory=list)
    line: int | None = None
    pieces: list[PieceInfo] = field(default_factory=list)

    @property
    def reference_id(self) -> str:
        """The Id the signature references (the attribute, or the one signing will give)."""
        return self.element_id or default_bordereau_id(self.kind, self.exercice, self.id_bord)

    @property
    def total_ttc(self) -> Decimal:
        return self.total_ht + self.total_tva


@dataclass(slots=True)
class RefComptaInfo:
    domaine: str | None = None
    exercice: str | None = None
    type_objet: str | None = None
    identifiant: str | None = None


@dataclass(slots=True)
class AttachmentInfo:
    """A PES_PJ/PJ. The content itself is not kept: ``encoded_size`` is the base64 length."""

    id_unique: str | None = None
    nom_pj: str | None = None
    type_pj: str | None = None
    description: str | None = None
    mime_type: str | None = None
    encoded_size: int = 0
    ref_compta: list[RefComptaInfo] = field(default_factory=list)
    line: int | None = None


@dataclass(slots=True)
class PesAllerFile:
    """A PES_Aller that passed the XSD and the Hélios rules (warnings may remain)."""

    envelope: PesEnvelope
    header: PesHeader
    schema_version: str
    encoding: str
    declared_encoding: str | None
    size: int
    depense: DomainHeader | None = None
    recette: DomainHeader | None = None
    pj_id_ver: str | None = None
    bordereaux: list[BordereauInfo] = field(default_factory=list)
    attachments: list[AttachmentInfo] = field(default_factory=list)
    has_global_signature: bool = False
    other_blocks: list[str] = field(default_factory=list)  # PES_Facture, PES_Marche (not read)
    warnings: list[PesIssue] = field(default_factory=list)

    @property
    def piece_count(self) -> int:
        return sum(b.piece_count for b in self.bordereaux)
