"""The @ctes vocabulary: namespaces, message codes, act identifiers and file names.

Message codes (``T-F``: transaction, message) follow the cahier des charges as S2LOW encodes it
(``TypeMessageMetier``, libriciel/s2low) and standards/README.md §1.2. File names follow §1.2:
``[<CodeTypePJ>-]<DDD>-<SIREN>-<YYYYMMDD>-<NUMERO>-<NN>-<T>-<F>_<k>.<ext>``, where the date is the
decision date of the act, ``_0`` is the message XML and ``_1``, ``_2``… its documents.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass

from deliberations.enums import ActesNature

ACTES_NS = "http://www.interieur.gouv.fr/ACTES#v1.1-20040216"
INSEE_NS = "http://xml.insee.fr/schema"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {"actes": ACTES_NS, "insee": INSEE_NS, "xsi": XSI_NS}

#: The XSD pattern of actes:IDActe (``DDD-SIREN-YYYYMMDD-NUMERO-NN``).
ID_ACTE_RE = re.compile(
    r"^(?P<departement>[09][0-9][0-9AB])-(?P<siren>[0-9]{9})-(?P<date>[0-9]{8})-"
    r"(?P<number>[a-zA-Z0-9_]{1,15})-(?P<nature>[A-Z]{2})$"
)
# Message file names, incoming (lenient: return messages leave date, number and nature empty,
# and test platforms use short SIRENs such as 999-1234----7-2_1.xml).
_MESSAGE_NAME_RE = re.compile(
    r"^(?:(?P<type_pj>[0-9A-Z]{2}_[0-9A-Z]{2})-)?(?P<departement>[0-9]{2}[0-9AB])-"
    r"(?P<siren>[0-9]{1,9})-(?P<date>[0-9]{8})?-(?P<number>[a-zA-Z0-9_]{1,15})?-"
    r"(?P<nature>[A-Z]{2})?-(?P<transaction>[1-7])-(?P<message>[1-5])(?:_(?P<serial>[0-9]+))?"
    r"(?:\.(?P<extension>[A-Za-z0-9]+))?$"
)


class MessageKind(enum.Enum):
    """Every @ctes business message, valued by its ``T-F`` code, with its XML root name."""

    ACTE = "1-1"
    AR_ACTE = "1-2"
    ANOMALIE_ACTE = "1-3"
    COURRIER_SIMPLE = "2-1"
    REPONSE_COURRIER_SIMPLE = "2-2"
    DEMANDE_PIECE_COMPLEMENTAIRE = "3-1"
    AR_DEMANDE_PIECE_COMPLEMENTAIRE = "3-2"
    REFUS_PIECE_COMPLEMENTAIRE = "3-3"
    PIECE_COMPLEMENTAIRE = "3-4"
    AR_PIECE_COMPLEMENTAIRE = "3-5"
    LETTRE_OBSERVATIONS = "4-1"
    AR_LETTRE_OBSERVATIONS = "4-2"
    REJET_LETTRE_OBSERVATIONS = "4-3"
    REPONSE_LETTRE_OBSERVATIONS = "4-4"
    AR_REPONSE_REJET_LETTRE_OBSERVATIONS = "4-5"
    DEFERE_TA = "5-1"
    ANNULATION = "6-1"
    AR_ANNULATION = "6-2"
    DEMANDE_CLASSIFICATION = "7-1"
    RETOUR_CLASSIFICATION = "7-2"
    REPONSE_CLASSIFICATION_SANS_CHANGEMENT = "7-3"
    #: Envelope-level error: it has no T-F code of its own.
    ANOMALIE_ENVELOPPE = "anomalie-enveloppe"

    @property
    def root(self) -> str:
        return _ROOTS[self]

    @property
    def transaction(self) -> int | None:
        return int(self.value[0]) if self.value[0].isdigit() else None

    @property
    def message(self) -> int | None:
        return int(self.value[2]) if self.value[0].isdigit() else None

    @classmethod
    def from_root(cls, root: str) -> MessageKind | None:
        return _BY_ROOT.get(root)


_ROOTS = {
    MessageKind.ACTE: "Acte",
    MessageKind.AR_ACTE: "ARActe",
    MessageKind.ANOMALIE_ACTE: "AnomalieActe",
    MessageKind.COURRIER_SIMPLE: "CourrierSimple",
    MessageKind.REPONSE_COURRIER_SIMPLE: "ReponseCourrierSimple",
    MessageKind.DEMANDE_PIECE_COMPLEMENTAIRE: "DemandePieceComplementaire",
    MessageKind.AR_DEMANDE_PIECE_COMPLEMENTAIRE: "ARDemandePieceComplementaire",
    MessageKind.REFUS_PIECE_COMPLEMENTAIRE: "RefusPieceComplementaire",
    MessageKind.PIECE_COMPLEMENTAIRE: "PieceComplementaire",
    MessageKind.AR_PIECE_COMPLEMENTAIRE: "ARPieceComplementaire",
    MessageKind.LETTRE_OBSERVATIONS: "LettreObservations",
    MessageKind.AR_LETTRE_OBSERVATIONS: "ARLettreObservations",
    MessageKind.REJET_LETTRE_OBSERVATIONS: "RejetLettreObservations",
    MessageKind.REPONSE_LETTRE_OBSERVATIONS: "ReponseLettreObservations",
    MessageKind.AR_REPONSE_REJET_LETTRE_OBSERVATIONS: "ARReponseRejetLettreObservations",
    MessageKind.DEFERE_TA: "DefereTA",
    MessageKind.ANNULATION: "Annulation",
    MessageKind.AR_ANNULATION: "ARAnnulation",
    MessageKind.DEMANDE_CLASSIFICATION: "DemandeClassification",
    MessageKind.RETOUR_CLASSIFICATION: "RetourClassification",
    MessageKind.REPONSE_CLASSIFICATION_SANS_CHANGEMENT: "ReponseClassificationSansChangement",
    MessageKind.ANOMALIE_ENVELOPPE: "AnomalieEnveloppe",
}
_BY_ROOT = {root: kind for kind, root in _ROOTS.items()}

_NATURE_BY_ABBREVIATION = {nature.abbreviation: nature for nature in ActesNature}


def parse_compact_date(value: str) -> dt.date | None:
    """``YYYYMMDD`` to a date; None when it is not a real date."""
    if not re.fullmatch(r"[0-9]{8}", value or ""):
        return None
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


def nature_abbreviation(nature: int) -> str:
    """``DE``, ``AR``… for a CodeNatureActe 1–6 (ValueError otherwise)."""
    return ActesNature(nature).abbreviation


def nature_from_abbreviation(abbreviation: str) -> ActesNature | None:
    return _NATURE_BY_ABBREVIATION.get(abbreviation)


@dataclass(frozen=True)
class IdActe:
    """The prefecture's identifier of a transmitted act, e.g. ``034-491011698-20171207-X_06-DE``."""

    departement: str
    siren: str
    decision_date: dt.date
    number: str
    nature: str

    def __str__(self) -> str:
        return (
            f"{self.departement}-{self.siren}-{self.decision_date:%Y%m%d}-{self.number}-"
            f"{self.nature}"
        )

    @property
    def base_name(self) -> str:
        """The file-name stem shared by every message about this act (without ``-T-F``)."""
        return str(self)


def parse_id_acte(value: str) -> IdActe | None:
    """Split an IDActe into its parts; None when it does not follow the XSD pattern."""
    match = ID_ACTE_RE.match(value or "")
    if match is None:
        return None
    decision_date = parse_compact_date(match["date"])
    if decision_date is None:
        return None
    return IdActe(
        departement=match["departement"],
        siren=match["siren"],
        decision_date=decision_date,
        number=match["number"],
        nature=match["nature"],
    )


@dataclass(frozen=True)
class MessageFileName:
    """What a conventional file name says (fields are None when left empty)."""

    type_pj: str | None
    departement: str
    siren: str
    decision_date: dt.date | None
    number: str | None
    nature: str | None
    transaction: int
    message: int
    serial: int | None
    extension: str | None

    @property
    def code(self) -> str:
        return f"{self.transaction}-{self.message}"


def parse_message_file_name(name: str) -> MessageFileName | None:
    """Read a conventional @ctes file name; None when the name does not follow the convention."""
    match = _MESSAGE_NAME_RE.match(name.rsplit("/", 1)[-1])
    if match is None:
        return None
    decision_date = parse_compact_date(match["date"]) if match["date"] else None
    if match["date"] and decision_date is None:
        return None
    return MessageFileName(
        type_pj=match["type_pj"],
        departement=match["departement"],
        siren=match["siren"],
        decision_date=decision_date,
        number=match["number"],
        nature=match["nature"],
        transaction=int(match["transaction"]),
        message=int(match["message"]),
        serial=int(match["serial"]) if match["serial"] else None,
        extension=match["extension"],
    )
