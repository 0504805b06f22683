"""Background work of the signing app (thin: primitive ids in, one service call; STYLE.md §7).

Both run on the "signing" queue (config/settings.py CELERY_TASK_ROUTES), where the keys are.
``signing.run_batch`` is queued after commit by ``services.start_batch``; with no broker it runs
eagerly in-process (DESIGN.md decision 10). It is safe to run again (acks_late: a worker lost
in the middle hands it to another): signed and refused items are skipped, a step found signed
is counted (docs/adr/0008-background-work.md). It is not retried: a refused item is listed
with its reason. ``signing.renew_archives`` runs daily from the beat schedule.
"""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from . import services
from .services.batches import MAX_BATCH, open_secret

#: A signature with its time stamp, revocation data and validation takes about a second (each
#: call to a trust service is bounded by the collectivité's fetch timeout): a batch of MAX_BATCH
#: gets 7.5 s per item, and stops below the broker's visibility timeout (30 minutes).
BATCH_SOFT_LIMIT = int(7.5 * MAX_BATCH)


@shared_task(
    name="signing.run_batch",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=BATCH_SOFT_LIMIT,
    time_limit=BATCH_SOFT_LIMIT + 120,
)
def run_batch_task(*, batch_id: int, sealed_password: str) -> int:
    """Sign the pending items of a batch; returns how many are signed."""
    try:
        batch = services.run_batch(batch_id=batch_id, password=open_secret(sealed_password))
    except SoftTimeLimitExceeded:
        batch = services.interrupt_batch(batch_id=batch_id)
    return batch.signed_count


@shared_task(name="signing.renew_archives", acks_late=True, reject_on_worker_lost=True)
def renew_archives_task() -> int:
    """Renew the B-LTA archives whose last timestamp expires soon; returns how many."""
    return len(services.renew_due_archives().renewed)
