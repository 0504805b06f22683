"""The API with wrong types, missing fields, huge strings and unknown ids: a 4xx naming the
problem, never a 500, and nothing changed."""

from __future__ import annotations

import pytest

from .conftest import snapshot

HUGE = "x" * 1_000_000


def _create(client, body):
    return client.post("/api/acts/", body, content_type="application/json")


@pytest.mark.parametrize(
    ("label", "body", "field"),
    [
        ("missing-everything", {}, "objet"),
        ("objet-wrong-type", {"act_type": "deliberation", "objet": ["a", "b"]}, "objet"),
        ("act-type-unknown", {"act_type": "edict", "objet": "Objet"}, "act_type"),
        ("act-type-wrong-type", {"act_type": 12, "objet": "Objet"}, "act_type"),
        ("objet-huge", {"act_type": "deliberation", "objet": HUGE}, "objet"),
        (
            "assembly-unknown",
            {"act_type": "deliberation", "objet": "O", "assembly": 987654},
            "assembly",
        ),
        (
            "assembly-wrong-type",
            {"act_type": "deliberation", "objet": "O", "assembly": "un"},
            "assembly",
        ),
        ("visas-not-a-list", {"act_type": "deliberation", "objet": "O", "visas": 3}, "visas"),
        (
            "collectivite-unknown",
            {"act_type": "deliberation", "objet": "O", "collectivite": 987654},
            "collectivite",
        ),
    ],
)
def test_creating_an_act_with_bad_fields_names_the_field(
    as_clerk, collectivite, label, body, field
):
    if "collectivite" not in body and label != "missing-everything":
        body = {**body, "collectivite": collectivite.pk}
    before = snapshot()
    response = _create(as_clerk, body)
    assert response.status_code == 400, response.content[:300]
    assert field in response.json()
    assert snapshot() == before


@pytest.mark.parametrize(
    "body",
    ["not json at all", '{"objet": ', "[1, 2, 3]", '"a string"', "null"],
    ids=["text", "truncated", "list", "string", "null"],
)
def test_a_body_that_is_not_an_object_is_refused(as_clerk, body):
    before = snapshot()
    response = as_clerk.post("/api/acts/", body, content_type="application/json")
    assert response.status_code == 400
    assert snapshot() == before


def test_a_stale_or_wrongly_typed_revision_is_refused(as_clerk, draft):
    before = snapshot()
    wrong_type = as_clerk.patch(
        f"/api/acts/{draft.pk}/",
        {"revision": "latest", "objet": "B"},
        content_type="application/json",
    )
    missing = as_clerk.patch(
        f"/api/acts/{draft.pk}/", {"objet": "B"}, content_type="application/json"
    )
    assert wrong_type.status_code == 400
    assert "revision" in (wrong_type.json().get("field"), *wrong_type.json())
    assert missing.status_code == 400
    assert "revision" in (missing.json().get("field"), *missing.json())
    assert snapshot() == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/acts/987654/",
        "/api/acts/987654/journal/",
        "/api/annexes/987654/file/",
        "/api/seances/987654/",
        "/api/circuits/987654/",
        "/api/pes/flows/987654/",
        "/api/actes/transmissions/987654/",
        "/api/signing/signatures/987654/",
    ],
)
def test_unknown_ids_answer_404(as_clerk, path):
    assert as_clerk.get(path).status_code == 404


@pytest.mark.parametrize(
    "path", ["/api/acts/abc/", "/api/acts/-1/", "/api/acts/1e9/", "/api/acts/99999999999999999999/"]
)
def test_ids_that_are_not_ids_answer_404(as_clerk, path):
    assert as_clerk.get(path).status_code == 404


def test_an_action_on_an_unknown_id_changes_nothing(as_clerk):
    before = snapshot()
    response = as_clerk.post(
        "/api/acts/987654/withdraw/", {"reason": "x"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert snapshot() == before


def test_a_huge_reason_is_refused_or_stored_whole_never_a_500(as_clerk, draft):
    response = as_clerk.post(
        f"/api/acts/{draft.pk}/withdraw/", {"reason": HUGE}, content_type="application/json"
    )
    assert response.status_code < 500
