"""Background work of the workflow app (thin: primitive ids in, one service call; STYLE.md §7).

Queued after commit; with no broker they run eagerly in-process (DESIGN.md decision 10). The
beat schedule (config/settings.py CELERY_BEAT_SCHEDULE) runs reminders, digests and anchors.
"""

from __future__ import annotations

from celery import shared_task

from .journal import anchor_heads
from .services import notifications


@shared_task(name="workflow.deliver_notifications")
def deliver_notifications(
    *,
    kind: str,
    step_run_id: int | None = None,
    run_id: int | None = None,
    opinion_id: int | None = None,
    exclude_user_id: int | None = None,
) -> int:
    created = notifications.create_notifications(
        kind=kind,
        step_run_id=step_run_id,
        run_id=run_id,
        opinion_id=opinion_id,
        exclude_user_id=exclude_user_id,
    )
    return len(created)


@shared_task(name="workflow.send_reminders")
def send_reminders() -> int:
    return notifications.send_reminders()


@shared_task(name="workflow.send_digests")
def send_digests() -> int:
    return notifications.send_digests()


@shared_task(name="workflow.anchor_journal")
def anchor_journal() -> int:
    anchor = anchor_heads()
    return anchor.seq if anchor is not None else 0
