"""The parapheur's pages: the act's decision panel, the inbox, circuits, delegations and
notifications — thin views calling the services, refusals shown without changing anything."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from deliberations.enums import ActStatus, ActType
from tests.workflow.conftest import project
from workflow import services
from workflow.enums import StepStatus
from workflow.models import AssigneeGroup, Circuit, Decision, Delegation, Notification, StepRun


def login(client, user):
    client.force_login(user)
    return client


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def sent(collectivite, clerk, preparation):
    act = project(collectivite, clerk)
    run = services.start_circuit(act=act, actor=clerk)
    return act, StepRun.objects.get(run=run, position=1)


def test_act_page_proposes_the_circuit_before_direct_validation(
    client, collectivite, clerk, dgs, preparation
):
    act = project(collectivite, clerk)
    page = login(client, clerk).get(reverse("act-detail", args=[act.pk]))
    content = page.content.decode()
    assert "Send to circuit" in content
    assert "Validate without circuit" not in content
    page = login(client, dgs).get(reverse("act-detail", args=[act.pk]))
    assert "Validate without circuit" not in page.content.decode()
    assert 'class="help-box"' in page.content.decode()


def test_direct_validation_stays_when_no_circuit_applies(client, collectivite, clerk, dgs):
    act = project(collectivite, clerk, act_type=ActType.CONTRACT)
    page = login(client, dgs).get(reverse("act-detail", args=[act.pk]))
    content = page.content.decode()
    assert "Validate without circuit" in content
    assert "No circuit applies to this act: a validator can validate it directly." in content


def test_send_approve_and_reject_from_the_act_page(
    client, collectivite, clerk, preparation, dgs, adjointe
):
    act = project(collectivite, clerk)
    response = login(client, clerk).post(
        reverse("circuit-start", args=[act.pk]), {"circuit": preparation.pk}, follow=True
    )
    assert messages_of(response) == ["The folder was sent into its circuit."]
    first = StepRun.objects.get(run__act=act, position=1)
    page = login(client, dgs).get(reverse("act-detail", args=[act.pk]))
    assert "Give my visa" in page.content.decode()
    client.post(reverse("step-approve", args=[first.pk]), {"comment": "Vu"})
    second = StepRun.objects.get(run__act=act, position=2)
    response = login(client, adjointe).post(
        reverse("step-reject", args=[second.pk]), {"reason": ""}, follow=True
    )
    assert messages_of(response) == ["Your approval was recorded.", "This field is required."]
    second.refresh_from_db()
    assert second.status == StepStatus.ACTIVE
    response = client.post(
        reverse("step-reject", args=[second.pk]), {"reason": "Chiffrer"}, follow=True
    )
    assert messages_of(response) == ["The folder was rejected and returned."]
    act.refresh_from_db()
    assert act.status == ActStatus.RETURNED
    content = login(client, clerk).get(reverse("act-detail", args=[act.pk])).content.decode()
    assert "Chiffrer" in content and "Earlier runs" in content
    # The reason is shown open, above the history, with what to do next.
    alert = content[content.index('class="alert alert--warning" role="status"') :]
    alert = alert[: alert.index("</div>")]
    assert f"Returned by {adjointe.display_name} on" in alert
    assert '<blockquote class="decision-comment">Chiffrer</blockquote>' in alert
    assert "then send it into the circuit again" in alert


def test_a_refused_decision_is_shown_and_changes_nothing(client, sent, clerk):
    _act, first = sent
    response = login(client, clerk).post(
        reverse("step-approve", args=[first.pk]), {"comment": ""}, follow=True
    )
    assert messages_of(response) == [
        "You cannot decide on this step: you are not one of its assignees, neither directly, "
        "nor through a desk, nor by a delegation in force for this act. If you should be, ask "
        "an administrator to check the circuit and its desks."
    ]
    assert Decision.objects.count() == 0


def test_opinion_and_recall_from_the_act_page(client, collectivite, clerk, preparation, dgs, maire):
    act = project(collectivite, clerk)
    run = services.start_circuit(act=act, actor=clerk)
    page = login(client, clerk).get(reverse("act-detail", args=[act.pk]))
    assert "Recall the folder" in page.content.decode()
    first = StepRun.objects.get(run=run, position=1)
    login(client, dgs).post(
        reverse("step-opinion", args=[first.pk]), {"requested_from": maire.pk, "question": "OK ?"}
    )
    page = login(client, maire).get(reverse("act-detail", args=[act.pk]))
    assert "Send my opinion back" in page.content.decode()
    opinion = first.opinions.get()
    client.post(reverse("opinion-answer", args=[opinion.pk]), {"answer": "Oui"})
    opinion.refresh_from_db()
    assert opinion.answer == "Oui"
    response = login(client, clerk).post(reverse("run-recall", args=[run.pk]), {}, follow=True)
    assert messages_of(response) == [
        "Your opinion was sent back.",
        "Someone has already acted on this folder: it can no longer be recalled.",
    ]


def test_other_collectivite_gets_404_on_every_action(client, sent, outsider):
    act, first = sent
    login(client, outsider)
    for url in (
        reverse("circuit-start", args=[act.pk]),
        reverse("step-approve", args=[first.pk]),
        reverse("step-reject", args=[first.pk]),
        reverse("step-skip", args=[first.pk]),
        reverse("step-opinion", args=[first.pk]),
        reverse("run-recall", args=[first.run_id]),
    ):
        assert client.post(url, {"reason": "x"}).status_code == 404
    first.refresh_from_db()
    assert first.status == StepStatus.ACTIVE


def test_inbox_page_and_menu_badge(client, sent, dgs):
    act, _first = sent
    page = login(client, dgs).get(reverse("inbox"))
    content = page.content.decode()
    assert [item.act for item in page.context["items"]] == [act]
    assert page.context["inbox_count"] == 1
    assert '<span class="nav-count"' in content
    assert 'class="help-box"' in content


def test_circuit_settings_are_for_administrators(client, collectivite, clerk, admin, preparation):
    assert login(client, clerk).get(reverse("circuit-settings")).status_code == 404
    page = login(client, admin).get(reverse("circuit-settings"))
    assert page.status_code == 200
    assert "Préparation des délibérations" in page.content.decode()
    settings_page = client.get(reverse("settings"))
    assert reverse("circuit-settings") in settings_page.content.decode()


def _formset(rows, total=3):
    data = {
        "steps-TOTAL_FORMS": str(total),
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "30",
    }
    for index in range(total):
        row = rows[index] if index < len(rows) else {}
        data[f"steps-{index}-kind"] = row.get("kind", "visa")
        data[f"steps-{index}-mode"] = row.get("mode", "one")
        for key in ("label", "deadline_days", "signer_quality"):
            if key in row:
                data[f"steps-{index}-{key}"] = row[key]
        for key in ("users", "groups"):
            if key in row:
                data[f"steps-{index}-{key}"] = row[key]
    return data


def test_create_edit_and_deactivate_a_circuit_from_the_page(
    client, collectivite, admin, desk, maire
):
    login(client, admin)
    response = client.post(
        reverse("circuit-settings"),
        {
            "name": "Arrêtés",
            "phase": "preparation",
            "act_types": ["arrete"],
            "is_default": "on",
            **_formset(
                [
                    {"label": "Visa du DGS", "groups": [desk.pk], "deadline_days": "2"},
                    {
                        "kind": "signature",
                        "label": "Signature du Maire",
                        "users": [maire.pk],
                        "signer_quality": "Le Maire",
                    },
                ]
            ),
        },
        follow=True,
    )
    assert messages_of(response) == ["The circuit was created."]
    circuit = Circuit.objects.get(name="Arrêtés")
    assert list(circuit.steps.values_list("position", "kind", "label")) == [
        (1, "visa", "Visa du DGS"),
        (2, "signature", "Signature du Maire"),
    ]
    refused = client.post(
        reverse("circuit-settings"),
        {"name": "Vide", "phase": "preparation", **_formset([])},
    )
    assert refused.status_code == 200
    assert refused.context["form"].errors == {"__all__": ["A circuit needs at least one step."]}
    edit = client.get(reverse("circuit-edit", args=[circuit.pk]))
    assert edit.context["steps"].initial[0]["label"] == "Visa du DGS"
    client.post(
        reverse("circuit-edit", args=[circuit.pk]),
        {
            "name": "Arrêtés du maire",
            "act_types": ["arrete"],
            **_formset([{"kind": "signature", "label": "Signature", "users": [maire.pk]}]),
        },
    )
    circuit.refresh_from_db()
    assert (circuit.name, circuit.steps.count()) == ("Arrêtés du maire", 1)
    client.post(reverse("circuit-deactivate", args=[circuit.pk]))
    circuit.refresh_from_db()
    assert circuit.is_active is False


def test_desks_from_the_page(client, collectivite, admin, dgs, deputy_dgs):
    login(client, admin)
    client.post(reverse("group-create"), {"name": "Finances", "members": [dgs.pk]})
    group = AssigneeGroup.objects.get(name="Finances")
    client.post(
        reverse("group-edit", args=[group.pk]),
        {"name": "Finances", "members": [dgs.pk, deputy_dgs.pk]},
    )
    assert group.members.count() == 2
    client.post(reverse("group-edit", args=[group.pk]), {"deactivate": "1"})
    group.refresh_from_db()
    assert group.is_active is False


def test_delegations_page_creates_and_revokes(client, collectivite, maire, adjointe):
    today = timezone.localdate()
    login(client, maire)
    page = client.get(reverse("delegations"))
    assert "delegator" not in page.context["form"].fields
    response = client.post(
        reverse("delegations"),
        {
            "delegate": adjointe.pk,
            "starts_on": today.isoformat(),
            "ends_on": (today + dt.timedelta(days=10)).isoformat(),
            "act_types": ["arrete"],
            "matiere_codes": "7, 3.1",
            "quality": "Adjointe déléguée aux finances",
            "reference": "",
        },
        follow=True,
    )
    assert messages_of(response) == ["The delegation was recorded."]
    delegation = Delegation.objects.get()
    assert (delegation.delegator, delegation.matiere_codes) == (maire, ["3.1", "7"])
    assert "Pour Marie DUPONT et par délégation, Sophie LEFÈVRE" in response.content.decode()
    login(client, adjointe).post(reverse("delegation-revoke", args=[delegation.pk]))
    delegation.refresh_from_db()
    assert delegation.revoked_at is None
    login(client, maire).post(reverse("delegation-revoke", args=[delegation.pk]))
    delegation.refresh_from_db()
    assert delegation.revoked_at is not None


def test_notifications_page(
    client, collectivite, clerk, preparation, dgs, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.start_circuit(act=project(collectivite, clerk), actor=clerk)
    login(client, dgs)
    page = client.get(reverse("notifications"))
    assert [n.kind for n in page.context["notifications"]] == ["assigned"]
    client.post(reverse("notifications"), {"mode": "daily_digest"})
    assert dgs.notification_preference.mode == "daily_digest"
    client.post(reverse("notifications-read"))
    assert Notification.objects.filter(read_at__isnull=True).count() == 1
