"""Background work of the workflow app (thin: primitive ids in, one service call; STYLE.md §7).

Queued after commit; with no broker they run eagerly in-process (DESIGN.md decision 10). The
beat schedule (config/settings.py CELERY_BEAT_SCHEDULE) runs reminders, digests and anchors.
Each is safe to run again (docs/adr/0008-background-work.md): a notification has a unique key
per user and an e-mail is marked once sent; a step is reminded once a day (claimed first); a
digest marks what it sent; an anchor seals only heads that changed.
"""

from __future__ import annotations

from celery import shared_task

from .exceptions import EmailNotSent
from .journal import anchor_heads
from .services import notifications

#: Notification e-mails the mail server refused are tried again after 1, 2, 4, 8 and 16 minutes.
EMAIL_RETRIES = 5


@shared_task(name="workflow.deliver_notifications", bind=True, max_retries=EMAIL_RETRIES)
def deliver_notifications(  # type: ignore[no-untyped-def]
    self,
    *,
    kind: str,
    step_run_id: int | None = None,
    run_id: int | None = None,
    opinion_id: int | None = None,
    exclude_user_id: int | None = None,
) -> int:
    try:
        created = notifications.create_notifications(
            kind=kind,
            step_run_id=step_run_id,
            run_id=run_id,
            opinion_id=opinion_id,
            exclude_user_id=exclude_user_id,
            # In-process (no broker) the request that queued it must not wait for retries.
            strict_email=not self.request.is_eager,
        )
    except EmailNotSent as exc:
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc
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
