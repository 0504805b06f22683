"""Problems found in a PES file, and the catalogue of their codes.

Each problem is a :class:`PesIssue`: a stable code (what the interface and the tests key on), a
translated message, the line and the element path when they are known, and a severity. The
codes of the Hélios rules are listed in :data:`RULES` with the DGFiP text they come from
(shared/standards/pes-v2/HELIOS_RULES.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class PesIssue:
    """One problem. ``message`` is translated when the issue is created (run under
    ``translation.override`` in background work); ``params`` keeps the raw values."""

    code: str
    message: str
    severity: Severity = "error"
    line: int | None = None
    path: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else ""
        if self.path:
            where = f"{where} {self.path}".strip()
        return (
            f"[{self.code}] {where}: {self.message}" if where else f"[{self.code}] {self.message}"
        )


def clean_path(path: str | None) -> str | None:
    """Drop the "[1]" of elements that occur once: noise for a reader of the message."""
    return re.sub(r"\[1\](?=/|$)", "", path) if path else path


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    severity: Severity
    source: str


#: Refusals of the file as a whole (raised before or instead of validation).
FILE_CODES = (
    "FILE_TOO_LARGE",
    "FILE_EMPTY",
    "FILE_UNREADABLE",
    "FILE_DTD",
    "FILE_ENCODING",
    "FILE_NOT_XML",
    "FILE_ROOT",
    "FILE_STRUCTURE",
)

#: Schema violation reported by libxml2 against the DGFiP XSD.
XSD = "XSD"

#: Rules of the Hélios « guichet XML » that can be checked without Hélios' own tables. The
#: severity is what Hélios does: "error" = the flow, bordereau or PJ is rejected; "warning" = a
#: recommendation, a check depending on data we do not have, or a state that is normal before
#: signing (DEMAT_UNSIGNED becomes an error with ``for_sending=True``).
RULES: dict[str, Rule] = {
    r.code: r
    for r in (
        Rule("ENCODING", "warning", "Hélios expects ISO-8859-1 (ack code ERREUR_ENCODING)"),
        Rule("ENV_VERSION", "warning", "Class_Enveloppe Version: « Doit être valorisé à 2 »"),
        Rule("COLL_SIRET", "warning", "EnTetePES/IdColl is a SIRET (ack code ERREUR_SIRET)"),
        Rule("DOMAIN_MISSING", "error", "a PES_Aller carries at least one domain block"),
        Rule("IDVER", "error", "EnTeteDepense/EnTeteRecette IdVer: « Mettre à 2. A défaut rejet »"),
        Rule("PJ_IDVER", "error", "EnTetePES_PJ/IdVer = 1"),
        Rule(
            "DEMAT_UNSIGNED", "warning", "InfoDematerialisee = 1 without signature: rejet du flux"
        ),
        Rule("DEMAT_SIGNED", "error", "InfoDematerialisee = 0 with a signature: rejet du flux"),
        Rule("SIG_REFERENCE", "error", "a bordereau signature references #<Bordereau/@Id>"),
        Rule("BORD_DUPLICATE", "error", "IdBord unique par exercice et type de bordereau"),
        Rule("BORD_SEQUENCE", "warning", "IdBord: « contrôle de séquentialité du numéro »"),
        Rule("BORD_COUNT", "error", "NbrPce: nombre total de pièces véhiculées par le bordereau"),
        Rule("BORD_TOTAL_HT", "error", "MtBordHT = sum of MtHT (ack code ERREUR_CUMUL_MONTANTS)"),
        Rule("BORD_TOTAL_TVA", "error", "MtBordTVA ⇔ MtTVA > 0 on a line (rejet du bordereau)"),
        Rule("BORD_CUMUL", "error", "MtCumulAnnuel > 0 required when InfoDematerialisee = 1"),
        Rule("BORD_EXERCICE", "warning", "DteBordEm falls in the exercice (or its extension)"),
        Rule("BORD_DATE", "error", "recette DteBordEm < 1900-01-01: rejet du bordereau"),
        Rule("PIECE_DUPLICATE", "error", "IdPce unique per exercice (ERREUR_DOUBLON_PIECE)"),
        Rule("LINE_DUPLICATE", "error", "IdLigne unique per pièce (ERREUR_DOUBLON_LIGNE)"),
        Rule("TIERS_PERSON", "error", "Civilite, Prenom required iff CatTiers = 01"),
        Rule("TIERS_ID_PAIR", "error", "NatIdTiers only with IdTiers, and the reverse"),
        Rule("TIERS_ID_KEY", "error", "IdTiers SIRET/SIREN: « la clé doit être valide »"),
        Rule("ADDRESS_CP", "error", "CP « numérique sur 5 caractères obligatoires »"),
        Rule("ADDRESS_COUNTRY", "error", "CodRes = 1 ⇒ CodPays; CodRes = 0 ⇒ no CodPays or 100"),
        Rule("BANK_IBAN", "error", "IBAN uppercase, complete and valid"),
        Rule("BANK_RIB", "error", "RIB: the 4 fields together and a correct key"),
        Rule("BANK_REQUIRED", "error", "ModRegl 03 and 05 require CpteBancaire"),
        Rule("BANK_FORBIDDEN", "error", "ModRegl 01, 02, 04, 07, 08, 09, 11: no RIB or IBAN"),
        Rule("PJREF_SUPPORT", "error", "PJRef Support 02/03 forbid a PJ block"),
        Rule("PJREF_MISSING", "warning", "a PJRef whose PJ is not carried in this flow"),
        Rule("PJ_DUPLICATE", "error", "PES_PJ IdUnique unique (ERREUR_DOUBLON_PJ)"),
        Rule("PJ_EMPTY", "error", "empty Fichier: rejet de la PJ"),
        Rule("PJ_NOT_GZIP", "error", "Fichier = base64 of the gzipped file"),
        Rule("PJ_REFCOMPTA", "error", "RefCompta required with TypePJ 012/013"),
        Rule("PJ_DOMAIN", "error", "RefCompta Domaine consistent with TypePJ"),
    )
}
