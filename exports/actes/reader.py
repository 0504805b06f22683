"""Reading what the prefecture (or a TdT) sends back: one XML message or a whole tar.gz.

Lenient on purpose: incoming messages are read even when they break the vendored XSD (the live
system sends AnomalieEnveloppe Nature 999, a Pastell fixture has ``Acte`` where ``ActeRecu`` is
expected); the XSD violations are kept in ``schema_errors`` for the journal instead of refusing a
legally meaningful acknowledgement. Strict on safety: XML goes through core.xml (no entities, no
DTD, no network, bounded size) and archives through ``archive.read_tar`` (no traversal, no links,
bounded members).

Every message is returned as a frozen dataclass carrying its ``kind`` (``MessageKind``: code such
as ``1-2`` and root name), the IDActe and the act number and decision date parsed from it (or,
without an IDActe, from the echoed act or the file name), its dates and texts, and the names of
the files it refers to.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypedDict

from django.utils.translation import gettext as _
from lxml import etree

from core.exceptions import InvalidInput
from core.xml import parse_xml
from deliberations.classification_file import Classification, parse_classification

from .archive import MAX_TRANSMISSION_BYTES, read_tar
from .codes import ACTES_NS, INSEE_NS, XSI_NS, MessageKind, parse_id_acte, parse_message_file_name
from .exceptions import InvalidActesMessage
from .schema import schema_errors

_A = f"{{{ACTES_NS}}}"
MAX_MESSAGE_BYTES = 20 * 1024 * 1024
_ENVELOPES = ("EnveloppeMISILLCL", "EnveloppeCLMISILL")


@dataclass(frozen=True, kw_only=True)
class ActeEcho:
    """The act as the prefecture echoes it back (ActeRecu) or as a collectivité sent it (Acte)."""

    number: str
    decision_date: dt.date | None
    nature: int | None
    matieres: tuple[int, ...]
    objet: str
    classification_date: dt.date | None
    document: str | None
    annexes: tuple[str, ...]
    document_papier: str | None
    previous_id_acte: str | None


@dataclass(frozen=True, kw_only=True)
class ActesMessage:
    """Common part of every message; the subclasses below add what their kind carries."""

    kind: MessageKind
    file_name: str
    id_acte: str | None
    act_number: str | None
    act_date: dt.date | None
    file_names: tuple[str, ...]
    schema_errors: tuple[str, ...]

    @property
    def code(self) -> str:
        return self.kind.value


@dataclass(frozen=True, kw_only=True)
class ActeMessage(ActesMessage):
    """1-1 Acte (a transmission read back, e.g. an archive written by another tool)."""

    acte: ActeEcho


@dataclass(frozen=True, kw_only=True)
class ARActe(ActesMessage):
    """1-2: the acknowledgement; ``date_reception`` is the legal date of transmission."""

    date_reception: dt.date | None
    classification_date_current: dt.date | None
    acte: ActeEcho | None


@dataclass(frozen=True, kw_only=True)
class AnomalieActe(ActesMessage):
    """1-3: the act was not registered; ``nature`` is the 3-digit code, ``detail`` the reason."""

    date: dt.date | None
    nature: str
    detail: str
    acte: ActeEcho | None
    classification_date_current: dt.date | None


@dataclass(frozen=True, kw_only=True)
class AnomalieEnveloppe(ActesMessage):
    """Envelope-level error (no T-F code). ``nature`` may be outside the XSD list (999)."""

    date: dt.date | None
    nature: str
    detail: str
    sender_siren: str | None
    forms: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class CourrierPrefecture(ActesMessage):
    """2-1 CourrierSimple, 3-1 DemandePieceComplementaire or 4-1 LettreObservations.

    ``text`` is the DescriptionPieces (3-1) or the Motif (4-1), empty for a courrier simple.
    """

    date_courrier: dt.date | None
    text: str
    document: str | None


@dataclass(frozen=True, kw_only=True)
class DefereTA(ActesMessage):
    """5-1: the prefect referred the act to the administrative court."""

    date_depot: dt.date | None
    nature_illegalite: str


@dataclass(frozen=True, kw_only=True)
class ARAnnulation(ActesMessage):
    """6-2: the cancellation of the transmission is acknowledged."""

    date_reception: dt.date | None


@dataclass(frozen=True, kw_only=True)
class ARReponse(ActesMessage):
    """3-5 ARPieceComplementaire or 4-5 ARReponseRejetLettreObservations."""

    date_reception: dt.date | None
    date_courrier: dt.date | None


@dataclass(frozen=True, kw_only=True)
class RetourClassification(ActesMessage):
    """7-2: the prefecture's classification (date, matières, types de pièce per nature)."""

    classification: Classification

    @property
    def classification_date(self) -> dt.date:
        return self.classification.version_date


@dataclass(frozen=True, kw_only=True)
class ClassificationSansChangement(ActesMessage):
    """7-3: the classification in use is current."""

    classification_date: dt.date | None


@dataclass(frozen=True, kw_only=True)
class ReponseCollectivite(ActesMessage):
    """A collectivité's own message read back (2-2, 3-2…3-4, 4-2…4-4, 6-1, 7-1)."""

    date_courrier: dt.date | None


@dataclass(frozen=True)
class Envelope:
    """The envelope of a package. ``emitter`` is PREFddd, SPREFdddA or SGARddd for returns."""

    file_name: str
    root: str
    emitter: str | None
    siren: str | None
    forms: tuple[str, ...]
    schema_errors: tuple[str, ...]


@dataclass(frozen=True)
class IncomingPackage:
    """Everything read from one file: envelope (if any), messages and the other files."""

    envelope: Envelope | None
    messages: tuple[ActesMessage, ...]
    files: tuple[tuple[str, bytes], ...]

    def file(self, name: str) -> bytes | None:
        return dict(self.files).get(name)


def _attr(element: etree._Element | None, name: str) -> str | None:
    if element is None:
        return None
    value = element.get(f"{_A}{name}")
    if value is None:
        value = element.get(name)  # some writers leave attributes unqualified
    return value.strip() if value is not None else None


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "").strip()[:10])
    except ValueError:
        return None


def _text(element: etree._Element, path: str) -> str:
    return (element.findtext(path.replace("a:", _A)) or "").strip()


def _names(element: etree._Element) -> tuple[str, ...]:
    names = ((node.text or "").strip() for node in element.iter(f"{_A}NomFichier"))
    return tuple(dict.fromkeys(names))  # a file echoed twice is still one file


def _echo(element: etree._Element) -> ActeEcho:
    matieres = []
    for level in range(1, 6):  # a path: stop at the first missing level
        code = _attr(element.find(f"{_A}CodeMatiere{level}"), "CodeMatiere")
        if not (code and code.isdigit()):
            break
        matieres.append(int(code))
    nature = _attr(element, "CodeNatureActe") or ""
    document = element.find(f"{_A}Document/{_A}NomFichier")
    papier = element.find(f"{_A}DocumentPapier")
    return ActeEcho(
        number=_attr(element, "NumeroInterne") or "",
        decision_date=_date(_attr(element, "Date")),
        nature=int(nature) if nature.isdigit() else None,
        matieres=tuple(matieres),
        objet=_text(element, "a:Objet"),
        classification_date=_date(_text(element, "a:ClassificationDateVersion")),
        document=(document.text or "").strip() if document is not None else None,
        annexes=tuple(
            (node.text or "").strip()
            for node in element.iterfind(f"{_A}Annexes/{_A}Annexe/{_A}NomFichier")
        ),
        document_papier=(
            None
            if papier is None or papier.get(f"{{{XSI_NS}}}nil") == "true"
            else (papier.text or "").strip()
        ),
        previous_id_acte=_attr(element.find(f"{_A}PrecedentIdentifiantActe"), "IDActe"),
    )


def _emitter(root: etree._Element) -> str | None:
    emitter = root.find(f"{_A}Emetteur")
    if emitter is None or len(emitter) == 0:
        return None
    first = emitter[0]
    departement = _attr(first, "Departement") or ""
    tag = etree.QName(first).localname
    if tag == "IDPref":
        return f"PREF{departement}"
    if tag == "IDSousPref":
        return f"SPREF{departement}{_attr(first, 'Arrondissement') or ''}"
    if tag == "IDSGAR":
        return f"SGAR{departement}"
    return None


def _envelope(root: etree._Element, name: str, errors: tuple[str, ...]) -> Envelope:
    siren_holder = root.find(f"{_A}Destinataire")
    if siren_holder is None:
        siren_holder = root.find(f"{_A}Emetteur/{_A}IDCL")
    siren = siren_holder.get(f"{{{INSEE_NS}}}SIREN") if siren_holder is not None else None
    forms = tuple(
        (node.text or "").strip()
        for node in root.iterfind(f"{_A}FormulairesEnvoyes/{_A}Formulaire/{_A}NomFichier")
    )
    return Envelope(
        file_name=name,
        root=etree.QName(root).localname,
        emitter=_emitter(root),
        siren=siren,
        forms=forms,
        schema_errors=errors,
    )


def _parse(content: bytes, name: str) -> tuple[etree._Element, str, tuple[str, ...]]:
    try:
        root = parse_xml(content, max_bytes=MAX_MESSAGE_BYTES).getroot()
    except InvalidInput as exc:
        raise InvalidActesMessage(
            _("%(name)s cannot be read: %(reason)s")
            % {"name": name or _("the file"), "reason": exc},
            code="unreadable_message",
        ) from exc
    qname = etree.QName(root)
    if qname.namespace != ACTES_NS:
        raise InvalidActesMessage(
            _(
                "%(name)s is not an @ctes message (its root element is %(root)s): import a file received from the prefecture."
            )
            % {"name": name or _("the file"), "root": qname.localname},
            code="not_actes",
        )
    return root, qname.localname, schema_errors(root)


class _Common(TypedDict):
    kind: MessageKind
    file_name: str
    id_acte: str | None
    act_number: str | None
    act_date: dt.date | None
    file_names: tuple[str, ...]
    schema_errors: tuple[str, ...]


def _message(
    root: etree._Element, local: str, name: str, errors: tuple[str, ...], content: bytes
) -> ActesMessage:
    kind = MessageKind.from_root(local)
    if kind is None:
        raise InvalidActesMessage(
            _("%(name)s is an @ctes %(root)s, which Délibre does not know. Tell the administrator.")
            % {"name": name or _("the file"), "root": local},
            code="unknown_message",
        )
    id_acte = _attr(root, "IDActe")
    if kind in (
        MessageKind.AR_PIECE_COMPLEMENTAIRE,
        MessageKind.AR_REPONSE_REJET_LETTRE_OBSERVATIONS,
    ):
        id_acte = _attr(root.find(f"{_A}InfosCourrierPref"), "IDActe")
    # The Pastell fake-TdT sample puts the echo in <Acte> instead of <ActeRecu>: read either.
    echo_element = root.find(f"{_A}ActeRecu")
    if echo_element is None:
        echo_element = root.find(f"{_A}Acte")
    echo_element = root if kind is MessageKind.ACTE else echo_element
    echo = _echo(echo_element) if echo_element is not None else None
    parsed_id = parse_id_acte(id_acte or "")
    parsed_name = parse_message_file_name(name)
    act_number = parsed_id.number if parsed_id else (echo.number if echo else None)
    act_date = parsed_id.decision_date if parsed_id else (echo.decision_date if echo else None)
    if act_number is None and parsed_name is not None:
        act_number, act_date = parsed_name.number, parsed_name.decision_date
    common = _Common(
        kind=kind,
        file_name=name,
        id_acte=id_acte,
        act_number=act_number or None,
        act_date=act_date,
        file_names=_names(root),
        schema_errors=errors,
    )
    date_current = _date(_text(root, "a:ClassificationDateVersionEnCours"))
    if kind is MessageKind.ACTE:
        return ActeMessage(**common, acte=_echo(root))
    if kind is MessageKind.AR_ACTE:
        return ARActe(
            **common,
            date_reception=_date(_attr(root, "DateReception")),
            classification_date_current=date_current,
            acte=echo,
        )
    if kind is MessageKind.ANOMALIE_ACTE:
        return AnomalieActe(
            **common,
            date=_date(_text(root, "a:Date")),
            nature=_text(root, "a:Nature"),
            detail=_text(root, "a:Detail"),
            acte=echo,
            classification_date_current=date_current,
        )
    if kind is MessageKind.ANOMALIE_ENVELOPPE:
        idcl = root.find(f"{_A}EnveloppeRecue/{_A}Emetteur/{_A}IDCL")
        return AnomalieEnveloppe(
            **common,
            date=_date(_text(root, "a:Date")),
            nature=_text(root, "a:Nature"),
            detail=_text(root, "a:Detail"),
            sender_siren=idcl.get(f"{{{INSEE_NS}}}SIREN") if idcl is not None else None,
            forms=_names(root),
        )
    if kind in (
        MessageKind.COURRIER_SIMPLE,
        MessageKind.DEMANDE_PIECE_COMPLEMENTAIRE,
        MessageKind.LETTRE_OBSERVATIONS,
    ):
        document = root.find(f"{_A}Document/{_A}NomFichier")
        return CourrierPrefecture(
            **common,
            date_courrier=_date(_attr(root, "DateCourrierPref")),
            text=_text(root, "a:DescriptionPieces") or _text(root, "a:Motif"),
            document=(document.text or "").strip() if document is not None else None,
        )
    if kind is MessageKind.DEFERE_TA:
        return DefereTA(
            **common,
            date_depot=_date(_text(root, "a:DateDepot")),
            nature_illegalite=_text(root, "a:NatureIllegalite"),
        )
    if kind is MessageKind.AR_ANNULATION:
        return ARAnnulation(**common, date_reception=_date(_attr(root, "DateReception")))
    if kind in (
        MessageKind.AR_PIECE_COMPLEMENTAIRE,
        MessageKind.AR_REPONSE_REJET_LETTRE_OBSERVATIONS,
    ):
        return ARReponse(
            **common,
            date_reception=_date(_attr(root, "DateReception")),
            date_courrier=_date(_attr(root.find(f"{_A}InfosCourrierPref"), "DateCourrierPref")),
        )
    if kind is MessageKind.RETOUR_CLASSIFICATION:
        try:
            classification = parse_classification(content)
        except InvalidInput as exc:
            raise InvalidActesMessage(str(exc), code="invalid_classification") from exc
        return RetourClassification(**common, classification=classification)
    if kind is MessageKind.REPONSE_CLASSIFICATION_SANS_CHANGEMENT:
        return ClassificationSansChangement(
            **common, classification_date=_date(_text(root, "a:DateClassification"))
        )
    return ReponseCollectivite(
        **common,
        date_courrier=_date(_attr(root, "DateCourrierPref") or _text(root, "a:DateClassification")),
    )


def read_message(*, content: bytes, name: str = "") -> ActesMessage:
    """Read one @ctes business message (not an envelope). No side effects.

    Raises InvalidActesMessage for unreadable or unsafe XML, foreign or unknown roots.
    """
    root, local, errors = _parse(content, name)
    if local in _ENVELOPES:
        raise InvalidActesMessage(
            _("%(name)s is an envelope, not a message: import the whole archive instead.")
            % {"name": name or _("the file")},
            code="envelope_only",
        )
    return _message(root, local, name, errors, content)


def _is_archive(content: bytes) -> bool:
    return content[:2] == b"\x1f\x8b" or content[257:262] == b"ustar"


def check_size(size: int) -> None:
    """Refuse a file larger than an @ctes transmission may be (before reading it, if possible)."""
    if size > MAX_TRANSMISSION_BYTES:
        raise InvalidActesMessage(
            _("The file is larger than %(limit)d MB; it was refused. Ask the sender to check it.")
            % {"limit": MAX_TRANSMISSION_BYTES // (1024 * 1024)},
            code="too_large",
        )


def read_incoming(*, content: bytes, name: str = "") -> IncomingPackage:
    """Read a file received from the prefecture: a tar.gz package or a single XML message.

    In a package, the envelope is the member whose root is an envelope; the messages are the
    XML members the envelope lists (every other @ctes XML when it lists none); all other members
    are returned in ``files`` (PDF letters, annexes). No side effects.
    Raises InvalidActesMessage or UnsafeArchive; nothing is partially read.
    """
    check_size(len(content))
    if not _is_archive(content):
        root, local, errors = _parse(content, name)
        if local in _ENVELOPES:
            return IncomingPackage(envelope=_envelope(root, name, errors), messages=(), files=())
        return IncomingPackage(
            envelope=None, messages=(_message(root, local, name, errors, content),), files=()
        )
    members = read_tar(content=content)
    envelope: Envelope | None = None
    parsed: dict[str, tuple[etree._Element, str, tuple[str, ...], bytes]] = {}
    # XML annexes (budget documents…) are not @ctes messages: kept as files unless listed.
    unreadable: dict[str, InvalidActesMessage] = {}
    for member_name, data in members:
        if not member_name.lower().endswith(".xml"):
            continue
        try:
            root, local, errors = _parse(data, member_name)
        except InvalidActesMessage as exc:
            unreadable[member_name] = exc
            continue
        if local in _ENVELOPES:
            if envelope is not None:
                raise InvalidActesMessage(
                    _("The archive holds two envelopes; ask the sender for a correct archive."),
                    code="two_envelopes",
                )
            envelope = _envelope(root, member_name, errors)
        elif MessageKind.from_root(local) is not None:
            parsed[member_name] = (root, local, errors, data)
    names = list(envelope.forms) if envelope and envelope.forms else list(parsed)
    for form in names:
        if form in unreadable:
            raise unreadable[form]
        if form not in parsed:
            raise InvalidActesMessage(
                _(
                    "The envelope lists %(name)s, which is not in the archive: download the archive again."
                )
                % {"name": form},
                code="missing_message",
            )
    messages = []
    for form in names:
        root, local, errors, data = parsed[form]
        messages.append(_message(root, local, form, errors, data))
    taken = set(names) | ({envelope.file_name} if envelope else set())
    files = tuple((n, data) for n, data in members if n not in taken)
    return IncomingPackage(envelope=envelope, messages=tuple(messages), files=files)
