"""The REST API of the treasury flows: same actions and permission checks as the pages."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from exports.pes import build_pes_aller
from exports.pes.demo import make_acquit
from exports.pes.models import PesFlow, PesVerificationReport

from .fixtures import MANDATES_CSV, P12_PASSWORD
from .flows import make_flow


@pytest.fixture
def api():
    def as_user(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return as_user


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_import_list_and_retrieve(api, finance, commune, pes_bytes):
    client = api(finance)

    created = client.post(
        "/api/pes/flows/import/",
        {"collectivite": commune.pk, "file": upload("flux.xml", pes_bytes)},
        format="multipart",
    )

    assert created.status_code == 201
    flow_id = created.json()["id"]
    assert [(b["kind"], b["id_bord"], b["status"]) for b in created.json()["bordereaux"]] == [
        ("depense", 10, "imported"),
        ("depense", 11, "imported"),
        ("recette", 5, "imported"),
    ]
    listed = client.get("/api/pes/flows/").json()
    assert [f["id"] for f in listed["results"]] == [flow_id]
    assert client.get(f"/api/pes/flows/{flow_id}/").json()["piece_count"] == 7


def test_an_invalid_file_answers_400_with_its_problems_and_creates_nothing(
    api, finance, commune, pes_bytes
):
    broken = pes_bytes.replace(b'<NbrPce V="1"/>', b'<NbrPce V="X"/>')

    response = api(finance).post(
        "/api/pes/flows/import/",
        {"collectivite": commune.pk, "file": upload("broken.xml", broken)},
        format="multipart",
    )

    assert (response.status_code, response.json()["code"]) == (400, "pes_invalid_file")
    assert response.json()["detail"] == "The PES file has 1 error(s)."
    assert PesFlow.objects.count() == 0


def test_circuit_signature_send_and_acquit_through_the_api(
    api, finance, chef, ordonnateur, imported_flow, pes_circuit, signer_p12, drop_dir
):
    base = f"/api/pes/flows/{imported_flow.pk}"
    assert api(finance).post(f"{base}/start-circuit/", {}, format="json").status_code == 201
    assert api(ordonnateur).post(f"{base}/visa/", {}, format="json").status_code == 403
    assert api(chef).post(f"{base}/visa/", {"comment": "Vu"}, format="json").status_code == 200

    refused = api(finance).post(
        f"{base}/sign/",
        {"certificate": upload("c.p12", signer_p12), "password": P12_PASSWORD},
        format="multipart",
    )
    signed = api(ordonnateur).post(
        f"{base}/sign/",
        {"certificate": upload("c.p12", signer_p12), "password": P12_PASSWORD},
        format="multipart",
    )

    assert refused.status_code == 403
    assert (signed.status_code, signed.json()["status"]) == (200, "signed")
    sent = api(finance).post(f"{base}/send/", {}, format="json")
    assert (sent.status_code, sent.json()["status"]) == (202, "queued")
    from exports.pes import services

    services.deliver_transmission(transmission_id=sent.json()["id"])
    imported_flow.refresh_from_db()
    acquit = api(finance).post(
        f"{base}/acquit/",
        {"file": upload("ack.xml", make_acquit(imported_flow))},
        format="multipart",
    )
    assert (acquit.status_code, acquit.json()["accepted"]) == (201, True)
    assert api(finance).get(f"{base}/").json()["status"] == "acknowledged"
    file = api(finance).get(f"{base}/file/")
    assert (file.status_code, file["Content-Type"]) == (200, "application/xml")


def test_pieces_are_paged(api, finance, commune):
    content = build_pes_aller(flow=make_flow(depense=1, pieces=120, recette=False))
    from exports.pes import services

    flow = services.import_flow(collectivite=commune, actor=finance, source=content, name="f.xml")
    bordereau = flow.bordereaux.get()

    page = api(finance).get(f"/api/pes/bordereaux/{bordereau.pk}/pieces/?limit=50&offset=100")

    body = page.json()
    assert (body["count"], len(body["results"]), body["results"][0]["id_pce"]) == (120, 20, 101)


def test_another_collectivite_gets_404(api, stranger, imported_flow):
    client = api(stranger)

    assert client.get(f"/api/pes/flows/{imported_flow.pk}/").status_code == 404
    assert client.post(f"/api/pes/flows/{imported_flow.pk}/send/").status_code == 404
    bordereau = imported_flow.bordereaux.first()
    assert client.get(f"/api/pes/bordereaux/{bordereau.pk}/pieces/").status_code == 404


def test_the_treasury_reads_verifies_but_does_not_send(api, treasurer, imported_flow, signed_flow):
    client = api(treasurer)

    assert [f["id"] for f in client.get("/api/pes/flows/").json()["results"]] == [signed_flow.pk]
    assert client.post(f"/api/pes/flows/{signed_flow.pk}/send/").status_code == 403
    report = client.post(f"/api/pes/flows/{signed_flow.pk}/verify/")
    assert (report.status_code, report.json()["valid"]) == (201, True)
    assert [r["id"] for r in client.get("/api/pes/verification-reports/").json()["results"]] == [
        PesVerificationReport.objects.get().pk
    ]
    original = client.get(f"/api/pes/flows/{signed_flow.pk}/file/?original=1")
    assert original.status_code == 404


def test_mandates_and_build_through_the_api(api, finance, subsidies):
    client = api(finance)

    recorded = client.post(
        f"/api/pes/acts/{subsidies.pk}/planned-mandates/",
        {"file": upload("t.csv", MANDATES_CSV.encode())},
        format="multipart",
    )
    built = client.post("/api/pes/flows/build/", {"act": subsidies.pk}, format="json")

    assert (recorded.status_code, len(recorded.json())) == (201, 2)
    assert (built.status_code, built.json()["source"], built.json()["piece_count"]) == (
        201,
        "built",
        2,
    )


def test_the_inbox_and_the_journal_api_name_the_flow(
    api, chef, finance, pes_admin, imported_flow, pes_circuit
):
    from workflow import services as workflow

    workflow.start_flow_circuit(flow=imported_flow, actor=finance)

    items = api(chef).get("/api/inbox/").json()
    journal = api(pes_admin).get(f"/api/journal/?object=pesflow:{imported_flow.pk}").json()

    assert [(i["act"], i["flow"], i["flow_title"], i["step_label"]) for i in items] == [
        (None, imported_flow.pk, imported_flow.file_name, "Visa du service des finances")
    ]
    assert [e["action"] for e in journal["results"]] == [
        "pes.flow.imported",
        "pes.circuit.started",
    ]


def test_a_too_large_upload_is_refused_before_it_is_read(api, finance, commune, settings):
    settings.DELIBRE_PES_MAX_BYTES = 100

    response = api(finance).post(
        "/api/pes/flows/import/",
        {"collectivite": commune.pk, "file": upload("big.xml", b"<" + b" " * (2 * 1024 * 1024))},
        format="multipart",
    )

    assert (response.status_code, response.json()["code"]) == (400, "pes_file_refused")
    assert PesFlow.objects.count() == 0
