"""The Hélios rules that can be checked locally (codes in :data:`exports.pes.issues.RULES`).

:class:`RuleChecker` is fed by the reader as it streams through a file (header, each pièce,
each bordereau, each attachment, then the end) and keeps only what cross-checks need (seen
numbers, referenced IdUnique), so memory does not grow with the pièces. The key checks
(SIRET/SIREN, IBAN, RIB) are also used by the builder.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from .issues import RULES, PesIssue, clean_path
from .model import (
    AttachmentInfo,
    BordereauInfo,
    DomainHeader,
    Kind,
    PesEnvelope,
    PesHeader,
    PieceInfo,
    TiersInfo,
)
from .values import iban_ok, int_or_none, rib_ok, siren_ok, siret_ok

# --- the checker ------------------------------------------------------------------------------

_BANK_REQUIRED = {"03", "05"}
_BANK_FORBIDDEN = {"01", "02", "04", "07", "08", "09", "11"}
_PJ_DOMAIN_TYPES = {
    "01": {"003", "004", "005", "006"},
    "02": {"002", "006", "007", "008", "010", "011", "014"},
    "04": {"001", "012", "013"},
    "06": {"009"},
}
_KIND_LABEL = {"depense": "PES_DepenseAller", "recette": "PES_RecetteAller"}


class RuleChecker:
    """Collects the Hélios rule issues of one file. ``for_sending`` makes DEMAT_UNSIGNED an
    error (before signing it is the expected state)."""

    def __init__(self, *, for_sending: bool = False):
        self.issues: list[PesIssue] = []
        self._for_sending = for_sending
        self._pieces_seen: dict[tuple[str, str | None], set[str]] = defaultdict(set)
        self._bordereaux_seen: dict[tuple[str, str | None, str | None], list[int]] = defaultdict(
            list
        )
        self._pj_refs: dict[str, tuple[str | None, int | None, str]] = {}
        self._pj_ids: set[str] = set()
        self._domains: dict[str, DomainHeader] = {}
        self._bordereaux: list[tuple[BordereauInfo, str]] = []

    # -- recording ------------------------------------------------------------------------------

    def add(
        self, code: str, message: str, *, line: int | None, path: str | None, **params: Any
    ) -> None:
        severity = RULES[code].severity
        if code == "DEMAT_UNSIGNED" and self._for_sending:
            severity = "error"
        self.issues.append(
            PesIssue(
                code=code,
                message=message,
                severity=severity,
                line=line,
                path=clean_path(path),
                params=params,
            )
        )

    # -- header -------------------------------------------------------------------------------

    def check_prolog(self, *, declared_encoding: str | None, encoding: str) -> None:
        if encoding != "ISO-8859-1":
            self.add(
                "ENCODING",
                _("The file is declared in %(encoding)s; Hélios expects ISO-8859-1.")
                % {"encoding": declared_encoding or "UTF-8"},
                line=1,
                path=None,
                encoding=declared_encoding,
            )

    def check_envelope(self, envelope: PesEnvelope, *, line: int | None) -> None:
        if envelope.version != "2":
            self.add(
                "ENV_VERSION",
                _("Enveloppe/Parametres/Version is %(value)s; it must be 2.")
                % {"value": envelope.version},
                line=line,
                path="/PES_Aller/Enveloppe/Parametres/Version",
                value=envelope.version,
            )

    def check_header(self, header: PesHeader, *, line: int | None) -> None:
        if header.id_coll and not siret_ok(header.id_coll):
            self.add(
                "COLL_SIRET",
                _("EnTetePES/IdColl %(value)s is not a valid SIRET (wrong key).")
                % {"value": header.id_coll},
                line=line,
                path="/PES_Aller/EnTetePES/IdColl",
                value=header.id_coll,
            )

    def check_domain_header(self, kind: Kind, domain: DomainHeader, *, line: int | None) -> None:
        self._domains[kind] = domain
        element = "EnTeteDepense" if kind == "depense" else "EnTeteRecette"
        if domain.id_ver != "2":
            self.add(
                "IDVER",
                _("%(element)s/IdVer is %(value)s; Hélios rejects the flow unless it is 2.")
                % {"element": element, "value": domain.id_ver},
                line=line,
                path=f"/PES_Aller/{_KIND_LABEL[kind]}/{element}/IdVer",
                value=domain.id_ver,
            )

    def check_pj_header(self, id_ver: str | None, *, line: int | None) -> None:
        if id_ver != "1":
            self.add(
                "PJ_IDVER",
                _("EnTetePES_PJ/IdVer is %(value)s; it must be 1.") % {"value": id_ver},
                line=line,
                path="/PES_Aller/PES_PJ/EnTetePES_PJ/IdVer",
                value=id_ver,
            )

    # -- pièces ---------------------------------------------------------------------------------

    def check_piece(self, bordereau: BordereauInfo, piece: PieceInfo, *, path: str) -> None:
        kind = bordereau.kind
        if piece.id_pce:
            seen = self._pieces_seen[(kind, bordereau.exercice)]
            if piece.id_pce in seen:
                self.add(
                    "PIECE_DUPLICATE",
                    _("Pièce number %(number)s appears twice for the exercice %(year)s.")
                    % {"number": piece.id_pce, "year": bordereau.exercice},
                    line=piece.line,
                    path=path,
                    number=piece.id_pce,
                )
            seen.add(piece.id_pce)
        line_ids: set[str] = set()
        for index, line in enumerate(piece.lines, start=1):
            line_path = f"{path}/LigneDePiece[{index}]"
            if line.id_ligne:
                if line.id_ligne in line_ids:
                    self.add(
                        "LINE_DUPLICATE",
                        _("Line number %(number)s appears twice in pièce %(piece)s.")
                        % {"number": line.id_ligne, "piece": piece.id_pce},
                        line=line.line,
                        path=line_path,
                        number=line.id_ligne,
                    )
                line_ids.add(line.id_ligne)
            for position, tiers in enumerate(line.tiers, start=1):
                tiers_path = (
                    f"{line_path}/Tiers" if kind == "depense" else f"{line_path}/Tiers[{position}]"
                )
                self._check_tiers(tiers, kind=kind, line=line.line, path=tiers_path)
                if kind == "depense":
                    self._check_payment(tiers, line.mod_regl, line=line.line, path=tiers_path)
            for ref in line.pj_refs:
                self._record_pj_ref(ref.id_unique, ref.support, line.line, line_path)
        for ref in piece.pj_refs:
            self._record_pj_ref(ref.id_unique, ref.support, piece.line, path)

    def _check_tiers(self, tiers: TiersInfo, *, kind: Kind, line: int | None, path: str) -> None:
        person = tiers.cat_tiers == "01"
        if person and (not tiers.civilite or not tiers.prenom):
            self.add(
                "TIERS_PERSON",
                _(
                    "Tiers %(name)s is a natural person (CatTiers 01): Civilite and Prenom are "
                    "required."
                )
                % {"name": tiers.nom},
                line=line,
                path=f"{path}/InfoTiers",
            )
        elif not person and kind == "depense" and (tiers.civilite or tiers.prenom):
            self.add(
                "TIERS_PERSON",
                _(
                    "Tiers %(name)s is not a natural person (CatTiers %(cat)s): Civilite and "
                    "Prenom must be left out."
                )
                % {"name": tiers.nom, "cat": tiers.cat_tiers},
                line=line,
                path=f"{path}/InfoTiers",
            )
        if bool(tiers.id_tiers) != bool(tiers.nat_id_tiers):
            self.add(
                "TIERS_ID_PAIR",
                _("Tiers %(name)s: IdTiers and NatIdTiers go together.") % {"name": tiers.nom},
                line=line,
                path=f"{path}/InfoTiers",
            )
        elif tiers.id_tiers and (
            (tiers.nat_id_tiers == "01" and not siret_ok(tiers.id_tiers))
            or (tiers.nat_id_tiers == "02" and not siren_ok(tiers.id_tiers))
        ):
            self.add(
                "TIERS_ID_KEY",
                _("Tiers %(name)s: %(value)s is not a valid %(kind)s.")
                % {
                    "name": tiers.nom,
                    "value": tiers.id_tiers,
                    "kind": "SIRET" if tiers.nat_id_tiers == "01" else "SIREN",
                },
                line=line,
                path=f"{path}/InfoTiers/IdTiers",
                value=tiers.id_tiers,
            )
        if tiers.cp is not None and not (len(tiers.cp) == 5 and tiers.cp.isdigit()):
            self.add(
                "ADDRESS_CP",
                _("Postal code %(value)s must be 5 digits (99999 abroad).") % {"value": tiers.cp},
                line=line,
                path=f"{path}/Adresse/CP",
                value=tiers.cp,
            )
        if tiers.cod_res is not None:
            resident = tiers.cod_res.strip().lower() in ("0", "false")
            if resident and tiers.cod_pays not in (None, "100"):
                self.add(
                    "ADDRESS_COUNTRY",
                    _("A resident tiers (CodRes 0) takes no CodPays, or 100."),
                    line=line,
                    path=f"{path}/Adresse/CodPays",
                )
            elif not resident and not tiers.cod_pays:
                self.add(
                    "ADDRESS_COUNTRY",
                    _("A non-resident tiers (CodRes 1) needs CodPays."),
                    line=line,
                    path=f"{path}/Adresse",
                )
        if tiers.iban is not None and not iban_ok(tiers.iban):
            self.add(
                "BANK_IBAN",
                _("IBAN %(value)s is not valid (it must be uppercase with a correct key).")
                % {"value": tiers.iban},
                line=line,
                path=f"{path}/CpteBancaire/IBAN",
                value=tiers.iban,
            )
        if tiers.rib is not None:
            bank, branch, account, key = tiers.rib
            if not (bank and branch and account and key and rib_ok(bank, branch, account, key)):
                self.add(
                    "BANK_RIB",
                    _("The RIB %(value)s is incomplete or its key is wrong.")
                    % {"value": " ".join(x or "?" for x in tiers.rib)},
                    line=line,
                    path=f"{path}/CpteBancaire",
                )

    def _check_payment(
        self, tiers: TiersInfo, mod_regl: str | None, *, line: int | None, path: str
    ) -> None:
        if mod_regl in _BANK_REQUIRED and not tiers.has_bank_account:
            self.add(
                "BANK_REQUIRED",
                _("Payment mode %(mode)s (transfer) needs the bank account of tiers %(name)s.")
                % {"mode": mod_regl, "name": tiers.nom},
                line=line,
                path=path,
                mode=mod_regl,
            )
        elif mod_regl in _BANK_FORBIDDEN and tiers.has_bank_account:
            self.add(
                "BANK_FORBIDDEN",
                _("Payment mode %(mode)s takes no bank account, but tiers %(name)s has one.")
                % {"mode": mod_regl, "name": tiers.nom},
                line=line,
                path=f"{path}/CpteBancaire",
                mode=mod_regl,
            )

    def _record_pj_ref(
        self, id_unique: str | None, support: str | None, line: int | None, path: str
    ) -> None:
        if id_unique and id_unique not in self._pj_refs:
            self._pj_refs[id_unique] = (support, line, path)

    # -- bordereaux -----------------------------------------------------------------------------

    def check_bordereau(self, bordereau: BordereauInfo, *, path: str) -> None:
        self._bordereaux.append((bordereau, path))
        line = bordereau.line
        bloc = f"{path}/BlocBordereau"
        if bordereau.id_bord:
            number = int_or_none(bordereau.id_bord)
            key = (bordereau.kind, bordereau.exercice, bordereau.typ_bord)
            numbers = self._bordereaux_seen[key]
            if number is not None and number in numbers:
                self.add(
                    "BORD_DUPLICATE",
                    _(
                        "Bordereau number %(number)s appears twice for exercice %(year)s and type "
                        "%(type)s."
                    )
                    % {"number": number, "year": bordereau.exercice, "type": bordereau.typ_bord},
                    line=line,
                    path=f"{bloc}/IdBord",
                    number=number,
                )
            elif number is not None:
                numbers.append(number)
        if bordereau.nbr_pce is not None and bordereau.nbr_pce != bordereau.piece_count:
            self.add(
                "BORD_COUNT",
                _(
                    "Bordereau %(number)s declares %(declared)s pièces (NbrPce) but carries "
                    "%(counted)s."
                )
                % {
                    "number": bordereau.id_bord,
                    "declared": bordereau.nbr_pce,
                    "counted": bordereau.piece_count,
                },
                line=line,
                path=f"{bloc}/NbrPce",
                declared=bordereau.nbr_pce,
                counted=bordereau.piece_count,
            )
        if bordereau.mt_bord_ht is not None and bordereau.mt_bord_ht != bordereau.total_ht:
            element = "MtBordHT" if bordereau.kind == "depense" else "MtBordHt"
            self.add(
                "BORD_TOTAL_HT",
                _(
                    "Bordereau %(number)s: %(element)s is %(declared)s but its lines add up to "
                    "%(computed)s."
                )
                % {
                    "number": bordereau.id_bord,
                    "element": element,
                    "declared": bordereau.mt_bord_ht,
                    "computed": bordereau.total_ht,
                },
                line=line,
                path=f"{bloc}/{element}",
                declared=str(bordereau.mt_bord_ht),
                computed=str(bordereau.total_ht),
            )
        declared_tva = bordereau.mt_bord_tva or Decimal(0)
        if declared_tva != bordereau.total_tva:
            self.add(
                "BORD_TOTAL_TVA",
                _(
                    "Bordereau %(number)s: MtBordTVA is %(declared)s but the VAT of its lines adds "
                    "up to %(computed)s."
                )
                % {
                    "number": bordereau.id_bord,
                    "declared": declared_tva,
                    "computed": bordereau.total_tva,
                },
                line=line,
                path=f"{bloc}/MtBordTVA",
                declared=str(declared_tva),
                computed=str(bordereau.total_tva),
            )
        domain = self._domains.get(bordereau.kind)
        ormc = bordereau.kind == "recette" and bordereau.typ_bord in ("06", "07")
        if (
            domain is not None
            and domain.info_dematerialisee
            and not ormc
            and not (bordereau.mt_cumul_annuel and bordereau.mt_cumul_annuel > 0)
        ):
            self.add(
                "BORD_CUMUL",
                _(
                    "Bordereau %(number)s: MtCumulAnnuel above 0 is required when the flow is "
                    "dematerialised (InfoDematerialisee = 1)."
                )
                % {"number": bordereau.id_bord},
                line=line,
                path=f"{bloc}/MtCumulAnnuel",
            )
        exercice = int_or_none(bordereau.exercice)
        if bordereau.date_emission and exercice is not None:
            if bordereau.kind == "recette" and bordereau.date_emission < date(1900, 1, 1):
                self.add(
                    "BORD_DATE",
                    _("Bordereau %(number)s: DteBordEm is before 1900-01-01.")
                    % {"number": bordereau.id_bord},
                    line=line,
                    path=f"{bloc}/DteBordEm",
                )
            elif bordereau.date_emission.year not in (exercice, exercice + 1):
                self.add(
                    "BORD_EXERCICE",
                    _("Bordereau %(number)s is dated %(date)s, outside the exercice %(year)s.")
                    % {
                        "number": bordereau.id_bord,
                        "date": bordereau.date_emission.isoformat(),
                        "year": exercice,
                    },
                    line=line,
                    path=f"{bloc}/DteBordEm",
                )
        if bordereau.signed and (
            not bordereau.element_id or f"#{bordereau.element_id}" not in bordereau.signature_uris
        ):
            self.add(
                "SIG_REFERENCE",
                _("The signature of bordereau %(number)s does not reference the bordereau's Id.")
                % {"number": bordereau.id_bord},
                line=line,
                path=path,
            )

    # -- attachments ----------------------------------------------------------------------------

    def check_attachment(self, attachment: AttachmentInfo, *, path: str, gzip_ok: bool) -> None:
        line = attachment.line
        if attachment.id_unique:
            if attachment.id_unique in self._pj_ids:
                self.add(
                    "PJ_DUPLICATE",
                    _("Two attachments have the IdUnique %(value)s.")
                    % {"value": attachment.id_unique},
                    line=line,
                    path=f"{path}/IdUnique",
                    value=attachment.id_unique,
                )
            self._pj_ids.add(attachment.id_unique)
        if attachment.encoded_size == 0:
            self.add(
                "PJ_EMPTY",
                _("Attachment %(name)s is empty.") % {"name": attachment.nom_pj},
                line=line,
                path=f"{path}/Contenu/Fichier",
            )
        elif not gzip_ok:
            self.add(
                "PJ_NOT_GZIP",
                _("Attachment %(name)s is not the base64 encoding of a gzipped file.")
                % {"name": attachment.nom_pj},
                line=line,
                path=f"{path}/Contenu/Fichier",
            )
        if attachment.type_pj in ("012", "013") and not attachment.ref_compta:
            self.add(
                "PJ_REFCOMPTA",
                _("Attachment %(name)s of type %(type)s needs a RefCompta block.")
                % {"name": attachment.nom_pj, "type": attachment.type_pj},
                line=line,
                path=path,
            )
        for ref in attachment.ref_compta:
            allowed = _PJ_DOMAIN_TYPES.get(ref.domaine or "")
            if attachment.type_pj and allowed is not None and attachment.type_pj not in allowed:
                self.add(
                    "PJ_DOMAIN",
                    _(
                        "Attachment %(name)s: TypePJ %(type)s does not go with RefCompta Domaine "
                        "%(domain)s."
                    )
                    % {
                        "name": attachment.nom_pj,
                        "type": attachment.type_pj,
                        "domain": ref.domaine,
                    },
                    line=line,
                    path=f"{path}/RefCompta",
                )

    # -- end of file ----------------------------------------------------------------------------

    def finish(self, *, has_domain: bool, has_global_signature: bool) -> None:
        if not has_domain:
            self.add(
                "DOMAIN_MISSING",
                _("The flow carries no dépense, recette or attachment block."),
                line=None,
                path="/PES_Aller",
            )
        for bordereau, path in self._bordereaux:
            domain = self._domains.get(bordereau.kind)
            demat = bool(domain and domain.info_dematerialisee)
            signed = bordereau.signed or has_global_signature
            if demat and not signed:
                self.add(
                    "DEMAT_UNSIGNED",
                    _(
                        "Bordereau %(number)s is not signed although the flow is declared "
                        "dematerialised (InfoDematerialisee = 1)."
                    )
                    % {"number": bordereau.id_bord},
                    line=bordereau.line,
                    path=path,
                )
            elif bordereau.signed and not demat:
                self.add(
                    "DEMAT_SIGNED",
                    _(
                        "Bordereau %(number)s is signed but InfoDematerialisee is not 1: Hélios "
                        "rejects the flow."
                    )
                    % {"number": bordereau.id_bord},
                    line=bordereau.line,
                    path=path,
                )
        for numbers_key, numbers in self._bordereaux_seen.items():
            ordered = sorted(numbers)
            if ordered and ordered != list(range(ordered[0], ordered[0] + len(ordered))):
                kind, year, typ = numbers_key
                self.add(
                    "BORD_SEQUENCE",
                    _(
                        "The bordereau numbers of exercice %(year)s, type %(type)s are not "
                        "consecutive: %(numbers)s."
                    )
                    % {"year": year, "type": typ, "numbers": ", ".join(map(str, ordered))},
                    line=None,
                    path=f"/PES_Aller/{_KIND_LABEL[kind]}",
                )
        for id_unique, (support, line, path) in self._pj_refs.items():
            carried = id_unique in self._pj_ids
            if support in ("02", "03") and carried:
                self.add(
                    "PJREF_SUPPORT",
                    _(
                        "PJRef %(value)s declares a paper or CD-ROM support (%(support)s) but the "
                        "flow carries it."
                    )
                    % {"value": id_unique, "support": support},
                    line=line,
                    path=path,
                    value=id_unique,
                )
            elif support == "01" and not carried:
                self.add(
                    "PJREF_MISSING",
                    _(
                        "PJRef %(value)s points to an attachment that this flow does not carry "
                        "(it must be sent separately)."
                    )
                    % {"value": id_unique},
                    line=line,
                    path=path,
                    value=id_unique,
                )
