"""The signing API: every action of the pages, for integrations; public verification."""

from __future__ import annotations

import io

import pytest
from rest_framework.test import APIClient

from signing.models import Signature, SigningBatch, TrustedRoot, UserCertificate
from tests.signing.conftest import PASSWORD, adopted_deliberation, arrete_in_circuit
from tests.signing.helpers import content, state

pytestmark = pytest.mark.usefixtures("signing_urls")


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def upload(name: str, data: bytes):
    file = io.BytesIO(data)
    file.name = name
    return file


def test_sign_a_step_through_the_api(commune):
    act, first, _second, _document = adopted_deliberation(commune)

    response = api(commune.maire).post(
        f"/api/signing/steps/{first.pk}/sign/",
        {"certificate": commune.certificates["maire"].pk, "password": PASSWORD},
        format="json",
    )

    version = Signature.objects.get()
    assert response.status_code == 201
    data = response.json()
    assert {
        k: data[k] for k in ("id", "act", "kind", "level", "field_name", "signer_username")
    } == {
        "id": version.pk,
        "act": act.pk,
        "kind": "signature",
        "level": "B-LT",
        "field_name": "Sig_President",
        "signer_username": "maire",
    }
    assert (data["all_valid"], data["output_sha256"]) == (True, version.output_sha256)
    download = api(commune.clerk).get(data["file_url"])
    assert (download.status_code, b"".join(download.streaming_content)) == (200, content(version))
    reports = api(commune.clerk).get(f"/api/signing/signatures/{version.pk}/reports/").json()
    assert [r["all_valid"] for r in reports] == [True]
    listed = api(commune.clerk).get(f"/api/signing/signatures/?act={act.pk}").json()
    assert [s["id"] for s in listed["results"]] == [version.pk]


def test_an_unreachable_tsa_is_a_503_and_changes_nothing(commune, dead_port):
    from signing import services

    services.update_signing_settings(
        collectivite=commune.collectivite,
        actor=commune.admin,
        tsa_url=f"http://127.0.0.1:{dead_port}/tsa",
        default_level="B-T",
    )
    _act, first, _second, document = adopted_deliberation(commune)
    before = state(first, document)

    response = api(commune.maire).post(
        f"/api/signing/steps/{first.pk}/sign/",
        {"certificate": commune.certificates["maire"].pk, "password": PASSWORD},
        format="json",
    )

    assert (response.status_code, response.json()) == (
        503,
        {
            "detail": "The time-stamping service does not answer. Nothing was signed; try again "
            "later.",
            "code": "trust_service_unavailable",
        },
    )
    assert state(first, document) == before


def test_refusals_through_the_api(commune):
    from deliberations.enums import Role
    from tests.factories import CollectiviteFactory, member

    _act, first, _second, document = adopted_deliberation(commune)
    outsider = member(CollectiviteFactory(), Role.SIGNER, username="outsider")
    before = state(first, document)

    wrong = api(commune.maire).post(
        f"/api/signing/steps/{first.pk}/sign/",
        {"certificate": commune.certificates["maire"].pk, "password": "mauvais"},
        format="json",
    )
    validator = api(commune.validator).post(
        f"/api/signing/steps/{first.pk}/sign/",
        {"certificate": None, "password": PASSWORD},
        format="json",
    )
    elsewhere = api(outsider).post(f"/api/signing/steps/{first.pk}/sign/", {}, format="json")
    someone_elses = api(commune.maire).post(
        f"/api/signing/steps/{first.pk}/sign/",
        {"certificate": commune.certificates["secretaire"].pk, "password": PASSWORD},
        format="json",
    )

    assert (wrong.status_code, wrong.json()["code"]) == (400, "wrong_password")
    assert (validator.status_code, validator.json()["code"]) == (403, "not_authorised")
    assert elsewhere.status_code == 404
    assert (someone_elses.status_code, list(someone_elses.json())) == (400, ["certificate"])
    assert state(first, document) == before


def test_a_signer_manages_her_certificates(commune, pki):
    UserCertificate.objects.filter(user=commune.maire).delete()
    client = api(commune.maire)

    created = client.post(
        "/api/signing/certificates/",
        {"file": upload("moi.p12", pki.p12_bytes("marie-dupont")), "password": PASSWORD},
        format="multipart",
    )
    listed = client.get("/api/signing/certificates/")
    others = api(commune.secretaire).get("/api/signing/certificates/")
    deleted = client.delete(f"/api/signing/certificates/{created.json()['id']}/")

    assert (created.status_code, created.json()["common_name"]) == (201, "Marie DUPONT")
    assert [c["id"] for c in listed.json()["results"]] == [created.json()["id"]]
    assert [c["common_name"] for c in others.json()["results"]] == ["Jean MARTIN"]
    assert deleted.status_code == 204
    assert UserCertificate.objects.filter(user=commune.maire).count() == 0


def test_batch_signing_through_the_api(commune, django_capture_on_commit_callbacks):
    folders = [arrete_in_circuit(commune, objet=f"Arrêté n° {n}") for n in (1, 2)]
    client = api(commune.maire)

    candidates = client.get("/api/signing/batches/candidates/").json()
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            "/api/signing/batches/",
            {
                "collectivite": commune.collectivite.pk,
                "step_runs": [c["step_run"] for c in candidates],
                "certificate": commune.certificates["maire"].pk,
                "password": PASSWORD,
            },
            format="json",
        )
    progress = client.get(f"/api/signing/batches/{started.json()['id']}/").json()

    assert sorted(c["step_run"] for c in candidates) == sorted(s.pk for _a, s, _d in folders)
    assert started.status_code == 202
    assert (progress["status"], progress["signed_count"], progress["percent"]) == ("done", 2, 100)
    assert [i["status"] for i in progress["items"]] == ["signed", "signed"]
    assert api(commune.secretaire).get(f"/api/signing/batches/{progress['id']}/").status_code == 404
    assert SigningBatch.objects.count() == 1


def test_keys_and_trust_for_administrators_only(commune, pki, seal_env):
    admin, maire = api(commune.admin), api(commune.maire)
    url = f"/api/signing/settings/{commune.collectivite.pk}/"

    read = maire.get(url)
    refused = maire.patch(url, {"default_level": "B-LTA"}, format="json")
    changed = admin.patch(url, {"default_level": "B-LTA"}, format="json")
    secret = admin.patch(url, {"seal_pkcs12_password_env": "demo"}, format="json")
    seal = admin.post(f"/api/signing/settings/{commune.collectivite.pk}/check-seal/")
    root = admin.post(
        "/api/signing/trusted-roots/",
        {
            "collectivite": commune.collectivite.pk,
            "pem": pki.cert_path("intermediate").read_text(),
            "label": "Intermédiaire",
        },
        format="json",
    )
    deactivated = admin.post(f"/api/signing/trusted-roots/{root.json()['id']}/deactivate/")

    assert (read.status_code, read.json()["effective_level"]) == (200, "B-LT")
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert (changed.status_code, changed.json()["effective_level"]) == (200, "B-LTA")
    assert (secret.status_code, secret.json()["field"]) == (400, "seal_pkcs12_password_env")
    assert (seal.json()["usable"], seal.json()["certificate"]["common_name"]) == (
        True,
        "Commune de Démo (cachet serveur)",
    )
    assert (root.status_code, deactivated.json()["is_active"]) == (201, False)
    assert list(TrustedRoot.objects.filter(is_active=True).values_list("label", flat=True)) == [
        "Délibre Démo"
    ]


def test_anyone_verifies_through_the_api(commune):
    from signing import services

    act, first, _second, document = adopted_deliberation(commune)
    version = services.sign_step(
        step_run=first,
        actor=commune.maire,
        certificate=commune.certificates["maire"],
        password=PASSWORD,
    )
    anonymous = api()

    checked = anonymous.post(
        "/api/verify/", {"file": upload("acte.pdf", content(version))}, format="multipart"
    )
    junk = anonymous.post("/api/verify/", {"file": upload("x.pdf", b"GIF89a")}, format="multipart")
    by_token = anonymous.get(f"/api/verify/act/{document.verification_token}/")

    data = checked.json()
    assert (checked.status_code, data["valid"], data["signed_by_this_instance"]) == (
        200,
        True,
        True,
    )
    assert (data["match"]["act_number"], data["match"]["is_latest"]) == (act.number, True)
    assert [s["signer"]["common_name"] for s in data["report"]["signatures"]] == ["Marie DUPONT"]
    assert (junk.status_code, junk.json()["code"]) == (400, "invalid_document")
    assert {
        k: by_token.json()[k] for k in ("act_number", "signed", "version", "sha256", "all_valid")
    } == {
        "act_number": act.number,
        "signed": True,
        "version": 1,
        "sha256": version.output_sha256,
        "all_valid": True,
    }
    assert anonymous.get("/api/verify/act/nope/").status_code == 404
