"""Notifications: who is told of what, immediate e-mails or a daily digest, reminders of late
steps at most once a day, and the idempotency of the background work."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from freezegun import freeze_time

from tests.factories.workflow import DelegationFactory, make_circuit, visa
from tests.workflow.conftest import project
from workflow import services, tasks
from workflow.enums import NotificationKind, NotificationMode
from workflow.exceptions import EmailNotSent, NotAuthorised
from workflow.models import Notification, NotificationPreference, StepRun
from workflow.services.notifications import create_notifications


def notified(kind=None):
    rows = Notification.objects.order_by("user__username")
    if kind:
        rows = rows.filter(kind=kind)
    return list(rows.values_list("user__username", "kind"))


@pytest.fixture
def started(collectivite, clerk, preparation, django_capture_on_commit_callbacks):
    act = project(collectivite, clerk)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.start_circuit(act=act, actor=clerk)
    return act, run


def test_assignees_are_notified_and_emailed_at_once(started, dgs):
    assert notified() == [("deputy", "assigned"), ("dgs", "assigned")]
    assert sorted(m.to[0] for m in mail.outbox) == ["deputy@example.org", "dgs@example.org"]
    message = next(m for m in mail.outbox if m.to == ["dgs@example.org"])
    assert message.subject == "[Délibre] A folder is waiting for you"
    assert (
        "The folder “Subvention au comité des fêtes” is waiting for a decision: Visa du DGS."
        in message.body
    )
    assert f"/acts/{started[0].pk}/" in message.body
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


def test_digest_users_get_one_summary_a_day(
    collectivite, clerk, preparation, dgs, django_capture_on_commit_callbacks
):
    NotificationPreference.objects.create(user=dgs, mode=NotificationMode.DAILY_DIGEST)
    for objet in ("Premier", "Second"):
        with django_capture_on_commit_callbacks(execute=True):
            services.start_circuit(act=project(collectivite, clerk, objet=objet), actor=clerk)
    assert sorted(m.to[0] for m in mail.outbox) == ["deputy@example.org"] * 2
    mail.outbox.clear()
    assert services.send_digests() == 1
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["dgs@example.org"], "[Délibre] Your daily summary: 2 notifications")
    ]
    assert "“Premier”" in mail.outbox[0].body and "“Second”" in mail.outbox[0].body
    assert services.send_digests() == 0
    assert len(mail.outbox) == 1


def test_delegates_are_notified_of_their_delegators_steps(
    collectivite, clerk, preparation, dgs, maire, django_capture_on_commit_callbacks
):
    DelegationFactory(collectivite=collectivite, delegator=dgs, delegate=maire)
    with django_capture_on_commit_callbacks(execute=True):
        services.start_circuit(act=project(collectivite, clerk), actor=clerk)
    assert notified() == [("deputy", "assigned"), ("dgs", "assigned"), ("maire", "assigned")]


def test_rejection_and_completion_tell_the_drafter_and_the_sender(
    collectivite, clerk, admin, preparation, dgs, adjointe, django_capture_on_commit_callbacks
):
    act = project(collectivite, clerk)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.start_circuit(act=act, actor=admin)
        services.reject_step(
            step_run=StepRun.objects.get(run=run, position=1), actor=dgs, reason="Pièce manquante"
        )
    assert notified(NotificationKind.REJECTED) == [("admin", "rejected"), ("clerk", "rejected")]
    assert Notification.objects.get(user=clerk, kind="rejected").message == (
        "The folder “Subvention au comité des fêtes” was rejected at the step “Visa du DGS” by "
        "Valérie Moreau: Pièce manquante"
    )
    act.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        run = services.start_circuit(act=act, actor=clerk)
        services.approve_step(step_run=StepRun.objects.get(run=run, position=1), actor=dgs)
        services.approve_step(step_run=StepRun.objects.get(run=run, position=2), actor=adjointe)
    assert notified(NotificationKind.COMPLETED) == [("clerk", "completed")]
    assert Notification.objects.get(kind="completed").message == (
        "The circuit “Préparation des délibérations” of the folder “Subvention au comité des "
        "fêtes” is complete."
    )


def test_opinion_request_and_answer_are_notified(
    started, dgs, maire, django_capture_on_commit_callbacks
):
    _act, run = started
    with django_capture_on_commit_callbacks(execute=True):
        opinion = services.request_opinion(
            step_run=StepRun.objects.get(run=run, position=1),
            actor=dgs,
            requested_from=maire,
            question="Accord ?",
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_opinion(opinion=opinion, actor=maire, answer="Oui")
    assert notified(NotificationKind.OPINION_REQUESTED) == [("maire", "opinion_requested")]
    assert notified(NotificationKind.OPINION_ANSWERED) == [("dgs", "opinion_answered")]


def test_the_same_fact_is_notified_once(started):
    _act, run = started
    step = StepRun.objects.get(run=run, position=1)
    mail.outbox.clear()
    assert tasks.deliver_notifications.delay(kind="assigned", step_run_id=step.pk).get() == 0
    assert (Notification.objects.count(), len(mail.outbox)) == (2, 0)


def test_reminders_once_a_day_for_late_steps(collectivite, admin, clerk, maire):
    make_circuit(collectivite, admin, visa("Visa du Maire", maire, deadline_days=2), name="Vite")
    with freeze_time("2026-03-02 09:00:00+01:00"):
        run = services.start_circuit(act=project(collectivite, clerk), actor=clerk)
    step = StepRun.objects.get(run=run)
    assert step.deadline == dt.date(2026, 3, 4)
    with freeze_time("2026-03-04 08:00:00+01:00"):
        assert services.send_reminders() == 0
    with freeze_time("2026-03-05 08:00:00+01:00"):
        assert services.send_reminders() == 1
        assert services.send_reminders() == 0
    with freeze_time("2026-03-05 18:00:00+01:00"):
        assert services.send_reminders() == 0
    with freeze_time("2026-03-06 07:30:00+01:00"):
        call_command("send_reminders")
    reminders = Notification.objects.filter(kind=NotificationKind.REMINDER).order_by("created_at")
    assert [(n.user.username, n.key) for n in reminders] == [
        ("maire", f"step:{step.pk}:reminder:2026-03-05"),
        ("maire", f"step:{step.pk}:reminder:2026-03-06"),
    ]
    assert reminders[0].message == (
        "The folder “Subvention au comité des fêtes” is late at the step “Visa du Maire” "
        "(deadline: March 4, 2026)."
    )
    assert [m.subject for m in mail.outbox] == ["[Délibre] A folder is late"] * 2


def test_no_reminder_once_the_step_is_decided(collectivite, admin, clerk, maire):
    make_circuit(collectivite, admin, visa("Visa", maire, deadline_days=1), name="Vite")
    with freeze_time("2026-03-02 09:00:00+01:00"):
        run = services.start_circuit(act=project(collectivite, clerk), actor=clerk)
        services.approve_step(step_run=StepRun.objects.get(run=run), actor=maire)
    with freeze_time("2026-03-10 09:00:00+01:00"):
        assert services.send_reminders() == 0


def test_preferences_and_reading(started, dgs, deputy_dgs):
    services.set_notification_preference(user=dgs, actor=dgs, mode="daily_digest")
    assert NotificationPreference.objects.get(user=dgs).mode == "daily_digest"
    with pytest.raises(NotAuthorised) as info:
        services.set_notification_preference(user=dgs, actor=deputy_dgs, mode="immediate")
    assert str(info.value) == "Each person chooses how they are notified."
    mine = Notification.objects.filter(user=dgs)
    with pytest.raises(NotAuthorised) as info:
        services.mark_read(notifications=mine, actor=deputy_dgs)
    assert str(info.value) == "You can only mark your own notifications."
    assert services.mark_read(notifications=mine, actor=dgs) == 1
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


def test_digest_command(started, dgs):
    NotificationPreference.objects.create(user=dgs, mode=NotificationMode.DAILY_DIGEST)
    Notification.objects.filter(user=dgs).update(emailed_at=None)
    call_command("send_digests")
    assert mail.outbox[-1].to == ["dgs@example.org"]


class DownBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_an_email_the_server_refused_is_sent_by_the_next_delivery(
    collectivite, clerk, preparation, dgs, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.workflow.test_notifications.DownBackend"
    with django_capture_on_commit_callbacks(execute=True):  # in-process: nothing raised
        run = services.start_circuit(act=project(collectivite, clerk), actor=clerk)
    step = StepRun.objects.get(run=run, position=1)
    assert notified() == [("deputy", "assigned"), ("dgs", "assigned")]
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 2
    with pytest.raises(EmailNotSent):  # on a worker: the task retries later
        create_notifications(kind="assigned", step_run_id=step.pk, strict_email=True)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert tasks.deliver_notifications.delay(kind="assigned", step_run_id=step.pk).get() == 0

    assert sorted(m.to[0] for m in mail.outbox) == ["deputy@example.org", "dgs@example.org"]
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0
    assert Notification.objects.count() == 2
