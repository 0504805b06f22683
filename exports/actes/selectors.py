"""Reads of the prefecture exchanges shared by the services, pages, API, commands and scenario."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from core.api_fields import visible_collectivite_ids
from core.files import read_bytes
from deliberations.models import Act, ClassificationVersion, Collectivite, PieceType
from deliberations.permissions import collectivite_ids_for
from exports.enums import DocumentKind, DocumentStatus
from exports.models import RenderedDocument

from .enums import (
    ACTIVE_STATUSES,
    ANSWERS,
    DEFAULT_PIECE_TYPES,
    PrefectureMessageStatus,
    TransmissionKind,
    TransmissionStatus,
)
from .models import PrefectureMessage, TdtSettings, Transmission

# -- The act's PDF ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActPdf:
    """The PDF of an act as it is transmitted and published.

    ``source`` is ``signed`` (a version produced by signing/) or ``rendered`` (the current
    rendered document, until signing/ is integrated); ``author`` is the "name, quality" mention
    printed on the act (docs/adr/0002), ``verification_token`` the token of its public
    verification URL (docs/adr/0004).
    """

    content: bytes = field(repr=False)
    sha256: str
    source: str
    document_id: int | None
    verification_token: str
    author: dict[str, str]
    signed: bool


def signed_version_pdf(finder_name: str, target: Any) -> tuple[bytes, str, Any] | None:
    """The latest version signed by signing/ (``signing.selectors.<finder_name>(target)``):
    its bytes, SHA-256 and the version itself; None when nothing is signed yet.

    Imported lazily so that exports/ keeps working without signing/ (it was integrated in
    parallel); signing.selectors provides ``current_act_version(act)`` and
    ``current_version(document)``, rows with ``file`` and ``output_sha256``.
    """
    try:
        module = importlib.import_module("signing.selectors")
    except ImportError:
        return None
    finder = getattr(module, finder_name, None)
    if finder is None:
        return None
    version = finder(target)
    if version is None or not getattr(version, "file", None):
        return None
    content = read_bytes(version.file.name or "")
    digest = getattr(version, "output_sha256", "") or hashlib.sha256(content).hexdigest()
    return content, digest, version


#: The reverse accessor of ``history.ImportedAct.act``: an act taken over from the software the
#: collectivité used before (history import, docs/adr/0009). Read by name, like signing/ is
#: imported lazily above, so that exports/ does not import the app built on top of it.
HISTORY_ACCESSOR = "history_import"


def imported_record(act: Act) -> Any | None:
    """The history import's record of ``act`` (its original PDF, its past acknowledgement), or
    None for an act made in Délibre. Costs one query unless select_related."""
    try:
        return getattr(act, HISTORY_ACCESSOR, None)
    except ObjectDoesNotExist:
        return None


def imported_act_pdf(act: Act) -> ActPdf | None:
    """The PDF an imported act was taken over with (signed or not, as the import found it)."""
    record = imported_record(act)
    if record is None or not record.pdf:
        return None
    return ActPdf(
        content=read_bytes(record.pdf.name or ""),
        sha256=record.pdf_sha256,
        source="imported",
        document_id=None,
        verification_token="",
        author={},
        signed=record.signature_count > 0,
    )


def past_acknowledgement(act: Act) -> Any | None:
    """The prefecture's acknowledgement of an imported act, received before Délibre: the
    record has ``ack_date`` and ``id_acte`` like an acknowledged Transmission. None otherwise."""
    record = imported_record(act)
    return record if record is not None and record.ack_date else None


def act_pdf_for_transmission(act: Act) -> ActPdf | None:
    """THE single switch point that decides which PDF of an act leaves Délibre.

    Transmission to the prefecture, publication on the portal, ``export_actes`` and the scenario
    all call this function and nothing else. An act taken over by the history import keeps the
    PDF it was imported with (it was signed outside Délibre). Otherwise it returns the latest
    signed version of the act's document when signing/ has one
    (``signing.selectors.current_act_version``), and falls back to the newest ready rendered
    version (exports.RenderedDocument) — an act that reached "signed" through a circuit before
    signing/ produced a file. None when the act has no PDF yet.
    """
    imported = imported_act_pdf(act)
    if imported is not None:
        return imported
    signed = signed_version_pdf("current_act_version", act)
    rendered = (
        signed[2].document
        if signed is not None
        else RenderedDocument.objects.filter(
            act=act, kind=DocumentKind.ACT, status=DocumentStatus.READY
        )
        .order_by("-version")
        .first()
    )
    token = rendered.verification_token if rendered is not None else ""
    snapshot = rendered.snapshot if rendered is not None else {}
    author = snapshot.get("author") or {}
    author = {"name": str(author.get("name", "")), "quality": str(author.get("quality", ""))}
    if signed is not None:
        content, digest, _version = signed
        return ActPdf(
            content=content,
            sha256=digest,
            source="signed",
            document_id=rendered.pk if rendered else None,
            verification_token=token,
            author=author,
            signed=True,
        )
    if rendered is None or not rendered.file:
        return None
    content = read_bytes(rendered.file.name or "")
    return ActPdf(
        content=content,
        sha256=rendered.content_sha256 or hashlib.sha256(content).hexdigest(),
        source="rendered",
        document_id=rendered.pk,
        verification_token=token,
        author=author,
        signed=False,
    )


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the last day of the month when it does not exist)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


# -- Classification -----------------------------------------------------------------------------


def current_classification(collectivite: Collectivite) -> ClassificationVersion | None:
    return ClassificationVersion.objects.filter(collectivite=collectivite, is_current=True).first()


def allowed_piece_types(version: ClassificationVersion, nature: int) -> list[str]:
    return list(
        PieceType.objects.filter(version=version, nature=nature)
        .order_by("code")
        .values_list("code", flat=True)
    )


def default_piece_type(nature: int, allowed: list[str]) -> str:
    """The act document's type de pièce: ``99_<nature>`` when the classification allows it."""
    preferred = DEFAULT_PIECE_TYPES.get(int(nature), "")
    if not allowed or preferred in allowed:
        return preferred
    return allowed[0]


def classification_problem(act: Act, tdt: TdtSettings | None) -> str | None:
    """Why the act's classification cannot be sent as it is (stale or missing), or None."""
    current = current_classification(act.collectivite)
    if current is None:
        return _(
            "No classification of the prefecture is imported: an administrator must import the "
            "prefecture's classification file (RetourClassification) first."
        )
    if (
        tdt is not None
        and tdt.known_classification_date
        and (tdt.known_classification_date > current.version_date)
    ):
        return _(
            "Stale classification: the prefecture announced a classification dated %(new)s, "
            "but the one in Délibre is dated %(current)s. Import the new classification, then "
            "choose the act's matière again."
        ) % {"new": tdt.known_classification_date.isoformat(), "current": current.version_date}
    if act.matiere is None:
        return _("Classify the act (choose its matière) before it is sent to the prefecture.")
    if act.matiere.version_id != current.pk:
        return _(
            "Stale classification: the act's matière %(code)s comes from the classification "
            "dated %(old)s, but the current one is dated %(current)s. Choose the matière again "
            "in the current classification."
        ) % {
            "code": act.matiere.code,
            "old": act.matiere.version.version_date.isoformat(),
            "current": current.version_date.isoformat(),
        }
    return None


# -- Transmissions and messages -----------------------------------------------------------------


def tdt_settings_for(collectivite: Collectivite | int) -> TdtSettings | None:
    pk = collectivite.pk if isinstance(collectivite, Collectivite) else collectivite
    return TdtSettings.objects.filter(collectivite_id=pk).first()


def visible_transmissions(user: Any) -> QuerySet[Transmission]:
    return Transmission.objects.filter(collectivite_id__in=collectivite_ids_for(user))


def visible_messages(user: Any) -> QuerySet[PrefectureMessage]:
    return PrefectureMessage.objects.filter(collectivite_id__in=collectivite_ids_for(user))


def api_visible_transmissions(request: Any) -> QuerySet[Transmission]:
    return Transmission.objects.filter(collectivite_id__in=visible_collectivite_ids(request))


def api_visible_messages(request: Any) -> QuerySet[PrefectureMessage]:
    return PrefectureMessage.objects.filter(collectivite_id__in=visible_collectivite_ids(request))


def act_transmissions(act: Act) -> QuerySet[Transmission]:
    return Transmission.objects.filter(act=act).select_related("created_by").order_by("-pk")


def active_transmission(act: Act) -> Transmission | None:
    """The act's transmission that is prepared, on its way or acknowledged (at most one)."""
    return Transmission.objects.filter(
        act=act, kind=TransmissionKind.ACTE, status__in=ACTIVE_STATUSES
    ).first()


def acknowledgement(act: Act) -> Any | None:
    """The transmission of the act the prefecture acknowledged (the legal proof), if any; for
    an imported act acknowledged before Délibre, its record (``ack_date``, ``id_acte``)."""
    found = (
        Transmission.objects.filter(
            act=act, kind=TransmissionKind.ACTE, status=TransmissionStatus.ACKNOWLEDGED
        )
        .order_by("-pk")
        .first()
    )
    return found if found is not None else past_acknowledgement(act)


def last_act_transmission(act: Act) -> Transmission | None:
    return Transmission.objects.filter(act=act, kind=TransmissionKind.ACTE).order_by("-pk").first()


@dataclass
class TransmissionPanel:
    """What the transmission box of an act page shows."""

    act: Act
    transmissions: list[Transmission]
    messages: list[PrefectureMessage]
    active: Transmission | None
    last: Transmission | None
    classification_problem: str | None
    has_pdf: bool
    configured: bool
    #: An imported act's acknowledgement received before Délibre: it is never sent again.
    past: Any = None

    @property
    def can_prepare(self) -> bool:
        return (
            self.past is None
            and self.active is None
            and self.act.status in ("signed", "published")
            and not any(
                t.kind == TransmissionKind.ACTE and t.status == TransmissionStatus.ACKNOWLEDGED
                for t in self.transmissions
            )
        )

    @property
    def cancellable(self) -> Transmission | None:
        """The acknowledged transmission a cancellation (6-1) may target, if none is pending."""
        active = self.active
        if active is None or active.status != TransmissionStatus.ACKNOWLEDGED:
            return None
        pending = any(
            t.kind == TransmissionKind.ANNULATION
            and t.cancels_id == active.pk
            and t.status in ACTIVE_STATUSES
            for t in self.transmissions
        )
        return None if pending else active


def transmission_panel(act: Act) -> TransmissionPanel:
    transmissions = list(act_transmissions(act))
    messages = list(
        PrefectureMessage.objects.filter(act=act)
        .select_related("answered_by")
        .prefetch_related("answers")
        .order_by("-received_at", "-pk")
    )
    active = next(
        (
            t
            for t in transmissions
            if t.kind == TransmissionKind.ACTE and t.status in ACTIVE_STATUSES
        ),
        None,
    )
    last = next((t for t in transmissions if t.kind == TransmissionKind.ACTE), None)
    tdt = tdt_settings_for(act.collectivite_id)
    return TransmissionPanel(
        act=act,
        transmissions=transmissions,
        messages=messages,
        active=active,
        last=last,
        classification_problem=classification_problem(act, tdt),
        has_pdf=RenderedDocument.objects.filter(
            act=act, kind=DocumentKind.ACT, status=DocumentStatus.READY
        ).exists()
        or imported_record(act) is not None,
        configured=tdt is not None,
        past=past_acknowledgement(act),
    )


def answer_kinds(message: PrefectureMessage) -> tuple[str, ...]:
    """The answers @ctes allows to this message now (empty when it cannot be answered)."""
    if message.status in (PrefectureMessageStatus.ANSWERED, PrefectureMessageStatus.CLOSED):
        return ()
    if not message.id_acte:
        return ()
    return ANSWERS.get(message.kind, ())


@dataclass
class PrefectureDesk:
    """The "Préfecture" page: what needs someone, what is on its way, what came back lately."""

    to_handle: list[Transmission]
    in_flight: list[Transmission]
    messages: list[PrefectureMessage]
    recent: list[Transmission]
    recent_messages: list[PrefectureMessage]


def prefecture_desk(collectivite: Collectivite) -> PrefectureDesk:
    """A fixed number of queries, whatever the number of transmissions (each list is bounded)."""
    base = Transmission.objects.filter(collectivite=collectivite).select_related(
        "act", "reply_to", "cancels"
    )
    candidates = list(
        base.filter(
            Q(status__in=[TransmissionStatus.ANOMALY, TransmissionStatus.FAILED])
            | Q(outcome_unknown=True)
            | Q(status=TransmissionStatus.PREPARED)
        ).order_by("-updated_at")[:100]
    )
    # An anomaly or a failure already followed by a new transmission is settled.
    settled = set(
        Transmission.objects.filter(previous__in=[t.pk for t in candidates]).values_list(
            "previous_id", flat=True
        )
    )
    to_handle = [t for t in candidates if t.pk not in settled][:50]
    in_flight = list(
        base.filter(
            status__in=[TransmissionStatus.QUEUED, TransmissionStatus.SENT], outcome_unknown=False
        ).order_by("-updated_at")[:50]
    )
    messages = PrefectureMessage.objects.filter(collectivite=collectivite).select_related("act")
    return PrefectureDesk(
        to_handle=to_handle,
        in_flight=in_flight,
        messages=list(
            messages.filter(status=PrefectureMessageStatus.NEW).order_by(
                "deadline", "-received_at"
            )[:50]
        ),
        recent=list(base.order_by("-updated_at")[:20]),
        recent_messages=list(messages.order_by("-received_at")[:20]),
    )
