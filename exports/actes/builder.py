"""Building the @ctes transmission of an act (message 1-1) as a tar.gz, from plain data.

Every builder is a pure function: it checks the data against the rules the prefecture and the
TdTs enforce (standards/README.md §1.6), writes the envelope and message in ISO-8859-1, names
the documents per the convention, validates both XMLs against the vendored XSD and only then
returns the archive. Nothing is returned half-checked: any refusal raises InvalidActesData.
The other messages a collectivité sends (answers, cancellation, classification request) are in
``responses.py`` and share the packaging below.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from lxml import etree

from deliberations.enums import ACT_NUMBER_RE
from deliberations.validators import validate_departement, validate_siren

from .archive import MAX_TRANSMISSION_BYTES, MEGABYTE, write_tar_gz
from .codes import ACTES_NS, ID_ACTE_RE, INSEE_NS, NSMAP, MessageKind, nature_abbreviation
from .exceptions import InvalidActesData
from .schema import check_against_schema
from .text import prepare_objet, to_latin1

_A = f"{{{ACTES_NS}}}"
# The XSD pattern of actes:Email.
EMAIL_RE = re.compile(
    r"^[_a-zA-Z0-9\-]+(\.[_a-zA-Z0-9\-]+)*@[a-zA-Z0-9\-]+(\.[a-zA-Z0-9\-]+)*\.[a-zA-Z]{2,6}$"
)
# CodeTypePJ as the prefectures issue them (99_DE, 11_AE, CO_DE…).
TYPE_PJ_RE = re.compile(r"^[0-9A-Z]{2}_[0-9A-Z]{2}$")
#: Leading bytes of the formats the prefecture accepts, and the extension they get.
FILE_SIGNATURES = ((b"%PDF-", "pdf"), (b"\xff\xd8\xff", "jpg"), (b"\x89PNG\r\n\x1a\n", "png"))


@dataclass(frozen=True)
class Referent:
    """The contact person named in the envelope (optional)."""

    name: str = ""
    telephone: str = ""
    email: str = ""


@dataclass(frozen=True)
class Collectivite:
    """The sender as registered with the prefecture and the TdT.

    ``nature`` is the 2-digit code of the type of collectivité given at registration (IDCL
    Nature, e.g. ``31``); ``return_emails`` are the AdressesRetour (at least one).
    """

    siren: str
    departement: str
    arrondissement: int
    nature: str
    return_emails: tuple[str, ...]
    referent: Referent | None = None


@dataclass(frozen=True)
class Piece:
    """One document: the act, an annex or a document answering the prefecture.

    ``filename`` is the user's name for it (used in messages and S2LOW uploads; the archive
    name follows the convention). ``type_pj`` is the CodeTypePJ from the RetourClassification.
    """

    filename: str
    content: bytes
    type_pj: str = ""


@dataclass(frozen=True)
class Acte:
    """What the prefecture needs to know about an act (the Acte message, 1-1)."""

    number: str
    decision_date: dt.date
    nature: int
    matieres: tuple[int, ...]
    objet: str
    classification_date: dt.date
    document: Piece
    annexes: tuple[Piece, ...] = ()
    previous_id_acte: str | None = None
    document_papier: bool = False


@dataclass(frozen=True)
class Transmission:
    """A ready archive and what is in it (members in archive order: envelope, message, files)."""

    kind: MessageKind
    archive_name: str
    archive: bytes
    envelope_name: str
    message_name: str
    members: tuple[tuple[str, bytes], ...] = field(repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.archive).hexdigest()

    @property
    def document_names(self) -> tuple[str, ...]:
        return tuple(name for name, _content in self.members[2:])

    def member(self, name: str) -> bytes:
        return dict(self.members)[name]


def refuse(message: str, *, code: str, field_name: str | None = None) -> InvalidActesData:
    return InvalidActesData(message, code=code, field=field_name)


def check_collectivite(collectivite: Collectivite) -> None:
    """Refuse sender data the envelope schema or the prefecture would reject."""
    try:
        validate_siren(collectivite.siren)
        validate_departement(collectivite.departement)
    except ValidationError as exc:
        raise refuse(" ".join(exc.messages), code="collectivite") from exc
    if not (isinstance(collectivite.arrondissement, int) and 0 <= collectivite.arrondissement <= 9):
        raise refuse(
            _(
                "Set the collectivité's arrondissement to one digit (0 to 9), as registered with the prefecture."
            ),
            code="arrondissement",
        )
    if not re.fullmatch(r"[0-9]{2}", collectivite.nature or ""):
        raise refuse(
            _("Set the collectivité nature code to the two digits registered with the prefecture."),
            code="collectivite_nature",
        )
    if not collectivite.return_emails:
        raise refuse(_("Give at least one return e-mail address."), code="return_emails")
    emails = list(collectivite.return_emails)
    if collectivite.referent is not None and collectivite.referent.email:
        emails.append(collectivite.referent.email)
    for email in emails:
        if not EMAIL_RE.match(email):
            raise refuse(
                _(
                    "%(email)s is not an e-mail address the ACTES format accepts: correct it in the collectivité settings."
                )
                % {"email": email},
                code="email",
            )


def check_id_acte(id_acte: str, *, siren: str | None = None) -> None:
    """Refuse an IDActe that is malformed or, given ``siren``, belongs to someone else."""
    if not ID_ACTE_RE.match(id_acte or ""):
        raise refuse(
            _(
                "%(value)s is not an act identifier given by the prefecture (IDActe): copy it from the act's acknowledgement."
            )
            % {"value": id_acte},
            code="id_acte",
        )
    if siren is not None and id_acte.split("-")[1] != siren:
        raise refuse(
            _(
                "The act %(value)s belongs to another collectivité (SIREN): check which act you are answering about."
            )
            % {"value": id_acte},
            code="id_acte_siren",
        )


def check_pieces(
    pieces: Sequence[Piece],
    *,
    require_type: bool,
    allowed_types: Collection[str] | None = None,
    xml_allowed_first: bool = False,
) -> list[str]:
    """Return the extension of each piece; refuse unknown formats, bad types, oversize."""
    extensions = []
    for index, piece in enumerate(pieces):
        if piece.type_pj or require_type:
            if not TYPE_PJ_RE.match(piece.type_pj):
                raise refuse(
                    _(
                        "The document type (type de pièce) of %(name)s is missing or malformed: "
                        "choose one from the prefecture's classification, such as 99_DE."
                    )
                    % {"name": piece.filename},
                    code="type_pj",
                )
            if allowed_types is not None and piece.type_pj not in allowed_types:
                raise refuse(
                    _(
                        "The document type %(code)s of %(name)s is not allowed for this nature "
                        "of act by the current classification."
                    )
                    % {"code": piece.type_pj, "name": piece.filename},
                    code="type_pj_not_allowed",
                )
        extension = next(
            (ext for magic, ext in FILE_SIGNATURES if piece.content.startswith(magic)), None
        )
        if extension is None and xml_allowed_first and index == 0:
            extension = "xml" if piece.content.lstrip()[:5] == b"<?xml" else None
        if extension is None:
            raise refuse(
                _(
                    "%(name)s is not a PDF, JPEG or PNG file. The prefecture accepts only these "
                    "formats: convert it to PDF and try again."
                )
                % {"name": piece.filename},
                code="file_type",
            )
        extensions.append(extension)
    total = sum(len(piece.content) for piece in pieces)
    if total > MAX_TRANSMISSION_BYTES:
        raise refuse(
            _(
                "The documents weigh %(size)d MB together; the prefecture accepts at most "
                "%(limit)d MB per transmission. Compress or split the annexes."
            )
            % {"size": -(-total // MEGABYTE), "limit": MAX_TRANSMISSION_BYTES // MEGABYTE},
            code="too_large",
        )
    return extensions


def document_names(base: str, pieces: Sequence[Piece], extensions: Sequence[str]) -> list[str]:
    """``[<CodeTypePJ>-]<base>_<k>.<ext>`` for each piece, k counting from 1 (0 is the XML)."""
    return [
        (f"{piece.type_pj}-" if piece.type_pj else "") + f"{base}_{serial}.{extension}"
        for serial, (piece, extension) in enumerate(zip(pieces, extensions, strict=True), 1)
    ]


def new_root(name: str, **attributes: str) -> etree._Element:
    root = etree.Element(f"{_A}{name}", nsmap=NSMAP)
    for key, value in attributes.items():
        root.set(f"{_A}{key}", value)
    return root


def sub(parent: etree._Element, name: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, f"{_A}{name}")
    for key, value in attrs.items():
        element.set(f"{_A}{key}", value)
    if text is not None:
        element.text = text
    return element


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="ISO-8859-1", pretty_print=True)


def acte_element(
    tag: str, acte: Acte, *, objet: str, names: Sequence[str], papier: str | None = None
) -> etree._Element:
    """The DonneesActe content (Acte message, or ActeRecu echo when ``tag`` says so)."""
    root = new_root(
        tag,
        Date=acte.decision_date.isoformat(),
        NumeroInterne=acte.number,
        CodeNatureActe=str(acte.nature),
    )
    for level, code in enumerate(acte.matieres, start=1):
        sub(root, f"CodeMatiere{level}", CodeMatiere=str(code))
    sub(root, "Objet", objet)
    if acte.previous_id_acte:
        sub(root, "PrecedentIdentifiantActe", IDActe=acte.previous_id_acte)
    sub(root, "ClassificationDateVersion", acte.classification_date.isoformat())
    sub(sub(root, "Document"), "NomFichier", names[0])
    annexes = sub(root, "Annexes", Nombre=str(len(names) - 1))
    for name in names[1:]:
        sub(sub(annexes, "Annexe"), "NomFichier", name)
    if papier is None:
        papier = "O" if acte.document_papier else "N"  # S2LOW's values (Oui / Non)
    sub(root, "DocumentPapier", papier)
    return root


def envelope_xml(collectivite: Collectivite, message_names: Sequence[str]) -> bytes:
    root = etree.Element(f"{_A}EnveloppeCLMISILL", nsmap=NSMAP)
    emitter = sub(root, "Emetteur")
    idcl = sub(
        emitter,
        "IDCL",
        Departement=collectivite.departement,
        Arrondissement=str(collectivite.arrondissement),
        Nature=collectivite.nature,
    )
    idcl.set(f"{{{INSEE_NS}}}SIREN", collectivite.siren)
    if collectivite.referent is not None:
        referent = sub(emitter, "Referent")
        person = collectivite.referent
        if person.name:
            sub(referent, "Nom", to_latin1(person.name, field="referent", label=_("referent")))
        if person.telephone:
            sub(
                referent,
                "Telephone",
                to_latin1(person.telephone, field="referent", label=_("referent")),
            )
        if person.email:
            sub(referent, "Email", person.email)
    addresses = sub(root, "AdressesRetour")
    for email in dict.fromkeys(collectivite.return_emails):  # keeps order, drops repeats
        sub(addresses, "Email", email)
    forms = sub(root, "FormulairesEnvoyes")
    for name in message_names:
        sub(sub(forms, "Formulaire"), "NomFichier", name)
    return serialize(root)


def package(
    *,
    kind: MessageKind,
    collectivite: Collectivite,
    sent_on: dt.date,
    serial: int,
    message_name: str,
    message: bytes,
    documents: Sequence[tuple[str, bytes]] = (),
) -> Transmission:
    """Validate envelope and message against the XSD, then write the archive."""
    if not (isinstance(serial, int) and serial >= 1):
        raise refuse(_("The envelope serial number starts at 1."), code="serial")
    envelope_name = f"EACT--{collectivite.siren}--{sent_on:%Y%m%d}-{serial}.xml"
    envelope = envelope_xml(collectivite, [message_name])
    check_against_schema(envelope, name=envelope_name)
    check_against_schema(message, name=message_name)
    members = ((envelope_name, envelope), (message_name, message), *documents)
    archive = write_tar_gz(members=members, mtime=calendar.timegm(sent_on.timetuple()))
    return Transmission(
        kind=kind,
        archive_name=envelope_name.removesuffix(".xml") + ".tar.gz",
        archive=archive,
        envelope_name=envelope_name,
        message_name=message_name,
        members=members,
    )


def check_acte(
    acte: Acte, *, today: dt.date, allowed_piece_types: Collection[str] | None = None
) -> tuple[str, list[str]]:
    """Apply the rules beyond the XSD to an act.

    Returns the objet as it will be sent and the file extension of each document (act first).
    Raises InvalidActesData. Shared by the archive builder and the S2LOW client.
    """
    if not ACT_NUMBER_RE.match(acte.number or ""):
        raise refuse(
            _(
                "%(value)s is not a valid act number for the prefecture: use 2 to 15 capital "
                "letters, digits or underscores, starting and ending with a letter or a digit."
            )
            % {"value": acte.number},
            code="act_number",
            field_name="number",
        )
    if acte.nature not in range(1, 7):
        raise refuse(_("Choose the nature of the act (a code from 1 to 6)."), code="nature")
    if not 2 <= len(acte.matieres) <= 5 or any(
        not isinstance(code, int) or code < 1 for code in acte.matieres
    ):
        raise refuse(
            _(
                "Classify the act with at least two levels of matière (for example 7.1), and "
                "at most five."
            ),
            code="matieres",
            field_name="matieres",
        )
    if acte.classification_date is None:
        raise refuse(
            _("Give the date of the classification used: import the prefecture's classification."),
            code="classification_date",
        )
    if acte.decision_date > today or acte.classification_date > today:
        raise refuse(
            _(
                "The decision date and the classification date cannot be in the future: check the act's dates."
            ),
            code="future_date",
        )
    if acte.previous_id_acte:
        check_id_acte(acte.previous_id_acte)
    extensions = check_pieces(
        (acte.document, *acte.annexes),
        require_type=True,
        allowed_types=allowed_piece_types,
        xml_allowed_first=acte.nature == 5,
    )
    return prepare_objet(objet=acte.objet), extensions


def build_acte_transmission(
    *,
    collectivite: Collectivite,
    acte: Acte,
    sent_on: dt.date,
    serial: int,
    allowed_piece_types: Collection[str] | None = None,
) -> Transmission:
    """Build the tar.gz transmitting ``acte`` (envelope, Acte message, act, annexes).

    ``sent_on`` is the sending date (envelope name, archive times); ``serial`` the per-day
    envelope number the caller keeps. ``allowed_piece_types`` (the CodeTypePJ of the current
    classification for this nature), when given, refuses other types. Pure function: no I/O.
    Raises InvalidActesData when any rule is broken.
    """
    check_collectivite(collectivite)
    objet, extensions = check_acte(acte, today=sent_on, allowed_piece_types=allowed_piece_types)
    pieces = (acte.document, *acte.annexes)
    base = (
        f"{collectivite.departement}-{collectivite.siren}-{acte.decision_date:%Y%m%d}-"
        f"{acte.number}-{nature_abbreviation(acte.nature)}-1-1"
    )
    names = document_names(base, pieces, extensions)
    message = serialize(acte_element("Acte", acte, objet=objet, names=names))
    return package(
        kind=MessageKind.ACTE,
        collectivite=collectivite,
        sent_on=sent_on,
        serial=serial,
        message_name=f"{base}_0.xml",
        message=message,
        documents=[(name, piece.content) for name, piece in zip(names, pieces, strict=True)],
    )
