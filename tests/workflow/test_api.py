"""The REST API of the parapheur: same permission checks as the pages, 400/403/404/409 answers,
and nobody sees another collectivité's objects."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from deliberations.enums import ActStatus
from tests.factories.workflow import DelegationFactory
from tests.workflow.conftest import project
from workflow import services
from workflow.journal import event_hash
from workflow.models import AuditEvent, Circuit, Delegation, Notification, StepRun


@pytest.fixture
def api():
    return APIClient()


def as_user(api, user):
    api.force_authenticate(user)
    return api


@pytest.fixture
def sent(collectivite, clerk, preparation):
    act = project(collectivite, clerk)
    run = services.start_circuit(act=act, actor=clerk)
    return act, run, StepRun.objects.get(run=run, position=1)


def test_anonymous_is_refused(api, collectivite):
    assert api.get("/api/inbox/").status_code == 403
    assert api.get("/api/circuits/").status_code == 403


def test_admin_creates_a_circuit_others_are_refused(api, collectivite, admin, clerk, desk, maire):
    payload = {
        "collectivite": collectivite.pk,
        "name": "Arrêtés du maire",
        "phase": "preparation",
        "act_types": ["arrete"],
        "is_default": True,
        "steps": [
            {"kind": "visa", "label": "Visa du DGS", "groups": [desk.pk], "deadline_days": 2},
            {
                "kind": "signature",
                "label": "Signature du Maire",
                "users": [maire.pk],
                "signer_quality": "Le Maire",
            },
        ],
    }
    refused = as_user(api, clerk).post("/api/circuits/", payload, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    created = as_user(api, admin).post("/api/circuits/", payload, format="json")
    assert created.status_code == 201
    body = created.json()
    assert [(s["position"], s["kind"], s["users"], s["groups"]) for s in body["steps"]] == [
        (1, "visa", [], [desk.pk]),
        (2, "signature", [maire.pk], []),
    ]
    invalid = api.post(
        "/api/circuits/",
        {**payload, "name": "Autre", "act_types": ["deliberation"]},
        format="json",
    )
    assert invalid.status_code == 400
    assert invalid.json()["detail"].startswith("Step 2: a preparation circuit that applies")
    changed = api.patch(
        f"/api/circuits/{body['id']}/",
        {"steps": [{"kind": "visa", "label": "Visa seul", "users": [maire.pk]}]},
        format="json",
    )
    assert [s["label"] for s in changed.json()["steps"]] == ["Visa seul"]
    assert api.post(f"/api/circuits/{body['id']}/deactivate/").json()["is_active"] is False


def test_circuits_and_desks_are_scoped(api, collectivite, preparation, desk, outsider):
    client = as_user(api, outsider)
    assert client.get("/api/circuits/").json()["results"] == []
    assert client.get(f"/api/circuits/{preparation.pk}/").status_code == 404
    assert client.get(f"/api/assignee-groups/{desk.pk}/").status_code == 404
    refused = client.post(
        "/api/circuits/",
        {
            "collectivite": collectivite.pk,
            "name": "Intrus",
            "phase": "preparation",
            "steps": [{"kind": "visa", "label": "V", "groups": [desk.pk]}],
        },
        format="json",
    )
    assert refused.status_code == 400
    assert Circuit.objects.count() == 1


def test_desks_through_the_api(api, collectivite, admin, dgs, clerk):
    client = as_user(api, admin)
    created = client.post(
        "/api/assignee-groups/",
        {"collectivite": collectivite.pk, "name": "Finances", "members": [dgs.pk]},
        format="json",
    )
    assert (created.status_code, created.json()["members"]) == (201, [dgs.pk])
    pk = created.json()["id"]
    assert client.patch(
        f"/api/assignee-groups/{pk}/", {"members": [dgs.pk, clerk.pk]}, format="json"
    ).json()["members"] == sorted([dgs.pk, clerk.pk])
    assert client.post(f"/api/assignee-groups/{pk}/deactivate/").json()["is_active"] is False


def test_start_circuit_permissions_and_conflicts(
    api, collectivite, clerk, dgs, outsider, preparation
):
    act = project(collectivite, clerk)
    refused = as_user(api, dgs).post(f"/api/acts/{act.pk}/start-circuit/", {}, format="json")
    assert refused.status_code == 403
    assert as_user(api, outsider).post(f"/api/acts/{act.pk}/start-circuit/").status_code == 404
    started = as_user(api, clerk).post(f"/api/acts/{act.pk}/start-circuit/", {}, format="json")
    assert started.status_code == 201
    assert [s["status"] for s in started.json()["steps"]] == ["active", "pending"]
    again = api.post(f"/api/acts/{act.pk}/start-circuit/", {}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "transition_refused")
    runs = api.get(f"/api/acts/{act.pk}/runs/").json()
    assert [r["circuit_name"] for r in runs] == ["Préparation des délibérations"]
    assert [r["id"] for r in api.get(f"/api/runs/?act={act.pk}").json()["results"]] == [
        runs[0]["id"]
    ]


def test_decisions_through_the_api(api, sent, dgs, deputy_dgs, clerk, adjointe):
    act, run, first = sent
    assert as_user(api, clerk).post(f"/api/step-runs/{first.pk}/approve/").status_code == 403
    approved = as_user(api, dgs).post(
        f"/api/step-runs/{first.pk}/approve/", {"comment": "Vu"}, format="json"
    )
    assert approved.status_code == 200
    assert [(d["action"], d["actor_name"], d["comment"]) for d in approved.json()["decisions"]] == [
        ("approve", "Valérie Moreau", "Vu")
    ]
    late = as_user(api, deputy_dgs).post(f"/api/step-runs/{first.pk}/approve/")
    assert (late.status_code, late.json()["code"]) == (409, "already_decided")
    second = StepRun.objects.get(run=run, position=2)
    no_reason = as_user(api, adjointe).post(
        f"/api/step-runs/{second.pk}/reject/", {"reason": ""}, format="json"
    )
    assert (no_reason.status_code, no_reason.json()["field"]) == (400, "reason")
    rejected = api.post(
        f"/api/step-runs/{second.pk}/reject/", {"reason": "Chiffrer"}, format="json"
    )
    assert (rejected.status_code, rejected.json()["status"]) == (200, "returned")
    act.refresh_from_db()
    assert act.status == ActStatus.RETURNED


def test_skip_opinion_and_recall_through_the_api(api, sent, admin, dgs, clerk, maire):
    _act, run, first = sent
    assert (
        as_user(api, dgs)
        .post(f"/api/step-runs/{first.pk}/skip/", {"reason": "x"}, format="json")
        .status_code
        == 403
    )
    asked = api.post(
        f"/api/step-runs/{first.pk}/request-opinion/",
        {"requested_from": maire.pk, "question": "Avis ?"},
        format="json",
    )
    assert asked.status_code == 201
    opinion = asked.json()["id"]
    assert (
        as_user(api, dgs)
        .post(f"/api/opinions/{opinion}/answer/", {"answer": "Oui"}, format="json")
        .status_code
        == 403
    )
    mine = as_user(api, maire).get("/api/opinions/").json()["results"]
    assert [o["question"] for o in mine] == ["Avis ?"]
    answered = api.post(f"/api/opinions/{opinion}/answer/", {"answer": "Oui"}, format="json")
    assert (answered.status_code, answered.json()["answer"]) == (200, "Oui")
    refused = as_user(api, clerk).post(f"/api/runs/{run.pk}/recall/", {}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (409, "already_decided")
    skipped = as_user(api, admin).post(
        f"/api/step-runs/{first.pk}/skip/", {"reason": "Absent"}, format="json"
    )
    assert (skipped.status_code, skipped.json()["status"]) == (200, "skipped")


def test_recall_through_the_api(api, sent, clerk):
    act, run, _first = sent
    recalled = as_user(api, clerk).post(f"/api/runs/{run.pk}/recall/", {}, format="json")
    assert (recalled.status_code, recalled.json()["status"]) == (200, "recalled")
    act.refresh_from_db()
    assert act.status == ActStatus.DRAFT


def test_another_collectivite_sees_nothing(api, sent, outsider):
    act, run, first = sent
    client = as_user(api, outsider)
    assert client.get(f"/api/step-runs/{first.pk}/").status_code == 404
    assert client.post(f"/api/step-runs/{first.pk}/approve/").status_code == 404
    assert client.get(f"/api/runs/{run.pk}/").status_code == 404
    assert client.get(f"/api/acts/{act.pk}/runs/").status_code == 404
    assert client.get(f"/api/journal/?object=act:{act.pk}").status_code == 404
    assert client.get("/api/inbox/").json() == []
    first.refresh_from_db()
    assert first.status == "active"


def test_inbox_through_the_api(api, sent, dgs):
    act, _run, first = sent
    items = as_user(api, dgs).get("/api/inbox/").json()
    assert [(i["kind"], i["act"], i["step_run"], i["late"], i["on_behalf_of"]) for i in items] == [
        ("step", act.pk, first.pk, False, None)
    ]


def test_delegations_through_the_api(api, collectivite, maire, adjointe, dgs, outsider):
    today = timezone.localdate()
    created = as_user(api, maire).post(
        "/api/delegations/",
        {
            "collectivite": collectivite.pk,
            "delegate": adjointe.pk,
            "starts_on": today.isoformat(),
            "ends_on": (today + dt.timedelta(days=30)).isoformat(),
            "act_types": ["arrete"],
            "matiere_codes": ["7"],
            "quality": "Adjointe déléguée aux finances",
        },
        format="json",
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["delegator"], body["delegate"], body["mention"]) == (
        maire.pk,
        adjointe.pk,
        "Pour Marie DUPONT et par délégation, Sophie LEFÈVRE, Adjointe déléguée aux finances",
    )
    assert [d["id"] for d in as_user(api, adjointe).get("/api/delegations/").json()["results"]] == [
        body["id"]
    ]
    assert as_user(api, dgs).get("/api/delegations/").json()["results"] == []
    assert as_user(api, outsider).get(f"/api/delegations/{body['id']}/").status_code == 404
    assert as_user(api, adjointe).post(f"/api/delegations/{body['id']}/revoke/").status_code == 403
    revoked = as_user(api, maire).post(f"/api/delegations/{body['id']}/revoke/")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert Delegation.objects.get().revoked_by == maire


def test_delegate_cannot_revoke_a_visible_delegation(api, collectivite, maire, adjointe):
    delegation = DelegationFactory(collectivite=collectivite, delegator=maire, delegate=adjointe)
    assert as_user(api, adjointe).get(f"/api/delegations/{delegation.pk}/").status_code == 200
    refused = api.post(f"/api/delegations/{delegation.pk}/revoke/")
    assert (refused.status_code, refused.json()["code"]) == (403, "not_authorised")


def test_notifications_and_preference(
    api, collectivite, clerk, preparation, dgs, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.start_circuit(act=project(collectivite, clerk), actor=clerk)
    client = as_user(api, dgs)
    rows = client.get("/api/notifications/").json()["results"]
    assert [(n["kind"], n["read_at"]) for n in rows] == [("assigned", None)]
    assert client.post(f"/api/notifications/{rows[0]['id']}/read/").status_code == 204
    assert Notification.objects.get(pk=rows[0]["id"]).read_at is not None
    assert client.post("/api/notifications/read-all/").status_code == 204
    assert client.get("/api/notification-preference/").json() == {"mode": "immediate"}
    assert client.put(
        "/api/notification-preference/", {"mode": "daily_digest"}, format="json"
    ).json() == {"mode": "daily_digest"}
    assert (
        client.put("/api/notification-preference/", {"mode": "x"}, format="json").status_code == 400
    )


def test_journal_of_an_act_and_its_export(api, sent, dgs, clerk, admin, collectivite):
    act, _run, first = sent
    services.approve_step(step_run=first, actor=dgs)
    page = as_user(api, clerk).get(f"/api/journal/?object=act:{act.pk}").json()
    assert [e["action"] for e in page["results"]] == [
        "act.created",
        "act.circuit.started",
        "act.circuit.approved",
    ]
    export = api.get(f"/api/journal/export/?object=act:{act.pk}")
    assert export["Content-Type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in b"".join(export.streaming_content).decode().splitlines()]
    assert [line["seq"] for line in lines] == [1, 2, 3]
    stored = AuditEvent.objects.get(chain__key=f"act:{act.pk}", seq=3)
    assert lines[2]["hash"] == stored.hash == event_hash(stored, f"act:{act.pk}")
    refused = api.get(f"/api/journal/?object=collectivite:{collectivite.pk}")
    assert refused.status_code == 403
    assert (
        as_user(api, admin).get(f"/api/journal/?object=collectivite:{collectivite.pk}").status_code
        == 200
    )
    assert api.get("/api/journal/").status_code == 404
    assert api.get("/api/journal/?object=act:x").status_code == 404


def test_openapi_schema_lists_the_parapheur(api, clerk):
    schema = as_user(api, clerk).get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert {
        "/api/acts/{act_pk}/start-circuit/",
        "/api/step-runs/{id}/approve/",
        "/api/step-runs/{id}/request-opinion/",
        "/api/opinions/{id}/answer/",
        "/api/runs/{id}/recall/",
        "/api/inbox/",
        "/api/journal/",
        "/api/journal/export/",
    } <= set(paths)
