"""Documents API: list, request, status, download, re-render check; same checks as the pages."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from core.files import read_bytes
from exports.models import RenderedDocument

from .conftest import DOCUMENTS

pytestmark = DOCUMENTS


@pytest.fixture
def api():
    return APIClient()


def as_user(api, user):
    api.force_authenticate(user)
    return api


def test_clerk_requests_then_downloads_an_act(
    api, clerk, played, django_capture_on_commit_callbacks
):
    act = played.acts[0]
    client = as_user(api, clerk)

    with django_capture_on_commit_callbacks(execute=True):
        created = client.post("/api/documents/", {"kind": "act", "act": act.pk}, format="json")

    assert created.status_code == 202
    [body] = created.json()
    document = RenderedDocument.objects.get(pk=body["id"])
    assert (body["kind"], body["status"], body["version"]) == ("act", "pending", 1)
    detail = client.get(f"/api/documents/{document.pk}/").json()
    assert detail["status"] == "ready"
    assert detail["content_sha256"] == document.content_sha256
    assert [f["name"] for f in detail["signature_fields"]] == ["Sig_President", "Sig_Secretaire"]
    assert detail["download_url"] == f"http://testserver/api/documents/{document.pk}/file/"
    pdf = client.get(f"/api/documents/{document.pk}/file/")
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content) == read_bytes(document.file.name)
    listed = client.get(f"/api/documents/?act={act.pk}").json()
    assert [row["id"] for row in listed["results"]] == [document.pk]
    check = client.post(f"/api/documents/{document.pk}/rerender-check/")
    assert check.json() == {
        "identical": True,
        "stored_sha256": document.content_sha256,
        "rerendered_sha256": document.content_sha256,
        "reason": "",
    }


def test_convocations_for_every_member(api, clerk, played, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        response = as_user(api, clerk).post(
            "/api/documents/",
            {"kind": "convocation", "seance": played.seance.pk},
            format="json",
        )

    assert response.status_code == 202
    assert [row["recipient"] for row in response.json()] == [m.pk for m in played.mandates]


def test_refusals(api, validator, outsider, played, django_capture_on_commit_callbacks):
    act = played.acts[0]
    client = as_user(api, validator)

    forbidden = client.post("/api/documents/", {"kind": "act", "act": act.pk}, format="json")
    minutes_twice = client.post(
        "/api/documents/", {"kind": "act", "act": act.pk, "seance": played.seance.pk}, format="json"
    )

    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "forbidden"
    assert minutes_twice.status_code == 400
    assert RenderedDocument.objects.count() == 0


def test_other_collectivite_sees_nothing(
    api, clerk, outsider, played, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        as_user(api, clerk).post(
            "/api/documents/", {"kind": "proof", "act": played.acts[0].pk}, format="json"
        )
    document = RenderedDocument.objects.get()
    client = as_user(APIClient(), outsider)

    assert client.get("/api/documents/").json()["results"] == []
    assert client.get(f"/api/documents/{document.pk}/").status_code == 404
    assert client.get(f"/api/documents/{document.pk}/file/").status_code == 404
    assert client.post(f"/api/documents/{document.pk}/rerender-check/").status_code == 404
    request = client.post(
        "/api/documents/", {"kind": "act", "act": played.acts[0].pk}, format="json"
    )
    assert request.status_code == 400
    assert RenderedDocument.objects.count() == 1


def test_anonymous_is_refused(api, collectivite):
    assert api.get("/api/documents/").status_code == 403
