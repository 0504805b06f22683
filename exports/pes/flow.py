"""The data a PES_Aller is built from (plain dataclasses, no Django model).

The classes created by the hundred thousand (pièces, lines, tiers, addresses) are mutable
``slots`` dataclasses: a frozen dataclass costs several times more to create, which showed in
the 100,000-pièce benchmark. Treat them as values all the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .model import Kind


@dataclass(frozen=True, slots=True)
class Header:
    """EnTetePES: the poste comptable and the collectivité's budget."""

    id_post: str
    id_coll: str  # SIRET
    cod_col: str
    cod_bud: str
    libelle_poste: str | None = None
    libelle_col_bud: str | None = None
    fin_jur: str | None = None


@dataclass(frozen=True, slots=True)
class Emitter:
    """Enveloppe/Emetteur (and the optional Recepteur)."""

    sigle: str
    adresse: str
    receiver_sigle: str | None = None
    receiver_adresse: str | None = None


@dataclass(slots=True)
class Address:
    adr2: str
    cp: str
    ville: str
    adr1: str | None = None
    adr3: str | None = None
    typ_adr: str = "1"
    cod_res: str = "0"
    cod_pays: str | None = None


@dataclass(slots=True)
class BankAccount:
    """Either an IBAN (with its BIC) or a French RIB (bank, branch, account, key)."""

    titulaire: str
    iban: str | None = None
    bic: str | None = None
    rib: tuple[str, str, str, str] | None = None
    libelle_banque: str | None = None


@dataclass(slots=True)
class Tiers:
    nom: str
    cat_tiers: str = "50"  # personne morale de droit privé
    nat_jur: str = "03"
    typ_tiers: str = "01"  # recette: débiteur principal
    civilite: str | None = None
    prenom: str | None = None
    compl_nom: str | None = None
    id_tiers: str | None = None
    nat_id_tiers: str | None = None
    ref_tiers: str | None = None
    address: Address | None = None
    bank: BankAccount | None = None


@dataclass(slots=True)
class PjRef:
    """A reference from a pièce or a line to an attachment (of this flow or sent apart)."""

    id_unique: str
    nom_pj: str | None = None
    type_pj: str | None = None
    support: str = "01"  # 01 électronique, 02 papier, 03 cédérom


@dataclass(slots=True)
class Ligne:
    """A ligne de pièce. ``libelle`` is LibVir1 (dépense) or ObjLignePce (recette)."""

    nature: str
    montant_ht: Decimal
    id_ligne: int = 1
    montant_tva: Decimal | None = None
    fonction: str | None = None
    operation: str | None = None
    libelle: str | None = None
    libelle2: str | None = None  # dépense LibVir2
    mod_regl: str | None = None  # dépense
    cod_prod_loc: str | None = None  # recette, required there
    majo: bool = False  # recette
    tva_intracom: bool = False
    tiers: Sequence[Tiers] = ()
    pj_refs: Sequence[PjRef] = ()


@dataclass(slots=True)
class Piece:
    """A mandat (dépense) or a titre (recette)."""

    id_pce: int
    lignes: Sequence[Ligne]
    typ_pce: str = "01"
    nat_pce: str = "01"
    objet: str | None = None
    cod_serv: str | None = None
    date_echeance: date | None = None
    pj_refs: Sequence[PjRef] = ()


@dataclass(frozen=True)
class Bordereau:
    """A bordereau of mandats or titres. ``pieces`` may be a generator (read once)."""

    id_bord: int
    exercice: int
    date_emission: date
    mt_cumul_annuel: Decimal
    pieces: Iterable[Piece]
    typ_bord: str = "01"
    element_id: str | None = None  # the Id the signature references; default BORD_DEP_...
    objet: str | None = None  # recette only


@dataclass(frozen=True, slots=True)
class RefCompta:
    domaine: str
    exercice: int
    type_objet: str
    identifiant: str | None = None


@dataclass(frozen=True)
class Attachment:
    """A PES_PJ/PJ. ``content`` is the original file; it is gzipped and base64-encoded."""

    id_unique: str
    nom_pj: str
    content: bytes
    description: str
    mime_type: str = "application/pdf"
    type_pj: str | None = None
    ref_compta: Sequence[RefCompta] = ()


@dataclass(frozen=True)
class PesFlow:
    """One PES_Aller: one collectivité and budget, its dépense and/or recette bordereaux."""

    header: Header
    emitter: Emitter
    file_name: str  # NomFic
    date_str: date  # DteStr
    depense: Iterable[Bordereau] = ()
    recette: Iterable[Bordereau] = ()
    attachments: Iterable[Attachment] = ()
    file_type: str = "PESALR2"
    flow_id: str | None = None  # PES_Aller/@Id
    dematerialised: bool = False  # InfoDematerialisee; signing sets it to 1


@dataclass(slots=True)
class BordereauSummary:
    kind: Kind
    element_id: str
    id_bord: int
    exercice: int
    piece_count: int
    total_ht: Decimal
    total_tva: Decimal


@dataclass(slots=True)
class BuildSummary:
    size: int = 0
    bordereaux: list[BordereauSummary] = field(default_factory=list)
    attachment_ids: list[str] = field(default_factory=list)
