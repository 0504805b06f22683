"""The treasury-flow pages: list, import, visionneuse, signing panel, sending, acknowledgements,
treasury view, building from a deliberation; permissions and query budgets."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from exports.pes import build_pes_aller
from exports.pes import services as pes
from exports.pes.demo import make_acquit
from exports.pes.models import PesFlow, PesVerificationReport

from .fixtures import MANDATES_CSV, P12_PASSWORD, start
from .flows import PDF, make_flow


def login(client, user):
    client.force_login(user)
    return client


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


# --- list and import ------------------------------------------------------------------------


def test_flow_list_shows_the_flows_of_the_collectivite_with_a_constant_query_count(
    client, finance, imported_flow, commune, django_assert_num_queries
):
    login(client, finance)
    url = reverse("pes-flow-list")
    client.get(url)  # warm the session and the per-request caches alike

    with django_assert_num_queries(9) as first:
        page = client.get(url)
    for n in range(3):
        pes.import_flow(
            collectivite=commune,
            actor=finance,
            source=build_pes_aller(flow=make_flow(depense=1 + n, recette=False)),
            name=f"f{n}.xml",
        )
    with django_assert_num_queries(len(first.captured_queries)):
        more = client.get(url)

    assert [f.pk for f in page.context["page"].object_list] == [imported_flow.pk]
    assert len(more.context["page"].object_list) == 4
    assert "PESALR2_24310063300011_250302_001" in page.content.decode()


def test_import_page_imports_a_flow(client, finance, pes_bytes):
    response = login(client, finance).post(
        reverse("pes-flow-import"), {"file": upload("flux.xml", pes_bytes)}, follow=True
    )

    flow = PesFlow.objects.get()
    assert response.redirect_chain == [(reverse("pes-flow-detail", args=[flow.pk]), 302)]
    assert messages_of(response) == ["The flow was imported: 3 bordereau(x), 7 pièce(s)."]


def test_import_page_lists_every_error_and_creates_nothing(client, finance, pes_bytes):
    broken = pes_bytes.replace(b'<NbrPce V="1"/>', b'<NbrPce V="X"/>')

    response = login(client, finance).post(
        reverse("pes-flow-import"), {"file": upload("broken.xml", broken)}
    )

    assert response.status_code == 200
    assert [(i.code, i.line) for i in response.context["issues"]] == [("XSD", 23)]
    body = response.content.decode()
    assert "/PES_Aller/PES_RecetteAller/Bordereau/BlocBordereau/NbrPce" in body
    assert "rule XSD" in body
    assert PesFlow.objects.count() == 0


def test_a_too_large_upload_is_refused_before_it_is_read(client, finance, settings):
    settings.DELIBRE_PES_MAX_BYTES = 100

    response = login(client, finance).post(
        reverse("pes-flow-import"), {"file": upload("big.xml", b"<" + b" " * (2 * 1024 * 1024))}
    )

    assert response.context["refusal"] == "The file is larger than the limit: it was not read."
    assert PesFlow.objects.count() == 0


# --- the visionneuse ------------------------------------------------------------------------------


def test_flow_page_shows_bordereaux_totals_and_attachments(client, finance, imported_flow):
    response = login(client, finance).get(reverse("pes-flow-detail", args=[imported_flow.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert [b.id_bord for b in response.context["bordereaux"]] == [10, 11, 5]
    assert "7\xa0953,00" in body or "7,953.00" in body
    assert "deliberation.pdf" in body
    assert 'class="help-box"' in body


def test_another_collectivite_gets_404_everywhere(client, stranger, imported_flow):
    login(client, stranger)
    bordereau = imported_flow.bordereaux.first()
    for url in (
        reverse("pes-flow-detail", args=[imported_flow.pk]),
        reverse("pes-bordereau", args=[imported_flow.pk, bordereau.pk]),
        reverse("pes-flow-download", args=[imported_flow.pk]),
        reverse("pes-flow-sign", args=[imported_flow.pk]),
    ):
        assert client.get(url).status_code == 404
    assert client.post(reverse("pes-flow-send", args=[imported_flow.pk])).status_code == 404


def test_the_treasury_reads_signed_flows_only(client, treasurer, imported_flow, signed_flow):
    login(client, treasurer)

    assert client.get(reverse("pes-flow-detail", args=[signed_flow.pk])).status_code == 200
    assert (
        client.get(reverse("pes-flow-download-original", args=[signed_flow.pk])).status_code == 404
    )
    response = client.post(reverse("pes-flow-send", args=[signed_flow.pk]), follow=True)
    assert messages_of(response)[0].startswith("Only a user with one of these roles")
    signed_flow.refresh_from_db()
    assert signed_flow.status == "signed"


@pytest.fixture
def big_flow(commune, finance):
    """A flow with a 10,000-pièce bordereau."""
    content = build_pes_aller(
        flow=make_flow(depense=1, pieces=10_000, recette=False), validate=False
    )
    return pes.import_flow(collectivite=commune, actor=finance, source=content, name="big.xml")


def test_visionneuse_pages_a_10000_piece_bordereau_in_bounded_queries_and_time(
    client, finance, big_flow, django_assert_num_queries
):
    bordereau = big_flow.bordereaux.get()
    url = reverse("pes-bordereau", args=[big_flow.pk, bordereau.pk])
    login(client, finance).get(url)

    with django_assert_num_queries(12):
        started = time.perf_counter()
        page = client.get(url + "?page=150")
        elapsed = time.perf_counter() - started

    assert elapsed < 1.0
    shown = page.context["page"]
    assert (shown.paginator.count, shown.number, len(shown.object_list)) == (10_000, 150, 50)
    assert shown.object_list[0].id_pce == 7451
    assert "Pièces 7451 to 7500 of 10000" in page.content.decode()
    with django_assert_num_queries(12):
        found = client.get(url + "?q=9999")
    assert [p.id_pce for p in found.context["page"].object_list] == [9999]
    htmx = client.get(url + "?page=2", HTTP_HX_REQUEST="true")
    assert htmx.content.decode().startswith('<section id="pieces"')


def test_attachment_opens_from_the_flow(client, finance, imported_flow):
    attachment = imported_flow.attachments.get()

    response = login(client, finance).get(
        reverse("pes-attachment", args=[imported_flow.pk, attachment.pk])
    )

    assert (response.status_code, response["Content-Type"], response.content) == (
        200,
        "application/pdf",
        PDF,
    )


# --- circuit and signature ------------------------------------------------------------------


def test_visa_then_signature_through_the_pages(
    client, finance, chef, ordonnateur, imported_flow, pes_circuit, signer_p12
):
    detail = reverse("pes-flow-detail", args=[imported_flow.pk])
    login(client, finance).post(reverse("pes-flow-start", args=[imported_flow.pk]), {})
    response = login(client, chef).post(
        reverse("pes-flow-visa", args=[imported_flow.pk]), {"comment": "Vu"}, follow=True
    )
    assert messages_of(response)[-1] == "Your visa was recorded."

    page = login(client, ordonnateur).get(reverse("pes-flow-sign", args=[imported_flow.pk]))
    assert page.context["panel"].can_sign is True
    response = client.post(
        reverse("pes-flow-sign", args=[imported_flow.pk]),
        {
            "method": "pkcs12",
            "certificate": upload("moi.p12", signer_p12),
            "password": P12_PASSWORD,
            "confirm": "on",
        },
        follow=True,
    )

    assert response.redirect_chain == [(detail + "#circuit", 302)]
    assert messages_of(response) == ["The 3 bordereau(x) of the flow are signed."]
    imported_flow.refresh_from_db()
    assert imported_flow.status == "signed"


def test_a_wrong_password_shows_the_error_and_changes_nothing(
    client, ordonnateur, at_signature, signer_p12
):
    response = login(client, ordonnateur).post(
        reverse("pes-flow-sign", args=[at_signature.pk]),
        {
            "method": "pkcs12",
            "certificate": upload("moi.p12", signer_p12),
            "password": "typed-s3cret",
            "confirm": "on",
        },
    )

    assert response.context["form"].non_field_errors() == [
        "This certificate file cannot be opened (wrong password or not a PKCS#12): type the password again, or choose the .p12 or .pfx file of your certificate."
    ]
    assert b"typed-s3cret" not in response.content
    at_signature.refresh_from_db()
    assert at_signature.status == "in_circuit"


def test_a_clerk_sees_why_she_cannot_sign(client, finance, at_signature, signer_p12):
    page = login(client, finance).get(reverse("pes-flow-sign", args=[at_signature.pk]))

    assert page.context["panel"].can_sign is False
    assert page.context["panel"].refusal.startswith("You cannot decide on this step")
    response = client.post(
        reverse("pes-flow-sign", args=[at_signature.pk]),
        {
            "method": "pkcs12",
            "certificate": upload("x.p12", signer_p12),
            "password": P12_PASSWORD,
            "confirm": "on",
        },
    )
    assert response.context["form"].non_field_errors()[0].startswith("You cannot decide")
    at_signature.refresh_from_db()
    assert at_signature.status == "in_circuit"


def test_rejecting_from_the_page_needs_a_reason(client, ordonnateur, at_signature):
    url = reverse("pes-flow-reject", args=[at_signature.pk])
    login(client, ordonnateur)

    empty = client.post(url, {"reason": ""}, follow=True)
    done = client.post(url, {"reason": "Montants à revoir"}, follow=True)

    assert messages_of(empty) == ["This field is required."]
    assert messages_of(done) == ["The flow was rejected and returned to the finance service."]
    at_signature.refresh_from_db()
    assert at_signature.status == "returned"


# --- sending, acknowledgement, treasury -------------------------------------------------------


def test_send_then_import_the_acquit_from_the_flow_page(
    client, finance, signed_flow, drop_dir, django_capture_on_commit_callbacks
):
    login(client, finance)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("pes-flow-send", args=[signed_flow.pk]), follow=True)
    assert messages_of(response) == ["The flow is being sent to the treasury."]
    signed_flow.refresh_from_db()
    assert signed_flow.status == "sent"

    response = client.post(
        reverse("pes-flow-acquit", args=[signed_flow.pk]),
        {"file": upload("ack.xml", make_acquit(signed_flow))},
        follow=True,
    )

    assert messages_of(response) == ["The acknowledgement was imported."]
    signed_flow.refresh_from_db()
    assert signed_flow.status == "acknowledged"


def test_treasury_page_lists_signed_flows_and_verifies_them(client, treasurer, signed_flow):
    login(client, treasurer)
    page = client.get(reverse("pes-treasury"))
    assert [f.pk for f in page.context["page"].object_list] == [signed_flow.pk]

    response = client.post(reverse("pes-flow-verify", args=[signed_flow.pk]), follow=True)

    report = PesVerificationReport.objects.get()
    assert response.redirect_chain == [
        (reverse("pes-report", args=[signed_flow.pk, report.pk]), 302)
    ]
    body = response.content.decode()
    assert "Jeanne Ordonnatrice" in body and "urn:oid:1.2.250.1.131.1.5.18.21.1.7" in body
    download = client.get(reverse("pes-flow-download", args=[signed_flow.pk]))
    assert download["Content-Disposition"] == (
        'attachment; filename="PESALR2_24310063300011_250302_001.xml"'
    )


# --- building -------------------------------------------------------------------------------


def test_build_page_records_the_table_and_builds_the_flow(client, finance, subsidies):
    url = reverse("pes-build", args=[subsidies.pk])
    login(client, finance)
    bad = client.post(url, {"upload": "1", "file": upload("t.csv", b"Beneficiaire;IBAN\nX;Y\n")})
    assert bad.context["upload_form"].non_field_errors() == [
        "The table lacks the columns: bic, montant, objet, adresse, codepostal, ville."
    ]

    client.post(url, {"upload": "1", "file": upload("t.csv", MANDATES_CSV.encode())})
    response = client.post(url, {"build": "1", "issued_on": ""}, follow=True)

    flow = PesFlow.objects.get()
    assert response.redirect_chain == [(reverse("pes-flow-detail", args=[flow.pk]), 302)]
    assert (flow.act, flow.piece_count) == (subsidies, 2)


def test_inbox_links_the_flow_waiting_for_a_visa(client, chef, finance, imported_flow, pes_circuit):
    start(imported_flow, finance)

    body = login(client, chef).get(reverse("inbox")).content.decode()

    assert reverse("pes-flow-detail", args=[imported_flow.pk]) + "#circuit" in body
    assert "Treasury flow (PES)" in body


def test_settings_page_is_for_administrators(client, pes_admin, finance, commune):
    assert login(client, finance).get(reverse("pes-settings")).status_code == 404
    response = login(client, pes_admin).post(
        reverse("pes-settings"),
        {
            "connector": "folder",
            "drop_folder": "/srv/pes/out",
            "inbox_folder": "",
            "inbox_user": finance.pk,
        },
        follow=True,
    )
    assert messages_of(response) == ["The settings were saved."]
    assert (commune.pes_settings.drop_folder, commune.pes_settings.inbox_user) == (
        "/srv/pes/out",
        finance,
    )
