"""The stand-in's fake prefecture and TdT logic: checks like S2LOW's, messages like the ministry's."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import threading
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from lxml import etree

from ..archive import write_tar_gz
from ..builder import (
    FILE_SIGNATURES,
    Acte,
    Piece,
    acte_element,
    check_pieces,
    document_names,
    new_root,
    serialize,
    sub,
)
from ..codes import ACTES_NS, INSEE_NS, NSMAP, MessageKind, nature_abbreviation

NUMBER_REGEXP = re.compile(r"^([A-Z0-9][A-Z0-9_]{0,13})?[A-Z0-9]$")  # S2LOW ActesTransaction
MAX_BODY_BYTES = 160 * 1024 * 1024
_PARIS = ZoneInfo("Europe/Paris")
_LETTERS = (
    MessageKind.COURRIER_SIMPLE,
    MessageKind.DEMANDE_PIECE_COMPLEMENTAIRE,
    MessageKind.LETTRE_OBSERVATIONS,
)


@dataclass
class StandinConfig:
    """What the stand-in answers; change it between requests through ``state.config``."""

    outcome: str = "success"
    delay_seconds: float = 0.0
    fail_next: int = 0
    polls_before_outcome: int = 0
    siren: str = "213401722"
    departement: str = "034"
    classification_date: str = "2024-01-15"
    reception_date: str | None = None
    anomaly_nature: str = "002"
    anomaly_detail: str = (
        "ODT-VERIF-01 : Votre acte a été transmis avec une date de classification "
        "qui n'est pas à jour"
    )


@dataclass
class StandinTransaction:
    """One S2LOW transaction (type 1 act, 2–5 prefecture letters, 6 cancellation)."""

    id: int
    type: int
    status: int
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[tuple[str, str, bytes]] = field(default_factory=list)
    related_id: int | None = None
    return_xml: bytes | None = None
    message: str = ""
    polls: int = 0
    archive: bytes | None = None
    id_acte: str | None = None


class StandinState:
    """Transactions and configuration, shared by the handler threads under one lock."""

    def __init__(self, config: StandinConfig | None = None):
        self.config = config or StandinConfig()
        self.lock = threading.Lock()
        self.transactions: dict[int, StandinTransaction] = {}
        self.helios: dict[int, dict[str, object]] = {}
        self.next_id = 1
        self.requests: list[str] = []

    def new_id(self) -> int:
        identifier = self.next_id
        self.next_id += 1
        return identifier

    def today(self) -> dt.date:
        return dt.datetime.now(tz=_PARIS).date()

    def add_courrier(self, *, transaction_id: int, kind: MessageKind, text: str = "") -> int:
        """Make the prefecture write about an acknowledged act (2-1, 3-1 or 4-1).

        Returns the new transaction id; raises KeyError for an unknown or unacknowledged act.
        """
        if kind not in _LETTERS:
            raise ValueError(kind)
        with self.lock:
            acte = self.transactions[transaction_id]
            if acte.id_acte is None:
                raise KeyError(transaction_id)
            courrier = StandinTransaction(
                id=self.new_id(), type=kind.transaction or 2, status=7, related_id=acte.id
            )
            courrier.archive = prefecture_package(acte, kind, text, self.today(), self.config)
            self.transactions[courrier.id] = courrier
        return courrier.id


def classification_xml(date: str) -> bytes:
    """A small, schema-valid RetourClassification: the nine national level-1 matières."""
    root = new_root("RetourClassification")
    sub(root, "DateClassification", date)
    natures = sub(root, "NaturesActes")
    for code in range(1, 7):
        abbreviation = nature_abbreviation(code)
        nature = sub(natures, "NatureActe", CodeNatureActe=str(code), TypeAbrege=abbreviation)
        nature.set(f"{{{ACTES_NS}}}Libelle", abbreviation)
        sub(nature, "TypePJNatureActe", CodeTypePJ=f"99_{abbreviation}", Libelle="Document")
        sub(nature, "TypePJNatureActe", CodeTypePJ="41_RA", Libelle="Rapport")
    labels = [
        "Commande publique",
        "Urbanisme",
        "Domaine et patrimoine",
        "Fonction publique",
        "Institutions et vie politique",
        "Libertés publiques et pouvoirs de police",
        "Finances locales",
        "Domaines de compétences par thèmes",
        "Autres domaines de compétences",
    ]
    matieres = sub(root, "Matieres")
    for code, label in enumerate(labels, start=1):
        level1 = sub(matieres, "Matiere1", CodeMatiere=str(code), Libelle=label)
        sub(level1, "Matiere2", CodeMatiere="1", Libelle=f"{label} (général)")
    return serialize(root)


def check_acte_form(
    fields: dict[str, list[str]], files: list[tuple[str, str, bytes]], state: StandinState
) -> str | None:
    """S2LOW's refusals for actes_transac_create.php, in its order; None when acceptable."""

    def one(name: str) -> str:
        return (fields.get(name) or [""])[0]

    if not NUMBER_REGEXP.match(one("number")):
        return "Le numéro n'est pas correct"
    try:
        decision = dt.date.fromisoformat(one("decision_date"))
    except ValueError:
        return "La date de décision n'est pas correcte"
    if decision > state.today():
        return "La date de décision est une date dans le futur"
    subject = one("subject")
    if not subject or len(subject) > 499 or "\n" in subject or "\r" in subject:
        return "Objet de l'acte : l'objet doit faire de 1 à 499 caractères, sans retour chariot"
    if one("nature_code") not in {"1", "2", "3", "4", "5", "6"}:
        return "Nature de l'acte : valeur incorrecte"
    if not (one("classif1").isdigit() and one("classif2").isdigit()):
        return "Classification matières/sous-matières : valeur incorrecte"
    acte_files = [item for item in files if item[0] == "acte_pdf_file"]
    if not acte_files:
        return "Aucun fichier acte n'a été posté "
    if not one("type_acte"):
        return f"Erreur lors de la réception du fichier {acte_files[0][1]} : typologie absente"
    attachments = [item for item in files if item[0] == "acte_attachments[]"]
    if len(fields.get("type_pj[]", [])) < len(attachments):
        return "Erreur lors de la réception du fichier annexe : typologie absente"
    for _name, filename, content in acte_files + attachments:
        if not any(content.startswith(magic) for magic, _ext in FILE_SIGNATURES):
            return f"Erreur de validation du fichier de l'acte :\nLe fichier {filename} n'est pas au format PDF"
    for other in state.transactions.values():
        if other.type == 1 and (other.fields.get("number") or [""])[0] == one("number"):
            return (
                "Un acte portant le même numéro interne existe déjà dans la base de données.\n"
                "Il faut peut-être ajouter un suffixe au numéro."
            )
    return None


def acte_of(transaction: StandinTransaction) -> Acte:
    def one(name: str) -> str:
        return (transaction.fields.get(name) or [""])[0]

    pieces = [
        Piece(filename=name, content=content, type_pj=type_pj)
        for (field_name, name, content), type_pj in zip(
            transaction.files,
            [one("type_acte"), *transaction.fields.get("type_pj[]", [])],
            strict=False,
        )
        if field_name in ("acte_pdf_file", "acte_attachments[]")
    ]
    matieres = tuple(
        int(one(f"classif{level}")) for level in range(1, 6) if one(f"classif{level}").isdigit()
    )
    return Acte(
        number=one("number"),
        decision_date=dt.date.fromisoformat(one("decision_date")),
        nature=int(one("nature_code")),
        matieres=matieres,
        objet=one("subject"),
        classification_date=dt.date.fromisoformat("2000-01-01"),
        document=pieces[0],
        annexes=tuple(pieces[1:]),
        document_papier=one("document_papier") == "1",
    )


def outcome_xml(transaction: StandinTransaction, config: StandinConfig, today: dt.date) -> bytes:
    """The ARActe (success) or AnomalieActe (anomaly) the prefecture would return."""
    acte = acte_of(transaction)
    acte = dataclasses.replace(
        acte, classification_date=dt.date.fromisoformat(config.classification_date)
    )
    base = (
        f"{config.departement}-{config.siren}-{acte.decision_date:%Y%m%d}-{acte.number}-"
        f"{nature_abbreviation(acte.nature)}"
    )
    pieces = (acte.document, *acte.annexes)
    extensions = check_pieces(pieces, require_type=False)
    names = document_names(f"{base}-1-1", pieces, extensions)
    echo = acte_element("ActeRecu", acte, objet=acte.objet, names=names)
    reception = config.reception_date or today.isoformat()
    if config.outcome == "anomaly":
        root = new_root("AnomalieActe")
        sub(root, "Date", reception)
        sub(root, "Nature", config.anomaly_nature)
        sub(root, "Detail", config.anomaly_detail)
    else:
        root = new_root("ARActe", IDActe=base, DateReception=reception)
        transaction.id_acte = base
    root.append(echo)
    sub(root, "ClassificationDateVersionEnCours", config.classification_date)
    return serialize(root)


def prefecture_package(
    transaction: StandinTransaction,
    kind: MessageKind,
    text: str,
    today: dt.date,
    config: StandinConfig,
) -> bytes:
    """A prefecture → collectivité tar.gz (EnveloppeMISILLCL, message, letter PDF)."""
    id_acte = transaction.id_acte or ""
    base = f"{id_acte}-{kind.value}"
    letter_name = f"{base}_1.pdf"
    root = new_root(kind.root, IDActe=id_acte, DateCourrierPref=today.isoformat())
    if kind is MessageKind.DEMANDE_PIECE_COMPLEMENTAIRE:
        sub(root, "DescriptionPieces", text)
    elif kind is MessageKind.LETTRE_OBSERVATIONS:
        sub(root, "Motif", text)
    sub(sub(root, "Document"), "NomFichier", letter_name)
    envelope = etree.Element(f"{{{ACTES_NS}}}EnveloppeMISILLCL", nsmap=NSMAP)
    sub(sub(envelope, "Emetteur"), "IDPref", Departement=config.departement)
    sub(sub(sub(envelope, "FormulairesEnvoyes"), "Formulaire"), "NomFichier", f"{base}_0.xml")
    sub(envelope, "Destinataire").set(f"{{{INSEE_NS}}}SIREN", config.siren)
    envelope_name = (
        f"TACT--PREF{config.departement}-{config.siren}-{today:%Y%m%d}-{transaction.id}.xml"
    )
    members = [
        (envelope_name, serialize(envelope)),
        (f"{base}_0.xml", serialize(root)),
        (letter_name, b"%PDF-1.4\n% lettre de la prefecture\n%%EOF\n"),
    ]
    return write_tar_gz(members=members, mtime=0)


def helios_xml(root_name: str, **values: object) -> bytes:
    root = etree.Element(root_name)
    for key, value in values.items():
        etree.SubElement(root, key).text = str(value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
