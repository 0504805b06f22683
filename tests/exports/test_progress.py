"""Progress of a séance pack: its parts rendered so far, in the panel (polled) and the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from exports import services as documents
from exports.enums import DocumentStatus
from exports.models import RenderedDocument
from exports.selectors import pack_progress

from .conftest import DOCUMENTS

pytestmark = DOCUMENTS


@pytest.fixture
def pending_pack(played, clerk):
    """The pack requested; nothing rendered yet (its tasks wait for a commit that never comes)."""
    return documents.request_document(kind="pack", target=played.seance, actor=clerk)


def _parts(pack):
    return [RenderedDocument.objects.get(pk=p["document"]) for p in pack.snapshot["parts"]]


def test_pack_progress_counts_the_parts_rendered(pending_pack):
    parts = _parts(pending_pack)
    assert (pack_progress(pending_pack).done, pack_progress(pending_pack).total) == (0, len(parts))

    documents.render_document(document_id=parts[0].pk)
    documents.render_document(document_id=parts[1].pk)

    progress = pack_progress(pending_pack)
    assert (progress.done, progress.total, progress.percent) == (
        2,
        len(parts),
        200 // len(parts),
    )
    assert pack_progress(parts[0]) is None


def test_the_pack_progress_fragment_polls_until_the_pack_is_done(client, clerk, pending_pack):
    client.force_login(clerk)
    url = reverse("exports:pack-progress", args=[pending_pack.pk])
    parts = _parts(pending_pack)
    documents.render_document(document_id=parts[0].pk)

    polling = client.get(url)

    assert polling.status_code == 200
    assert f"Parts ready: 1 / {len(parts)}" in polling.text
    assert 'hx-trigger="every 1s"' in polling.text
    assert "HX-Trigger" not in polling.headers

    documents.render_document(document_id=pending_pack.pk)  # renders the remaining parts too
    done = client.get(url)

    assert RenderedDocument.objects.get(pk=pending_pack.pk).status == DocumentStatus.READY
    assert 'hx-trigger="every 1s"' not in done.text
    assert done.headers["HX-Trigger"] == "documents-changed"


def test_the_api_gives_the_pack_progress(client, clerk, pending_pack):
    client.force_login(clerk)
    parts = _parts(pending_pack)
    documents.render_document(document_id=parts[0].pk)

    pack = client.get(f"/api/documents/{pending_pack.pk}/").json()
    part = client.get(f"/api/documents/{parts[0].pk}/").json()

    assert (pack["status"], pack["progress"]) == (
        "pending",
        {"done": 1, "total": len(parts), "percent": 100 // len(parts)},
    )
    assert part["progress"] is None


def test_the_seance_panel_shows_the_polled_pack_progress(client, clerk, played, pending_pack):
    client.force_login(clerk)

    page = client.get(reverse("exports:seance-documents", args=[played.seance.pk]))

    assert page.status_code == 200
    assert f'id="pack-progress-{pending_pack.pk}"' in page.text
    assert reverse("exports:pack-progress", args=[pending_pack.pk]) in page.text
