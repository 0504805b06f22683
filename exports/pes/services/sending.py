"""Sending signed flows to the treasury, never twice.

``send_flow`` only queues: it creates the flow's :class:`PesTransmission` (at most one that has
not failed per flow: a database constraint) and queues the delivery task after commit.
``deliver_transmission`` (the task) claims the transmission under a lock (queued → sending: one
worker only), delivers outside any transaction, then records the outcome: sent (the flow and its
bordereaux go to sent), delayed (a transient error: queued again, bounded attempts), or failed (a
permanent error: the flow stays signed and can be sent again). Both connectors recognise a file
they already received, so an attempt whose answer was lost can be made again safely
(exports.pes.connectors). A worker that died while sending leaves the transmission "sending";
``retry_transmissions`` (beat) puts it back in the queue after ``STALE_AFTER``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import DelibreError
from deliberations.models import User
from workflow.journal import record_event
from workflow.lifecycles import BordereauFlow, PesFlowFlow, TransmissionFlow

from ..connectors import Delivery, default_folder, drop_in_folder, s2low_client_for, send_to_s2low
from ..enums import Connector, PesFlowStatus, TransmissionStatus
from ..exceptions import (
    PesDeliveryFailed,
    PesDeliveryUnavailable,
    PesNotConfigured,
    PesStateRefused,
)
from ..models import Bordereau, PesFlow, PesSettings, PesTransmission
from ._common import lock_flow, require_finance, stored_copy

log = logging.getLogger("delibre.pes")

#: A transmission still "sending" after this long was abandoned by its worker.
STALE_AFTER = dt.timedelta(minutes=30)


def settings_of(collectivite: Any) -> PesSettings:
    """The collectivité's exchange settings (defaults when none were saved; not stored)."""
    found = PesSettings.objects.filter(collectivite=collectivite).first()
    return found or PesSettings(collectivite=collectivite)


def drop_folder_of(collectivite: Any) -> Any:
    from pathlib import Path

    chosen = settings_of(collectivite).drop_folder
    return Path(chosen) if chosen else default_folder("outbox", collectivite.slug)


def file_name_of(flow: PesFlow) -> str:
    """The name the flow is delivered under: always the same for a flow (idempotence)."""
    base = re.sub(r"[^A-Za-z0-9._-]", "_", flow.file_name or flow.name or f"flow-{flow.pk}")
    base = base.removesuffix(".xml").removesuffix(".XML")[:150]
    return f"{base}.xml"


def _queue(transmission_id: int) -> None:
    from .. import tasks  # tasks import the services: keep the layers going downhill

    transaction.on_commit(
        lambda: tasks.deliver_pes_transmission.delay(transmission_id=transmission_id)
    )


def send_flow(*, flow: PesFlow, actor: User) -> PesTransmission:
    """Queue the sending of a signed flow to the treasury through the collectivité's connector
    (folder drop by default, or S2LOW Hélios).

    Who: the finance service, the ordonnateur, an administrator. Refused for a flow that is not
    signed, already being sent or sent, or of a training collectivité.
    Side effects: a PesTransmission (queued); journal event ``pes.transmission.queued``; the
    delivery task after commit.
    """
    with transaction.atomic():
        current = lock_flow(flow.pk)
        require_finance(actor, current.collectivite)
        if current.collectivite.is_training:
            raise PesStateRefused(_("Nothing is ever transmitted from a training collectivité."))
        if current.status != PesFlowStatus.SIGNED:
            raise PesStateRefused(
                _("Only a signed flow is sent, once; this flow is “%(status)s”.")
                % {"status": current.get_status_display()}
            )
        connector = settings_of(current.collectivite).connector
        try:
            with transaction.atomic():
                transmission = PesTransmission.objects.create(
                    flow=current,
                    connector=connector,
                    created_by=actor,
                    created_at=timezone.now(),
                )
        except IntegrityError as exc:
            raise PesStateRefused(_("This flow is already being sent.")) from exc
        record_event(
            current,
            "pes.transmission.queued",
            actor=actor,
            data={"flow": current.pk, "transmission": transmission.pk, "connector": connector},
        )
        _queue(transmission.pk)
    return transmission


def _deliver(transmission: PesTransmission) -> Delivery:
    flow = transmission.flow
    name = file_name_of(flow)
    if transmission.connector == Connector.S2LOW_HELIOS:
        client = s2low_client_for(flow.collectivite)
        with default_storage.open(flow.current_file.name, "rb") as handle:
            content = handle.read()
        return send_to_s2low(client=client, name=name, content=content)
    with stored_copy(flow.current_file.name) as path:
        return drop_in_folder(folder=drop_folder_of(flow.collectivite), name=name, source=path)


def deliver_transmission(*, transmission_id: int) -> PesTransmission:
    """Deliver a queued transmission (the background task; safe to run twice or at once).

    Side effects: the file in the drop folder or on S2LOW; the transmission sent, delayed or
    failed; on success the flow and its bordereaux sent; journal event ``pes.flow.sent``,
    ``pes.transmission.delayed`` or ``pes.transmission.failed``.
    """
    now = timezone.now()
    with transaction.atomic():
        transmission = (
            PesTransmission.objects.select_for_update()
            .select_related("flow__collectivite")
            .get(pk=transmission_id)
        )
        if transmission.status != TransmissionStatus.QUEUED:
            return transmission  # sent, failed, or being sent by another worker
        TransmissionFlow(transmission).run("start")
        transmission.attempts += 1
        transmission.claimed_at = now
        transmission.save(update_fields=["status", "attempts", "claimed_at"])
    try:
        delivery = _deliver(transmission)
    except PesDeliveryUnavailable as exc:
        return _failed(transmission_id, exc, transient=True)
    except (PesDeliveryFailed, PesNotConfigured) as exc:
        return _failed(transmission_id, exc, transient=False)
    return _succeeded(transmission_id, delivery)


def _succeeded(transmission_id: int, delivery: Delivery) -> PesTransmission:
    now = timezone.now()
    with transaction.atomic():
        transmission = PesTransmission.objects.select_for_update().get(pk=transmission_id)
        flow = lock_flow(transmission.flow_id)
        TransmissionFlow(transmission).run("succeed")
        transmission.sent_at = now
        transmission.external_id = delivery.external_id
        transmission.target = delivery.target[:500]
        transmission.save(update_fields=["status", "sent_at", "external_id", "target"])
        PesFlowFlow(flow).run("send")
        flow.sent_at = now
        flow.save(update_fields=["status", "sent_at", "updated_at"])
        rows = list(flow.bordereaux.select_for_update().order_by("position"))
        for row in rows:
            if BordereauFlow(row).can("send"):
                BordereauFlow(row).run("send")
        Bordereau.objects.bulk_update(rows, ["status"])
        record_event(
            flow,
            "pes.flow.sent",
            actor=transmission.created_by,
            data={
                "flow": flow.pk,
                "transmission": transmission.pk,
                "connector": transmission.connector,
                "external_id": delivery.external_id,
                "target": delivery.target,
                "attempts": transmission.attempts,
                "already_there": delivery.already_there,
                "sha256": flow.current_sha256,
            },
        )
    return transmission


def _failed(transmission_id: int, error: DelibreError, *, transient: bool) -> PesTransmission:
    now = timezone.now()
    message = str(error.message)
    with transaction.atomic():
        transmission = (
            PesTransmission.objects.select_for_update()
            .select_related("flow")
            .get(pk=transmission_id)
        )
        transmission.last_error = message
        transmission.errors = [
            *transmission.errors,
            {
                "at": now.isoformat(),
                "attempt": transmission.attempts,
                "error": message,
                "transient": transient,
            },
        ]
        retry = transient and transmission.attempts < settings.DELIBRE_PES_SEND_ATTEMPTS
        TransmissionFlow(transmission).run("postpone" if retry else "fail")
        transmission.save(update_fields=["status", "last_error", "errors"])
        record_event(
            transmission.flow,
            "pes.transmission.delayed" if retry else "pes.transmission.failed",
            actor=transmission.created_by,
            data={
                "flow": transmission.flow_id,
                "transmission": transmission.pk,
                "attempt": transmission.attempts,
                "error": message,
            },
        )
    log.warning(
        "PES transmission %s attempt %s: %s", transmission_id, transmission.attempts, message
    )
    return transmission


def retry_transmission(*, transmission: PesTransmission, actor: User) -> PesTransmission:
    """Try a delayed transmission again now (it stays one transmission; nothing is duplicated).

    Who: the finance service, the ordonnateur, an administrator. Side effect: the delivery task
    is queued after commit.
    """
    with transaction.atomic():
        current = (
            PesTransmission.objects.select_for_update()
            .select_related("flow__collectivite")
            .get(pk=transmission.pk)
        )
        require_finance(actor, current.flow.collectivite)
        if current.status != TransmissionStatus.QUEUED:
            raise PesStateRefused(
                _("This transmission is not waiting to be sent (it is “%(status)s”).")
                % {"status": current.get_status_display()}
            )
        _queue(current.pk)
    return current


def retry_transmissions(*, now: dt.datetime | None = None) -> int:
    """The beat job: transmissions abandoned while sending go back to the queue, and every
    queued one is delivered. Returns the number of deliveries attempted."""
    now = now or timezone.now()
    stale = PesTransmission.objects.filter(
        status=TransmissionStatus.SENDING, claimed_at__lt=now - STALE_AFTER
    ).values_list("pk", flat=True)
    for pk in list(stale):
        with transaction.atomic():
            transmission = (
                PesTransmission.objects.select_for_update().select_related("flow").get(pk=pk)
            )
            if transmission.status != TransmissionStatus.SENDING:
                continue
            TransmissionFlow(transmission).run("postpone")
            transmission.save(update_fields=["status"])
            record_event(
                transmission.flow,
                "pes.transmission.requeued",
                actor=None,
                data={"flow": transmission.flow_id, "transmission": transmission.pk},
            )
    attempted = 0
    for pk in list(
        PesTransmission.objects.filter(status=TransmissionStatus.QUEUED)
        .order_by("created_at")
        .values_list("pk", flat=True)
    ):
        deliver_transmission(transmission_id=pk)
        attempted += 1
    return attempted
