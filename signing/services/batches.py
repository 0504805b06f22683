"""Batch signing: one password, many folders, each signed and validated on its own.

:func:`start_batch` checks what can be checked once (the folders are the actor's to sign, the
key opens with the password, the certificate may sign), stores the batch and its items, and
queues ``signing.run_batch`` after commit. :func:`run_batch` (the task's body) signs each item
with :func:`~signing.services.signing.sign_step_with` — its own checks and its own transaction —
so a refused item is listed with its reason and the others are signed. Progress counters are
updated after each item (the page polls them).

The password crosses the task queue encrypted with a key derived from the Django secret key
(Fernet, valid one hour) and is never stored in the database or logged (docs/adr/0007).
Journal events (collectivité's chain): ``signing.batch.started``, ``signing.batch.finished``;
each signature writes its own events on its act's chain.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import DelibreError
from deliberations.models import Collectivite, User
from deliberations.permissions import require_role
from workflow.enums import StepKind
from workflow.journal import record_event
from workflow.models import StepRun

from ..enums import BatchItemStatus, BatchStatus
from ..exceptions import InvalidSigningInput, SigningObjectNotFound
from ..keys import check_signing_certificate
from ..models import Signature, SigningBatch, SigningBatchItem, UserCertificate
from ..selectors import signing_settings_for, trust_settings_for
from .signing import sign_step_with
from .versions import KeySource

log = logging.getLogger("delibre.signing")

MAX_BATCH = 200
SECRET_TTL_SECONDS = 3600


def _fernet():  # type: ignore[no-untyped-def]
    from cryptography.fernet import Fernet

    digest = hashlib.sha256(f"delibre.signing.batch:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal_secret(secret: str) -> str:
    """Encrypt a password for the task queue (never stored, never logged)."""
    return _fernet().encrypt(secret.encode()).decode("ascii")


def open_secret(token: str) -> str | None:
    """The password back, or None when the token is not ours or older than an hour."""
    from cryptography.fernet import InvalidToken

    try:
        return _fernet().decrypt(token.encode("ascii"), ttl=SECRET_TTL_SECONDS).decode()
    except (InvalidToken, ValueError):
        return None


def start_batch(
    *,
    actor: User,
    collectivite: Collectivite,
    step_run_ids: Sequence[int],
    certificate: UserCertificate | None,
    password: str | None,
) -> SigningBatch:
    """Start signing many folders with one certificate and one password.

    Refused before anything is stored: no folder, too many, a folder of another collectivité or
    not a signature step, no certificate or not the actor's, wrong password, a certificate that
    may not sign now. Side effects: the batch and its items; ``signing.batch.started``; the
    task ``signing.run_batch`` queued after commit.
    """
    require_role(actor, collectivite)
    ids = list(dict.fromkeys(int(pk) for pk in step_run_ids))
    if not ids:
        raise InvalidSigningInput(_("Choose at least one folder to sign."), field="step_runs")
    if len(ids) > MAX_BATCH:
        raise InvalidSigningInput(
            _("Sign at most %(count)d folders at once.") % {"count": MAX_BATCH},
            field="step_runs",
        )
    steps = {
        s.pk: s for s in StepRun.objects.filter(pk__in=ids, run__act__collectivite=collectivite)
    }
    if len(steps) != len(ids):
        raise SigningObjectNotFound(_("One of the folders chosen does not exist."))
    if any(s.kind != StepKind.SIGNATURE for s in steps.values()):
        raise InvalidSigningInput(
            _("Only signature steps are signed in a batch (seals and visas are not)."),
            field="step_runs",
        )
    key = KeySource(certificate=certificate, password=password)
    key.check(actor, seal_step=False)
    options = signing_settings_for(collectivite)
    trust = trust_settings_for(collectivite, options=options)
    signer = key.open(options)
    check_signing_certificate(
        cert=signer.signing_cert, trust=trust, intermediates=signer.cert_registry
    )
    with transaction.atomic():
        batch = SigningBatch.objects.create(
            collectivite=collectivite,
            created_by=actor,
            certificate=certificate,
            total=len(ids),
        )
        SigningBatchItem.objects.bulk_create(
            [
                SigningBatchItem(batch=batch, position=position, step_run_id=pk)
                for position, pk in enumerate(ids, start=1)
            ]
        )
        record_event(
            collectivite,
            "signing.batch.started",
            actor=actor,
            data={
                "batch": batch.pk,
                "steps": ids,
                "certificate": certificate.fingerprint if certificate else None,
            },
        )
        sealed = seal_secret(password or "")
        batch_id = batch.pk

        def queue() -> None:
            from ..tasks import run_batch_task

            run_batch_task.delay(batch_id=batch_id, sealed_password=sealed)

        transaction.on_commit(queue)
    return batch


def _finish_item(item: SigningBatchItem, *, status: str, **changes: object) -> None:
    with transaction.atomic():
        updated = SigningBatchItem.objects.filter(
            pk=item.pk, status=BatchItemStatus.PENDING
        ).update(status=status, processed_at=timezone.now(), **changes)
        if updated:
            counter = "signed_count" if status == BatchItemStatus.SIGNED else "failed_count"
            SigningBatch.objects.filter(pk=item.batch_id).update(**{counter: F(counter) + 1})


def run_batch(*, batch_id: int, password: str | None) -> SigningBatch:
    """Sign every pending item of a batch; the body of the ``signing.run_batch`` task.

    Idempotent: items already signed or failed are skipped, a finished batch is returned as
    it is. ``password`` None (the encrypted password expired) fails the remaining items.
    Side effects: per item, those of ``sign_step``; counters; ``signing.batch.finished``.
    """
    batch = SigningBatch.objects.select_related("created_by", "certificate", "collectivite").get(
        pk=batch_id
    )
    if batch.status == BatchStatus.DONE:
        return batch
    SigningBatch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.RUNNING, started_at=timezone.now()
    )
    key = KeySource(certificate=batch.certificate, password=password)
    items = SigningBatchItem.objects.filter(batch=batch, status=BatchItemStatus.PENDING).order_by(
        "position"
    )
    for item in items.select_related("step_run"):
        # A run killed after an item's signature committed but before the item was marked (a
        # worker lost: the task is delivered again) finds the step signed: it is counted, not
        # signed twice nor listed as refused.
        earlier = _signed_by(item, batch)
        if earlier is not None:
            _finish_item(item, status=BatchItemStatus.SIGNED, signature=earlier)
            continue
        if password is None:
            _finish_item(
                item,
                status=BatchItemStatus.FAILED,
                error=_("The batch waited too long to start: start it again."),
                error_code="batch_expired",
            )
            continue
        try:
            version = sign_step_with(step_run=item.step_run, actor=batch.created_by, key=key)
        except DelibreError as exc:
            earlier = _signed_by(item, batch)  # by another delivery of this task, meanwhile
            if earlier is not None:
                _finish_item(item, status=BatchItemStatus.SIGNED, signature=earlier)
                continue
            log.info("batch %s item %s not signed: %s", batch.pk, item.position, exc.code)
            _finish_item(
                item, status=BatchItemStatus.FAILED, error=str(exc.message), error_code=exc.code
            )
            continue
        _finish_item(item, status=BatchItemStatus.SIGNED, signature=version)
    return _finish_batch(batch.pk)


def _signed_by(item: SigningBatchItem, batch: SigningBatch) -> Signature | None:
    """The signature the batch's signer already applied to the item's step, if any."""
    return (
        Signature.objects.filter(step_run_id=item.step_run_id, signer_id=batch.created_by_id)
        .order_by("-sequence")
        .first()
    )


def _finish_batch(batch_id: int) -> SigningBatch:
    with transaction.atomic():
        batch = (
            SigningBatch.objects.select_for_update(of=("self",))
            .select_related("collectivite", "created_by")
            .get(pk=batch_id)
        )
        if batch.status != BatchStatus.DONE:
            batch.status, batch.finished_at = BatchStatus.DONE, timezone.now()
            batch.save(update_fields=["status", "finished_at"])
            record_event(
                batch.collectivite,
                "signing.batch.finished",
                actor=batch.created_by,
                data={
                    "batch": batch.pk,
                    "signed": batch.signed_count,
                    "failed": batch.failed_count,
                },
            )
    return batch


def interrupt_batch(*, batch_id: int) -> SigningBatch:
    """Close a batch whose task ran out of time: its pending items are listed as not signed.

    Called by the task when Celery's soft time limit stops it (a trust service that answers
    too slowly, item after item). Side effects: the items and counters;
    ``signing.batch.finished``.
    """
    batch = SigningBatch.objects.get(pk=batch_id)
    pending = SigningBatchItem.objects.filter(batch=batch, status=BatchItemStatus.PENDING)
    for item in pending.order_by("position"):
        earlier = _signed_by(item, batch)
        if earlier is not None:
            _finish_item(item, status=BatchItemStatus.SIGNED, signature=earlier)
            continue
        _finish_item(
            item,
            status=BatchItemStatus.FAILED,
            error=_("The batch took too long and was stopped: sign this folder again."),
            error_code="batch_interrupted",
        )
    return _finish_batch(batch_id)
