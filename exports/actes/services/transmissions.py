"""Sending to the prefecture: prepare an act's archive, queue it, deliver it, cancel it, answer.

Flow of an act (docs/adr/0006-prefecture-transmission-and-publication.md):

    prepare_transmission   signed act → archive built from the act, its PDF
                           (selectors.act_pdf_for_transmission) and its transmitted annexes,
                           checked against the XSD and the @ctes rules, stored → ``prepared``
    transmit               ``prepared`` → ``queued``; the task is queued after commit
    send_transmission      (task) under the act's and the transmission's locks, delivers the
                           stored bytes through the connector → ``sent`` (or a bounded retry,
                           ``failed``, or ``outcome_unknown`` when S2LOW may have it)
    returns.py             the ARActe → ``acknowledged`` and the act signed → transmitted →
                           acknowledged; an anomaly → ``anomaly`` and the act stays signed

Journal codes (on the act's chain): ``act.transmission.prepared``, ``act.transmission.queued``,
``act.transmitted``, ``act.transmission.attempt_failed``, ``act.transmission.failed``,
``act.transmission.outcome_unknown``, ``act.transmission.reconciled``,
``act.transmission.discarded``, ``act.transmission.cancellation_requested``,
``act.prefecture_message.answered`` and ``act.prefecture_message.answer_sent``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import DelibreError
from core.files import read_bytes, removed_on_error, store_bytes
from core.uploads import InvalidPdf, inspect_pdf
from deliberations.enums import ActStatus
from deliberations.models import Act, Collectivite, User
from deliberations.services._common import locked
from workflow.journal import record_event

from .. import builder, responses
from ..builder import Piece
from ..connectors import connector_for
from ..enums import (
    ACTIVE_STATUSES,
    ANSWERS_WITHOUT_DOCUMENT,
    FINAL_ANSWERS,
    PrefectureMessageStatus,
    TdtConnector,
    TransmissionKind,
    TransmissionStatus,
)
from ..exceptions import (
    ActesError,
    InvalidActesData,
    StaleClassification,
    TdtNotConfigured,
    TdtUnavailable,
    TransmissionRefused,
)
from ..models import PrefectureMessage, TdtSettings, Transmission
from ..selectors import (
    ActPdf,
    act_pdf_for_transmission,
    allowed_piece_types,
    answer_kinds,
    classification_problem,
    current_classification,
    default_piece_type,
    past_acknowledgement,
    tdt_settings_for,
)
from ..text import prepare_objet
from ._common import next_serial, require_operator, sender, today

#: Deliveries tried at most this many times on transient errors (network, TdT unavailable).
MAX_ATTEMPTS = 5
#: Wait before each retry, in seconds (the task's countdown); the last value repeats.
RETRY_DELAYS = (30, 120, 600, 1800)
ARCHIVE_FOLDER = "actes/transmissions"


def retry_delay(attempts: int) -> int:
    return RETRY_DELAYS[min(max(attempts - 1, 0), len(RETRY_DELAYS) - 1)]


# -- Building -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuiltArchive:
    """An act's archive ready to store, and what it was built from."""

    archive: builder.Transmission
    documents: list[dict[str, str]]
    objet: str
    classification_date: dt.date
    pdf: ActPdf


def build_act_archive(
    act: Act,
    *,
    sent_on: dt.date,
    serial: int,
    previous_id_acte: str = "",
    tdt: TdtSettings | None = None,
) -> BuiltArchive:
    """Build (without storing) the @ctes archive transmitting ``act``. Reads, never writes.

    Raises StaleClassification, TransmissionRefused or InvalidActesData with what to fix.
    """
    if not act.number:
        raise TransmissionRefused(_("The act has no number yet: it cannot be transmitted."))
    if act.decision_date is None:
        raise TransmissionRefused(
            _(
                "The act has no decision date (vote or signature) yet: it cannot be "
                "transmitted. Record its vote or have it signed, then prepare it again."
            )
        )
    problem = classification_problem(act, tdt)
    if problem:
        raise StaleClassification(problem, field="matiere")
    version = current_classification(act.collectivite)
    assert version is not None and act.matiere is not None  # classification_problem said so
    pdf = act_pdf_for_transmission(act)
    if pdf is None:
        raise TransmissionRefused(
            _(
                "The act has no PDF yet: render its document (Documents box) before sending it "
                "to the prefecture."
            )
        )
    allowed = allowed_piece_types(version, act.nature)
    act_type = default_piece_type(act.nature, allowed)
    document = Piece(filename=f"{act.number}.pdf", content=pdf.content, type_pj=act_type)
    annexes = [
        (
            annex,
            Piece(
                filename=annex.original_name or f"{annex.title}.pdf",
                content=read_bytes(annex.file.name or ""),
                type_pj=annex.piece_type or act_type,
            ),
        )
        for annex in act.annexes.filter(transmitted=True).order_by("position", "pk")
    ]
    acte = builder.Acte(
        number=act.number,
        decision_date=act.decision_date,
        nature=int(act.nature),
        matieres=tuple(int(part) for part in act.matiere.code.split(".")),
        objet=act.objet,
        classification_date=version.version_date,
        document=document,
        annexes=tuple(piece for _annex, piece in annexes),
        previous_id_acte=previous_id_acte or None,
    )
    archive = builder.build_acte_transmission(
        collectivite=sender(act.collectivite, tdt),
        acte=acte,
        sent_on=sent_on,
        serial=serial,
        allowed_piece_types=allowed or None,
    )
    names = archive.document_names
    titles = [act.number, *(annex.title for annex, _piece in annexes)]
    pieces = [document, *(piece for _annex, piece in annexes)]
    documents = [
        {
            "name": name,
            "title": title,
            "type_pj": piece.type_pj,
            "sha256": hashlib.sha256(piece.content).hexdigest(),
        }
        for name, title, piece in zip(names, titles, pieces, strict=True)
    ]
    return BuiltArchive(
        archive=archive,
        documents=documents,
        objet=prepare_objet(objet=act.objet),
        classification_date=version.version_date,
        pdf=pdf,
    )


def _store(built: builder.Transmission) -> str:
    return store_bytes(ARCHIVE_FOLDER, built.archive, extension="tar.gz")


def _settings_or_refuse(collectivite: Collectivite) -> TdtSettings:
    tdt = tdt_settings_for(collectivite)
    if tdt is None:
        raise TdtNotConfigured(
            _(
                "Transmission to the prefecture is not configured for this collectivité: an "
                "administrator must choose a connector in the transmission settings."
            )
        )
    return tdt


def _queue(transmission: Transmission) -> None:
    from ..tasks import transmit_task  # tasks sit above services (STYLE.md §1)

    transmission_id = transmission.pk
    transaction.on_commit(lambda: transmit_task.delay(transmission_id=transmission_id))


# -- Preparing and queueing ---------------------------------------------------------------------


def prepare_transmission(*, act: Act, actor: User | None) -> Transmission:
    """Build, check and store the archive transmitting a signed act; nothing is sent yet.

    Refused (nothing changes) unless the act is signed (or already published) with no
    transmission prepared, on its way or acknowledged; when the classification is stale; when
    the archive breaks a rule. After an anomaly, a failure or a cancellation, the new
    transmission names the previous IDActe (PrecedentIdentifiantActe).
    Side effects: stores the archive; journal ``act.transmission.prepared``.
    """
    require_operator(actor, act.collectivite)
    with transaction.atomic():
        current = locked(Act, act.pk)
        if current.status not in (ActStatus.SIGNED, ActStatus.PUBLISHED):
            raise TransmissionRefused(
                _(
                    "Only a signed act is sent to the prefecture; this one is “%(status)s”. "
                    "Have it signed through its circuit first."
                )
                % {"status": ActStatus(current.status).label}
            )
        past = past_acknowledgement(current)
        if past is not None:
            raise TransmissionRefused(
                _(
                    "This act was acknowledged by the prefecture before Délibre (received on "
                    "%(date)s): an act is never sent twice."
                )
                % {"date": past.ack_date.strftime("%d/%m/%Y")}
            )
        existing = Transmission.objects.filter(
            act=current, kind=TransmissionKind.ACTE, status__in=ACTIVE_STATUSES
        ).first()
        if existing is not None:
            raise TransmissionRefused(
                _(
                    "This act already has a transmission (%(status)s): an act is never sent "
                    "twice. A new one is possible only after an anomaly, a failure or a "
                    "cancellation."
                )
                % {"status": existing.get_status_display()}
            )
        tdt = _settings_or_refuse(current.collectivite)
        locked(Collectivite, current.collectivite_id)  # serials of the day, one at a time
        day = today()
        serial = next_serial(current.collectivite, day)
        previous = (
            Transmission.objects.filter(act=current, kind=TransmissionKind.ACTE)
            .order_by("-pk")
            .first()
        )
        previous_id_acte = previous.id_acte if previous is not None else ""
        built = build_act_archive(
            current, sent_on=day, serial=serial, previous_id_acte=previous_id_acte, tdt=tdt
        )
        name = _store(built.archive)
        with removed_on_error(name):
            result = Transmission.objects.create(
                collectivite=current.collectivite,
                act=current,
                kind=TransmissionKind.ACTE,
                previous=previous,
                previous_id_acte=previous_id_acte,
                sent_on=day,
                serial=serial,
                envelope_name=built.archive.envelope_name,
                message_name=built.archive.message_name,
                archive_name=built.archive.archive_name,
                archive=name,
                archive_sha256=built.archive.sha256,
                archive_size=len(built.archive.archive),
                documents=built.documents,
                objet=built.objet,
                classification_date=built.classification_date,
                connector=tdt.connector,
                created_by=actor,
            )
            record_event(
                result,
                "act.transmission.prepared",
                actor=actor,
                data={
                    "transmission": result.pk,
                    "archive": result.archive_name,
                    "sha256": result.archive_sha256,
                    "documents": built.documents,
                    "pdf": built.pdf.source,
                    "classification_date": built.classification_date,
                    "previous_id_acte": previous_id_acte,
                    "connector": result.connector,
                },
            )
    return result


def _locked_pair(transmission: Transmission) -> Transmission:
    """Lock the act (if any), then the transmission: the order every service follows."""
    if transmission.act_id is not None:
        locked(Act, transmission.act_id)
    return locked(Transmission, transmission.pk)


def transmit(*, transmission: Transmission, actor: User | None) -> Transmission:
    """Queue a prepared transmission for delivery (the task runs after commit).

    Side effects: status → queued; journal ``act.transmission.queued``; queues the task.
    """
    require_operator(actor, transmission.collectivite)
    with transaction.atomic():
        current = _locked_pair(transmission)
        if current.status != TransmissionStatus.PREPARED:
            raise TransmissionRefused(
                _("This transmission is “%(status)s”: it cannot be sent again.")
                % {"status": current.get_status_display()}
            )
        if current.connector == TdtConnector.S2LOW and current.collectivite.is_training:
            raise TransmissionRefused(
                _(
                    "This collectivité is a training sandbox: nothing is ever sent to S2LOW "
                    "from it. Use the folder connector to try the transmission."
                )
            )
        current.status = TransmissionStatus.QUEUED
        current.queued_at = timezone.now()
        current.save(update_fields=["status", "queued_at", "updated_at"])
        record_event(
            current,
            "act.transmission.queued",
            actor=actor,
            data={"transmission": current.pk, "connector": current.connector},
        )
        _queue(current)
    return current


# -- Delivering (the task) ----------------------------------------------------------------------


@dataclass(frozen=True)
class SendOutcome:
    transmission: Transmission
    #: A transient failure happened and another attempt is allowed: call again later.
    retry: bool = False


_SENT_EVENTS: dict[str, str] = {
    TransmissionKind.ACTE: "act.transmitted",
    TransmissionKind.ANNULATION: "act.transmission.cancellation_sent",
}


#: A delivery mark (``delivery_started_at``) younger than this on a free row belongs to a worker
#: between its mark and its locked call; older, the worker died during the call (it holds the
#: row lock for the whole call, so a live one is never seen).
DELIVERY_MARK_GRACE = dt.timedelta(minutes=2)
#: What every outcome of a delivery saves (the mark is cleared with the outcome).
_OUTCOME_FIELDS = ["attempts", "delivery_started_at", "updated_at"]


def _fail(current: Transmission, error: DelibreError, *, actor: Any) -> None:
    current.status = TransmissionStatus.FAILED
    current.last_error = str(error.message)
    current.save(update_fields=["status", "last_error", *_OUTCOME_FIELDS])
    record_event(
        current,
        "act.transmission.failed",
        actor=actor,
        data={
            "transmission": current.pk,
            "attempt": current.attempts,
            "error": current.last_error,
            "detail": getattr(error, "detail", ""),
        },
    )


def send_transmission(*, transmission_id: int, actor: Any = None) -> SendOutcome:
    """Deliver a queued transmission through its connector, at most once.

    The act's and the transmission's rows stay locked during the delivery: a second worker
    waits, then finds the transmission sent and does nothing. Transient errors are retried
    (the caller waits ``retry_delay`` and calls again) up to MAX_ATTEMPTS; permanent ones fail
    the transmission; a timeout after S2LOW may have received the act sets ``outcome_unknown``
    and stops every automatic attempt until someone checks (``reconcile_transmission``).
    Side effects: the delivery; journal ``act.transmitted`` (or the answer/cancellation event),
    ``act.transmission.attempt_failed``, ``act.transmission.failed`` or
    ``act.transmission.outcome_unknown``.
    """
    try:
        head = Transmission.objects.only("pk", "act_id", "connector").get(pk=transmission_id)
    except Transmission.DoesNotExist:
        raise TransmissionRefused(_("This transmission does not exist.")) from None
    marked = head.connector == TdtConnector.S2LOW  # its create is not idempotent
    if marked:
        refused = _mark_delivery(head, actor=actor)
        if refused is not None:
            return refused
    with transaction.atomic():
        current = _locked_pair(head)
        if current.status != TransmissionStatus.QUEUED or current.outcome_unknown:
            return SendOutcome(current)
        if marked and current.delivery_started_at is None:
            return SendOutcome(current)  # delivered meanwhile by another worker
        current.attempts += 1
        current.delivery_started_at = None
        try:
            connector = connector_for(current.connector, tdt_settings_for(current.collectivite_id))
        except TdtNotConfigured as exc:
            _fail(current, exc, actor=actor)
            return SendOutcome(current)
        try:
            delivery = connector.deliver(current)
        except TdtUnavailable as exc:
            if exc.may_have_reached_server and not connector.idempotent:
                current.outcome_unknown = True
                current.last_error = str(exc.message)
                current.save(update_fields=["outcome_unknown", "last_error", *_OUTCOME_FIELDS])
                record_event(
                    current,
                    "act.transmission.outcome_unknown",
                    actor=actor,
                    data={
                        "transmission": current.pk,
                        "attempt": current.attempts,
                        "detail": exc.detail,
                    },
                )
                return SendOutcome(current)
            if current.attempts >= MAX_ATTEMPTS:
                _fail(current, exc, actor=actor)
                return SendOutcome(current)
            current.last_error = str(exc.message)
            current.save(update_fields=["last_error", *_OUTCOME_FIELDS])
            record_event(
                current,
                "act.transmission.attempt_failed",
                actor=actor,
                data={
                    "transmission": current.pk,
                    "attempt": current.attempts,
                    "detail": exc.detail,
                    "retry_in": retry_delay(current.attempts),
                },
            )
            return SendOutcome(current, retry=True)
        except ActesError as exc:  # permanent: refused, misconfigured, unreadable archive
            _fail(current, exc, actor=actor)
            return SendOutcome(current)
        current.status = TransmissionStatus.SENT
        current.external_id = delivery.external_id
        current.sent_at = timezone.now()
        current.last_error = ""
        current.save(
            update_fields=["status", "external_id", "sent_at", "last_error", *_OUTCOME_FIELDS]
        )
        record_event(
            current,
            _SENT_EVENTS.get(current.kind, "act.prefecture_message.answer_sent"),
            actor=actor,
            data={
                "transmission": current.pk,
                "connector": current.connector,
                "external_id": current.external_id,
                "archive": current.archive_name,
                "sha256": current.archive_sha256,
                "attempt": current.attempts,
            },
        )
    return SendOutcome(current)


def _mark_delivery(head: Transmission, *, actor: Any) -> SendOutcome | None:
    """Commit the mark of a delivery through S2LOW before the request leaves; return an
    outcome instead when nothing must be posted now.

    A mark found on a queued transmission whose row was free is a delivery cut short (the
    process died during the call, docs/adr/0008): S2LOW may have received the act, so the
    outcome is unknown and nothing is posted again until someone checks. A recent mark is a
    worker about to post it: nothing to do. Side effect on a cut-short delivery:
    ``act.transmission.outcome_unknown``.
    """
    with transaction.atomic():
        current = _locked_pair(head)
        if current.status != TransmissionStatus.QUEUED or current.outcome_unknown:
            return SendOutcome(current)
        now = timezone.now()
        started = current.delivery_started_at
        if started is not None and now - started < DELIVERY_MARK_GRACE:
            return SendOutcome(current)
        if started is not None:
            current.outcome_unknown = True
            current.last_error = _(
                "The delivery was interrupted during the call to the TdT: check on the TdT "
                "whether the act arrived before anything is sent again."
            )
            current.save(update_fields=["outcome_unknown", "last_error", "updated_at"])
            record_event(
                current,
                "act.transmission.outcome_unknown",
                actor=actor,
                data={
                    "transmission": current.pk,
                    "attempt": current.attempts,
                    "detail": "interrupted",
                },
            )
            return SendOutcome(current)
        current.delivery_started_at = now
        current.save(update_fields=["delivery_started_at", "updated_at"])
    return None


# -- Repairs: discard, reconcile ----------------------------------------------------------------


def discard_transmission(
    *, transmission: Transmission, actor: User | None, reason: str = ""
) -> Transmission:
    """Drop a transmission that has not left (prepared, or queued and not delivered yet).

    The act can then be prepared again (after fixing it). Side effects: status → cancelled;
    journal ``act.transmission.discarded``.
    """
    require_operator(actor, transmission.collectivite)
    with transaction.atomic():
        current = _locked_pair(transmission)
        if current.status not in (TransmissionStatus.PREPARED, TransmissionStatus.QUEUED) or (
            current.outcome_unknown
        ):
            raise TransmissionRefused(
                _(
                    "Only a transmission that has not left Délibre can be discarded; this one "
                    "is “%(status)s”."
                )
                % {"status": current.get_status_display()}
            )
        current.status = TransmissionStatus.CANCELLED
        current.save(update_fields=["status", "updated_at"])
        record_event(
            current,
            "act.transmission.discarded",
            actor=actor,
            data={"transmission": current.pk, "reason": reason},
        )
    return current


def reconcile_transmission(
    *, transmission: Transmission, actor: User | None, received: bool, external_id: str = ""
) -> Transmission:
    """Settle a transmission whose delivery outcome is unknown, after checking on the TdT.

    ``received``: the TdT has it (give its transaction number): it is marked sent and polled
    from then on. Otherwise it is delivered again. Side effects: journal
    ``act.transmission.reconciled``; queues the delivery when not received.
    """
    require_operator(actor, transmission.collectivite)
    external_id = external_id.strip()
    if received and transmission.connector == TdtConnector.S2LOW and not external_id.isdigit():
        raise TransmissionRefused(
            _("Give the number of the transaction S2LOW shows for this act."), field="external_id"
        )
    with transaction.atomic():
        current = _locked_pair(transmission)
        if not current.outcome_unknown or current.status != TransmissionStatus.QUEUED:
            raise TransmissionRefused(_("This transmission has nothing to check."))
        current.outcome_unknown = False
        fields = ["outcome_unknown", "updated_at"]
        if received:
            current.status = TransmissionStatus.SENT
            current.external_id = external_id
            current.sent_at = timezone.now()
            fields += ["status", "external_id", "sent_at"]
        current.save(update_fields=fields)
        record_event(
            current,
            "act.transmission.reconciled",
            actor=actor,
            data={"transmission": current.pk, "received": received, "external_id": external_id},
        )
        if not received:
            _queue(current)
    return current


# -- Cancelling (6-1) and answering (2-2, 3-x, 4-x) --------------------------------------------


def _new_outgoing(
    *,
    built: builder.Transmission,
    kind: str,
    collectivite: Collectivite,
    act: Act | None,
    tdt: TdtSettings,
    actor: Any,
    documents: list[dict[str, str]],
    serial: int,
    **links: Any,
) -> Transmission:
    name = _store(built)
    with removed_on_error(name):
        return Transmission.objects.create(
            collectivite=collectivite,
            act=act,
            kind=kind,
            sent_on=today(),
            serial=serial,
            envelope_name=built.envelope_name,
            message_name=built.message_name,
            archive_name=built.archive_name,
            archive=name,
            archive_sha256=built.sha256,
            archive_size=len(built.archive),
            documents=documents,
            connector=tdt.connector,
            status=TransmissionStatus.QUEUED,
            queued_at=timezone.now(),
            created_by=actor,
            **links,
        )


def request_cancellation(
    *, transmission: Transmission, actor: User | None, reason: str
) -> Transmission:
    """Send the prefecture the cancellation (6-1) of an acknowledged act's transmission.

    The act becomes cancelled when the prefecture acknowledges it (ARAnnulation, 6-2).
    Side effects: a queued 6-1 transmission; journal ``act.transmission.cancellation_requested``.
    """
    require_operator(actor, transmission.collectivite)
    if not reason.strip():
        raise TransmissionRefused(
            _("Give the reason for cancelling the transmission."), field="reason"
        )
    with transaction.atomic():
        current = _locked_pair(transmission)
        if (
            current.kind != TransmissionKind.ACTE
            or current.status != TransmissionStatus.ACKNOWLEDGED
        ):
            raise TransmissionRefused(
                _(
                    "Only a transmission acknowledged by the prefecture can be cancelled; this "
                    "one is “%(status)s”."
                )
                % {"status": current.get_status_display()}
            )
        if Transmission.objects.filter(
            cancels=current, kind=TransmissionKind.ANNULATION, status__in=ACTIVE_STATUSES
        ).exists():
            raise TransmissionRefused(
                _("The cancellation of this transmission is already on its way.")
            )
        tdt = _settings_or_refuse(current.collectivite)
        locked(Collectivite, current.collectivite_id)
        serial = next_serial(current.collectivite, today())
        built = responses.build_annulation(
            collectivite=sender(current.collectivite, tdt),
            id_acte=current.id_acte,
            sent_on=today(),
            serial=serial,
        )
        result = _new_outgoing(
            built=built,
            kind=TransmissionKind.ANNULATION,
            collectivite=current.collectivite,
            act=current.act,
            tdt=tdt,
            actor=actor,
            documents=[],
            serial=serial,
            cancels=current,
            previous_id_acte=current.id_acte,
        )
        record_event(
            result,
            "act.transmission.cancellation_requested",
            actor=actor,
            data={
                "transmission": current.pk,
                "cancellation": result.pk,
                "id_acte": current.id_acte,
                "reason": reason,
            },
        )
        _queue(result)
    return result


_BUILDERS: dict[str, Any] = {
    TransmissionKind.REPONSE_COURRIER_SIMPLE: responses.build_reponse_courrier_simple,
    TransmissionKind.AR_DEMANDE_PIECES: responses.build_ar_demande_pieces,
    TransmissionKind.REFUS_PIECES: responses.build_refus_pieces,
    TransmissionKind.PIECES_COMPLEMENTAIRES: responses.build_pieces_complementaires,
    TransmissionKind.AR_LETTRE_OBSERVATIONS: responses.build_ar_lettre_observations,
    TransmissionKind.REJET_LETTRE_OBSERVATIONS: responses.build_rejet_lettre_observations,
    TransmissionKind.REPONSE_LETTRE_OBSERVATIONS: responses.build_reponse_lettre_observations,
}


def _checked_documents(documents: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """Uploaded answers are untrusted: each must be a sound PDF (DESIGN.md decision 9)."""
    for filename, content in documents:
        try:
            inspect_pdf(io.BytesIO(content))
        except InvalidPdf as exc:
            raise InvalidActesData(
                _("%(name)s was refused: %(reason)s") % {"name": filename, "reason": exc.message},
                field="documents",
            ) from exc
    return documents


def answer_prefecture_message(
    *,
    message: PrefectureMessage,
    actor: User | None,
    kind: str,
    documents: list[tuple[str, bytes]] | None = None,
) -> Transmission:
    """Answer a letter of the prefecture as @ctes permits (see enums.ANSWERS).

    ``documents`` are (file name, PDF bytes): none for an acknowledgement (3-2, 4-2), one
    letter for the other answers, one or more documents for 3-4. The answer is queued at once.
    Side effects: a queued transmission; the message is marked answered (an acknowledgement
    leaves it open); journal ``act.prefecture_message.answered``.
    """
    require_operator(actor, message.collectivite)
    documents = list(documents or [])
    if kind not in answer_kinds(message):
        raise TransmissionRefused(
            _("This answer is not possible to this message (or it was already answered)."),
            field="kind",
        )
    if kind in ANSWERS_WITHOUT_DOCUMENT:
        documents = []
    elif not documents:
        raise InvalidActesData(
            _("Attach the letter answering the prefecture (PDF)."), field="documents"
        )
    elif kind != TransmissionKind.PIECES_COMPLEMENTAIRES and len(documents) > 1:
        raise InvalidActesData(_("This answer takes one letter (PDF) only."), field="documents")
    _checked_documents(documents)
    with transaction.atomic():
        if message.act_id is not None:
            locked(Act, message.act_id)
        current = locked(PrefectureMessage, message.pk)
        if kind not in answer_kinds(current):
            raise TransmissionRefused(_("This message was answered in the meantime."))
        tdt = _settings_or_refuse(current.collectivite)
        if tdt.connector == TdtConnector.S2LOW and kind in ANSWERS_WITHOUT_DOCUMENT:
            raise TransmissionRefused(
                _(
                    "S2LOW acknowledges the prefecture's letter itself: answer with the documents "
                    "or a refusal instead."
                ),
                field="kind",
            )
        locked(Collectivite, current.collectivite_id)
        type_pj = default_piece_type(current.act.nature, []) if current.act else ""
        pieces = [
            Piece(filename=name, content=content, type_pj=type_pj) for name, content in documents
        ]
        serial = next_serial(current.collectivite, today())
        arguments: dict[str, Any] = {
            "collectivite": sender(current.collectivite, tdt),
            "id_acte": current.id_acte,
            "date_courrier": current.message_date or timezone.localdate(current.received_at),
            "sent_on": today(),
            "serial": serial,
        }
        if kind == TransmissionKind.PIECES_COMPLEMENTAIRES:
            arguments["documents"] = pieces
        elif kind not in ANSWERS_WITHOUT_DOCUMENT:
            arguments["document"] = pieces[0]
        built = _BUILDERS[kind](**arguments)
        listed = [
            {
                "name": name,
                "title": filename,
                "type_pj": type_pj,
                "sha256": hashlib.sha256(content).hexdigest(),
            }
            for name, (filename, content) in zip(built.document_names, documents, strict=True)
        ]
        result = _new_outgoing(
            built=built,
            kind=kind,
            collectivite=current.collectivite,
            act=current.act,
            tdt=tdt,
            actor=actor,
            documents=listed,
            serial=serial,
            reply_to=current,
        )
        current.answered_by = actor if getattr(actor, "pk", None) else None
        current.answered_at = timezone.now()
        fields = ["answered_by", "answered_at"]
        if kind in FINAL_ANSWERS:
            current.status = PrefectureMessageStatus.ANSWERED
            fields.append("status")
        current.save(update_fields=fields)
        record_event(
            current,
            "act.prefecture_message.answered",
            actor=actor,
            data={
                "message": current.pk,
                "answer": result.pk,
                "kind": kind,
                "documents": listed,
                "id_acte": current.id_acte,
            },
        )
        _queue(result)
    return result


__all__ = [
    "MAX_ATTEMPTS",
    "BuiltArchive",
    "SendOutcome",
    "answer_prefecture_message",
    "build_act_archive",
    "discard_transmission",
    "prepare_transmission",
    "reconcile_transmission",
    "request_cancellation",
    "retry_delay",
    "send_transmission",
    "transmit",
]
