"""Background work of the signing app (thin: primitive ids in, one service call; STYLE.md §7).

``signing.run_batch`` is queued after commit by ``services.start_batch``; with no broker it runs
eagerly in-process (DESIGN.md decision 10). ``signing.renew_archives`` runs daily from the beat
schedule (config/settings.py).
"""

from __future__ import annotations

from celery import shared_task

from . import services
from .services.batches import open_secret


@shared_task(name="signing.run_batch", acks_late=True)
def run_batch_task(*, batch_id: int, sealed_password: str) -> int:
    """Sign the pending items of a batch; returns how many are signed."""
    batch = services.run_batch(batch_id=batch_id, password=open_secret(sealed_password))
    return batch.signed_count


@shared_task(name="signing.renew_archives")
def renew_archives_task() -> int:
    """Renew the B-LTA archives whose last timestamp expires soon; returns how many."""
    return len(services.renew_due_archives().renewed)
