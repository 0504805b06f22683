"""Documents pages: panels, downloads, preview, settings; permissions and queries."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from core.files import read_bytes
from exports import services as documents
from exports.enums import DocumentStatus
from exports.models import DocumentSettings, RenderedDocument

from .conftest import DOCUMENTS

pytestmark = DOCUMENTS


@pytest.fixture
def rendered(played, clerk, django_capture_on_commit_callbacks):
    """The first act's PDF and its proof sheet, rendered."""
    act = played.acts[0]
    with django_capture_on_commit_callbacks(execute=True):
        pdf = documents.request_document(kind="act", target=act, actor=clerk)
        proof = documents.request_document(kind="proof", target=act, actor=clerk)
    pdf.refresh_from_db()
    proof.refresh_from_db()
    return pdf, proof


def test_validator_reads_and_downloads_but_cannot_request(client, validator, rendered):
    pdf, _proof = rendered
    client.force_login(validator)

    page = client.get(reverse("exports:act-documents", args=[pdf.act_id]))
    download = client.get(reverse("exports:download", args=[pdf.pk]))

    assert page.status_code == 200
    assert pdf.content_sha256 in page.content.decode()
    assert 'name="kind"' not in page.content.decode()
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == f'attachment; filename="{pdf.act.number}.pdf"'
    assert b"".join(download.streaming_content) == read_bytes(pdf.file.name)


def test_clerk_requests_a_render_and_is_sent_back(
    client, clerk, played, django_capture_on_commit_callbacks
):
    act = played.acts[0]
    client.force_login(clerk)
    back = reverse("act-detail", args=[act.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("exports:act-request", args=[act.pk]),
            {"kind": "act", "annex_mode": "bundled", "next": back},
        )

    assert response.status_code == 302
    assert response["Location"] == back
    document = RenderedDocument.objects.get()
    assert (document.kind, document.status) == ("act", DocumentStatus.READY)


def test_htmx_request_answers_with_the_panel(
    client, clerk, played, django_capture_on_commit_callbacks
):
    act = played.acts[1]
    client.force_login(clerk)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("exports:act-request", args=[act.pk]),
            {"kind": "proof"},
            HTTP_HX_REQUEST="true",
        )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<section class="card" id="act-documents"')
    assert "The document was requested; it is ready in a few seconds." in html


def test_refused_request_shows_the_reason_and_changes_nothing(client, validator, played):
    client.force_login(validator)

    response = client.post(
        reverse("exports:act-request", args=[played.acts[0].pk]),
        {"kind": "act"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert "Only a user with one of these roles" in response.content.decode()
    assert RenderedDocument.objects.count() == 0


def test_other_collectivite_gets_404_everywhere(client, outsider, rendered):
    pdf, _proof = rendered
    client.force_login(outsider)
    urls = [
        reverse("exports:act-documents", args=[pdf.act_id]),
        reverse("exports:act-panel", args=[pdf.act_id]),
        reverse("exports:act-preview", args=[pdf.act_id]),
        reverse("exports:seance-documents", args=[pdf.act.agenda_items.get().seance_id]),
        reverse("exports:status", args=[pdf.pk]),
        reverse("exports:view", args=[pdf.pk]),
        reverse("exports:download", args=[pdf.pk]),
    ]

    assert [client.get(url).status_code for url in urls] == [404] * len(urls)
    post = client.post(reverse("exports:act-request", args=[pdf.act_id]), {"kind": "act"})
    assert post.status_code == 404
    assert RenderedDocument.objects.count() == 2


def test_anonymous_is_sent_to_the_login_page(client, rendered):
    pdf, _proof = rendered
    url = reverse("exports:download", args=[pdf.pk])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_status_fragment_polls_while_pending_then_refreshes_the_panel(
    client, clerk, played, django_capture_on_commit_callbacks
):
    client.force_login(clerk)
    with django_capture_on_commit_callbacks() as callbacks:
        document = documents.request_document(kind="act", target=played.acts[0], actor=clerk)
    url = reverse("exports:status", args=[document.pk])

    pending = client.get(url)
    callbacks[0]()
    done = client.get(url)

    assert 'hx-trigger="every 1s"' in pending.content.decode()
    assert "HX-Trigger" not in pending
    assert 'hx-trigger="every 1s"' not in done.content.decode()
    assert done["HX-Trigger"] == "documents-changed"


def test_documents_list_queries_do_not_grow_with_versions(
    client, validator, rendered, django_assert_num_queries
):
    """The panel (the list the act page includes and polls): session, user, collectivités
    (middleware), the act, its documents with their recipients and requesters, the roles."""
    pdf, _proof = rendered
    client.force_login(validator)
    url = reverse("exports:act-panel", args=[pdf.act_id])
    client.get(url)

    with django_assert_num_queries(7):
        response = client.get(url)

    assert response.status_code == 200
    assert response.content.decode().count('class="hash"') == 2


def test_preview_is_the_current_text_and_stores_nothing(client, validator, played):
    act = played.acts[2]
    client.force_login(validator)

    response = client.get(reverse("exports:act-preview", args=[act.pk]))
    css = client.get(reverse("exports:preview-css", args=["act"]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "PROJET DE DÉLIBÉRATION" not in html  # uppercase comes from the stylesheet
    assert "Projet de délibération" in html
    assert act.objet in html
    assert reverse("exports:preview-css", args=["act"]) in html
    assert css["Content-Type"] == "text/css; charset=utf-8"
    assert "../../fonts/" not in css.content.decode()
    assert RenderedDocument.objects.count() == 0


def test_seance_page_and_convocations_zip(
    client, clerk, played, django_capture_on_commit_callbacks
):
    client.force_login(clerk)
    seance = played.seance
    with django_capture_on_commit_callbacks() as callbacks:
        rows = documents.request_seance_documents(seance=seance, actor=clerk, kinds=["convocation"])
    for callback in callbacks[:2]:
        callback()

    page = client.get(reverse("exports:seance-documents", args=[seance.pk]))
    archive = client.get(reverse("exports:convocations-zip", args=[seance.pk]))

    assert page.status_code == 200
    assert "2 / 29 ready" in page.content.decode()
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert len(names) == 2
    assert names[0].startswith("convocation-") and names[0].endswith(".pdf")
    assert len(rows) == 29


def test_includes_render_the_panels_for_the_deliberations_pages(clerk, played):
    request = RequestFactory().get("/acts/1/")
    request.user = clerk

    act_html = render_to_string(
        "exports/_act_documents.html", {"act": played.acts[0]}, request=request
    )
    seance_html = render_to_string(
        "exports/_seance_documents.html", {"seance": played.seance}, request=request
    )

    assert 'id="act-documents"' in act_html and 'name="csrfmiddlewaretoken"' in act_html
    assert 'id="seance-documents"' in seance_html
    assert "29 members in office" in seance_html


def test_settings_page_is_for_admins(client, admin, clerk, collectivite):
    client.force_login(clerk)
    assert client.get(reverse("exports:settings")).status_code == 403

    client.force_login(admin)
    page = client.get(reverse("exports:settings"))
    saved = client.post(
        reverse("exports:settings"),
        {
            "header_lines": "République française\r\nDépartement de l’Hérault",
            "footer_text": "Mairie — 1 place de la Mairie",
            "primary_colour": "#234E70",
            "show_logo": "on",
            "portal_url": "https://example.org/actes",
            "appeal_court": "tribunal administratif de Montpellier",
            "wording_certification": "Pour extrait conforme.",
        },
    )

    assert page.status_code == 200
    assert saved.status_code == 302
    options = DocumentSettings.objects.get(collectivite=collectivite)
    assert options.header_lines == ["République française", "Département de l’Hérault"]
    assert options.primary_colour == "#234e70"
    assert options.wording == {"certification": "Pour extrait conforme."}
    assert options.publication_seal is False
