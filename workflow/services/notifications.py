"""Telling people: notifications of the parapheur, immediate e-mails, daily digests, reminders.

Decisions only *queue* a notification (``queue_notification``) inside their transaction; the
Celery task runs after commit (eagerly in-process without a broker) and calls
:func:`create_notifications`. Every notification has a key naming the fact it reports, unique
per user, so a task run twice notifies once.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from deliberations.models import Act, User

from ..eligibility import delegation_covers, is_pes_flow, load_entries
from ..enums import DecisionAction, NotificationKind, NotificationMode, RunStatus, StepStatus
from ..exceptions import EmailNotSent, InvalidWorkflowInput, NotAuthorised
from ..models import (
    CircuitRun,
    Decision,
    Delegation,
    Notification,
    NotificationPreference,
    OpinionRequest,
    StepRun,
)

log = logging.getLogger("delibre.notifications")

#: Notifications about a training sandbox's folders stay in the application: nobody is ever
#: e-mailed from a sandbox (docs/adr/0010-training-sandbox.md).
TRAINING_FOLDER = Q(act__collectivite__is_training=True) | Q(flow__collectivite__is_training=True)


def queue_notification(
    kind: NotificationKind,
    *,
    step_run_id: int | None = None,
    run_id: int | None = None,
    opinion_id: int | None = None,
    exclude_user_id: int | None = None,
) -> None:
    """Create the notifications of ``kind`` once the current transaction commits."""
    # workflow.tasks imports the services: importing it here keeps the layers going downhill.
    from .. import tasks

    kwargs = {
        "kind": str(kind),
        "step_run_id": step_run_id,
        "run_id": run_id,
        "opinion_id": opinion_id,
        "exclude_user_id": exclude_user_id,
    }
    transaction.on_commit(lambda: tasks.deliver_notifications.delay(**kwargs))


def act_url(act: Any) -> str:
    """The page of a folder: an act's page, or a PES flow's (the "visionneuse")."""
    if is_pes_flow(act):
        return settings.PUBLIC_URL + reverse("pes-flow-detail", args=[act.pk])
    return settings.PUBLIC_URL + reverse("act-detail", args=[act.pk])


def _title(folder: Any) -> str:
    return folder.title if is_pes_flow(folder) else folder.objet


def _about(folder: Any) -> dict[str, Any]:
    """The Notification field naming the folder."""
    return {"flow": folder} if is_pes_flow(folder) else {"act": folder}


def step_recipients(step: StepRun, act: Any, *, day: dt.date | None = None) -> set[int]:
    """Assignees of a step (desk members included) and their delegates in force for the folder
    (an act, or a PES flow)."""
    day = day or timezone.localdate()
    entries = load_entries(step.pk)
    persons = {e.user_id for e in entries if e.user_id} | {m for e in entries for m in e.members}
    delegates = {
        d.delegate_id
        for d in Delegation.objects.filter(
            collectivite_id=act.collectivite_id,
            delegator_id__in=persons,
            revoked_at__isnull=True,
            starts_on__lte=day,
            ends_on__gte=day,
        )
        if delegation_covers(d, act)
    }
    return persons | delegates


def _plan(
    kind: str,
    *,
    step_run_id: int | None,
    run_id: int | None,
    opinion_id: int | None,
    day: dt.date,
) -> tuple[Act, set[int], str, str] | None:
    """(act, recipients, message, key) of a notification, or None when it no longer applies."""
    if kind in (NotificationKind.ASSIGNED, NotificationKind.REMINDER):
        step = StepRun.objects.select_related("run__act__matiere", "run__flow").get(pk=step_run_id)
        if step.status != StepStatus.ACTIVE or step.run.status != RunStatus.ACTIVE:
            return None
        act = step.run.folder
        if kind == NotificationKind.ASSIGNED:
            message = _("The folder “%(objet)s” is waiting for a decision: %(step)s.") % {
                "objet": _title(act),
                "step": step.label,
            }
            key = f"step:{step.pk}:assigned"
        else:
            message = _(
                "The folder “%(objet)s” is late at the step “%(step)s” (deadline: %(date)s)."
            ) % {
                "objet": _title(act),
                "step": step.label,
                "date": date_format(step.deadline) if step.deadline else "—",
            }
            key = f"step:{step.pk}:reminder:{day.isoformat()}"
        return act, step_recipients(step, act, day=day), message, key
    if kind in (NotificationKind.REJECTED, NotificationKind.COMPLETED):
        run = CircuitRun.objects.select_related("act", "flow").get(pk=run_id)
        act = run.folder
        author = act.created_by_id if run.flow_id is not None else act.drafter_id
        recipients = {author, run.started_by_id}
        if kind == NotificationKind.REJECTED:
            rejection = (
                Decision.objects.filter(step_run__run=run, action=DecisionAction.REJECT)
                .select_related("step_run", "actor")
                .order_by("-created_at")
                .first()
            )
            message = _(
                "The folder “%(objet)s” was rejected at the step “%(step)s” by %(name)s: %(reason)s"
            ) % {
                "objet": _title(act),
                "step": rejection.step_run.label if rejection else "",
                "name": rejection.actor.display_name if rejection else "",
                "reason": rejection.comment if rejection else "",
            }
            key = f"run:{run.pk}:rejected"
        else:
            message = _("The circuit “%(circuit)s” of the folder “%(objet)s” is complete.") % {
                "circuit": run.circuit_name,
                "objet": _title(act),
            }
            key = f"run:{run.pk}:completed"
        return act, recipients, message, key
    opinion = OpinionRequest.objects.select_related(
        "step_run__run__act", "step_run__run__flow", "requested_by", "requested_from"
    ).get(pk=opinion_id)
    act = opinion.step_run.run.folder
    if kind == NotificationKind.OPINION_REQUESTED:
        message = _("%(name)s asks for your opinion on the folder “%(objet)s”: %(question)s") % {
            "name": opinion.requested_by.display_name,
            "objet": _title(act),
            "question": opinion.question,
        }
        return act, {opinion.requested_from_id}, message, f"opinion:{opinion.pk}:requested"
    message = _("%(name)s gave an opinion on the folder “%(objet)s”: %(answer)s") % {
        "name": opinion.requested_from.display_name,
        "objet": _title(act),
        "answer": opinion.answer,
    }
    return act, {opinion.requested_by_id}, message, f"opinion:{opinion.pk}:answered"


def create_notifications(
    *,
    kind: str,
    step_run_id: int | None = None,
    run_id: int | None = None,
    opinion_id: int | None = None,
    exclude_user_id: int | None = None,
    now: dt.datetime | None = None,
    strict_email: bool = False,
) -> list[Notification]:
    """Create the notifications of one fact and e-mail those whose owner wants them at once.

    Idempotent: a fact already notified to a user is not notified again, and an immediate
    e-mail not sent yet (a run stopped in the middle, the mail server down) is sent by the next
    run. Messages are written in the site's language (settings.LANGUAGE_CODE). Returns the
    notifications created now. ``strict_email`` (the task on a worker): raise
    :class:`EmailNotSent` once everything else is done when an e-mail could not be sent, so
    that the task tries again later.
    """
    now = now or timezone.now()
    day = timezone.localtime(now).date()
    with translation.override(settings.LANGUAGE_CODE):
        plan = _plan(kind, step_run_id=step_run_id, run_id=run_id, opinion_id=opinion_id, day=day)
        if plan is None:
            return []
        act, recipients, message, key = plan
        recipients.discard(exclude_user_id)
        recipients.discard(None)  # type: ignore[arg-type]
        known = set(
            Notification.objects.filter(user_id__in=recipients, key=key).values_list(
                "user_id", flat=True
            )
        )
        created = Notification.objects.bulk_create(
            [
                Notification(
                    user_id=user_id,
                    kind=kind,
                    message=message,
                    key=key,
                    created_at=now,
                    **_about(act),
                )
                for user_id in sorted(recipients - known)
            ],
            ignore_conflicts=True,
        )
        failed = _email_immediately(sorted(recipients), key=key, now=now)
    if failed and strict_email:
        raise EmailNotSent(f"{failed} notification e-mails of {key} not sent")
    return created


def _mode_of(user_ids: Iterable[int]) -> dict[int, str]:
    modes = dict(
        NotificationPreference.objects.filter(user_id__in=list(user_ids)).values_list(
            "user_id", "mode"
        )
    )
    return {pk: modes.get(pk, NotificationMode.IMMEDIATE) for pk in user_ids}


def _send(user: User, subject: str, body: str) -> bool:
    if not user.email:
        return False
    try:
        send_mail(subject, body, None, [user.email], fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("notification e-mail to user %s failed: %s", user.pk, exc)
        return False
    return True


def _email_immediately(user_ids: list[int], *, key: str, now: dt.datetime) -> int:
    """E-mail the notifications ``key`` of these users not e-mailed yet, to those who want them
    at once; returns how many could not be sent."""
    immediate = [
        pk for pk, mode in _mode_of(user_ids).items() if mode == NotificationMode.IMMEDIATE
    ]
    failed = 0
    if not immediate:
        return failed
    for notification in (
        Notification.objects.filter(user_id__in=immediate, key=key, emailed_at__isnull=True)
        .exclude(TRAINING_FOLDER)
        .select_related("user", "act", "flow")
    ):
        body = render_to_string(
            "workflow/email/notification.txt",
            {"notification": notification, "url": act_url(notification.folder)},
        )
        subject = _("[Délibre] %(what)s") % {"what": notification.get_kind_display()}
        if _send(notification.user, subject, body):
            Notification.objects.filter(pk=notification.pk).update(emailed_at=now)
        elif notification.user.email:
            failed += 1
    return failed


def send_digests(*, now: dt.datetime | None = None) -> int:
    """E-mail each user who chose the daily digest everything not yet e-mailed to them.

    Idempotent (what was sent is marked). Returns the number of e-mails sent.
    """
    now = now or timezone.now()
    sent = 0
    user_ids = (
        Notification.objects.filter(emailed_at__isnull=True, created_at__lte=now)
        .exclude(TRAINING_FOLDER)
        .filter(user__notification_preference__mode=NotificationMode.DAILY_DIGEST)
        .values_list("user_id", flat=True)
        .distinct()
    )
    with translation.override(settings.LANGUAGE_CODE):
        for user in User.objects.filter(pk__in=list(user_ids)).order_by("pk"):
            notifications = list(
                Notification.objects.filter(user=user, emailed_at__isnull=True, created_at__lte=now)
                .exclude(TRAINING_FOLDER)
                .select_related("act", "flow")
                .order_by("created_at", "pk")
            )
            body = render_to_string(
                "workflow/email/digest.txt",
                {
                    "user": user,
                    "items": [(n, act_url(n.folder)) for n in notifications],
                    "inbox_url": settings.PUBLIC_URL + reverse("inbox"),
                },
            )
            subject = ngettext(
                "[Délibre] Your daily summary: %(count)d notification",
                "[Délibre] Your daily summary: %(count)d notifications",
                len(notifications),
            ) % {"count": len(notifications)}
            if _send(user, subject, body):
                Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(
                    emailed_at=now
                )
                sent += 1
    return sent


def send_reminders(*, now: dt.datetime | None = None) -> int:
    """Remind the assignees of every late step, at most once per step and per day.

    A step is late the day after its deadline. The step is claimed by a conditional update of
    ``reminded_at`` first, so two workers never remind twice. Returns the number of steps
    reminded.
    """
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    midnight = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    not_today = Q(reminded_at__isnull=True) | Q(reminded_at__lt=midnight)
    late = StepRun.objects.filter(
        status=StepStatus.ACTIVE, run__status=RunStatus.ACTIVE, deadline__lt=today
    ).filter(not_today)
    reminded = 0
    for step_id in list(late.values_list("pk", flat=True).order_by("deadline", "pk")):
        if not StepRun.objects.filter(pk=step_id).filter(not_today).update(reminded_at=now):
            continue
        create_notifications(kind=NotificationKind.REMINDER, step_run_id=step_id, now=now)
        reminded += 1
    return reminded


def set_notification_preference(*, user: User, actor: User, mode: str) -> NotificationPreference:
    """Choose immediate e-mails or one daily digest (each user for themselves)."""
    if actor.pk != user.pk:
        raise NotAuthorised(_("Each person chooses how they are notified."))
    if mode not in NotificationMode.values:
        raise InvalidWorkflowInput(_("Unknown notification mode."), field="mode")
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user, defaults={"mode": mode}
    )
    return preference


def mark_read(*, notifications: Iterable[Notification], actor: User) -> int:
    """Mark the actor's own notifications as read; returns how many changed."""
    chosen = list(notifications)
    if any(n.user_id != actor.pk for n in chosen):
        raise NotAuthorised(_("You can only mark your own notifications."))
    ids = [n.pk for n in chosen]
    return Notification.objects.filter(pk__in=ids, read_at__isnull=True).update(
        read_at=timezone.now()
    )
