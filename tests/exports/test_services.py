"""Document services: requests, background renders, versions, freezing, reproducibility."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.storage import default_storage
from pypdf import PdfReader

from core.files import read_bytes
from deliberations import services
from deliberations.enums import ActType
from deliberations.exceptions import NotAllowed
from exports import services as documents
from exports.documents.context import parse_customisation
from exports.enums import DocumentKind, DocumentStatus
from exports.exceptions import DocumentFrozen, InvalidDocumentSettings
from exports.models import DocumentSettings, RenderedDocument
from exports.tasks import render_document_task
from tests.pdfs import blank_pdf
from workflow.models import AuditEvent

from .conftest import DOCUMENTS, pdf_text

pytestmark = DOCUMENTS


def document_events(target) -> list[str]:
    return list(
        AuditEvent.objects.filter(
            chain__key=target.journal_chain_key, action__startswith="document."
        )
        .order_by("seq")
        .values_list("action", flat=True)
    )


def render_now(capture, **request):
    """Request a document and run the queued task (Celery eager, as without a broker)."""
    with capture(execute=True):
        document = documents.request_document(**request)
    document.refresh_from_db()
    return document


@pytest.fixture
def project(collectivite, clerk, assembly):
    return services.create_project(
        collectivite=collectivite,
        actor=clerk,
        act_type=ActType.DELIBERATION,
        objet="Création d’un jardin partagé",
        assembly=assembly,
        articles=["Un jardin partagé est créé."],
    )


def test_request_queues_the_render_after_commit(played, clerk, django_capture_on_commit_callbacks):
    act = played.acts[0]

    with django_capture_on_commit_callbacks() as callbacks:
        document = documents.request_document(kind="act", target=act, actor=clerk)

    assert (document.status, bool(document.file), len(callbacks)) == (
        DocumentStatus.PENDING,
        False,
        1,
    )
    callbacks[0]()  # the task, in-process like CELERY_TASK_ALWAYS_EAGER
    document.refresh_from_db()
    content = read_bytes(document.file.name)
    assert document.status == DocumentStatus.READY
    assert document.content_sha256 == hashlib.sha256(content).hexdigest()
    assert document.page_count == len(PdfReader(io.BytesIO(content)).pages)
    text = pdf_text(content)
    assert f"Délibération n° {act.number}" in text
    assert act.objet in text
    assert "Adoptée à la majorité des suffrages exprimés." in text
    assert "Le secrétaire de séance," in text
    fields = {f["name"]: f for f in document.signature_fields}
    assert list(fields) == ["Sig_President", "Sig_Secretaire"]
    assert fields["Sig_President"]["page"] == fields["Sig_Secretaire"]["page"]
    assert document_events(act) == ["document.requested", "document.rendered"]


def test_unchanged_data_is_never_rendered_again(played, clerk, django_capture_on_commit_callbacks):
    act = played.acts[0]
    first = render_now(django_capture_on_commit_callbacks, kind="act", target=act, actor=clerk)

    with django_capture_on_commit_callbacks() as callbacks:
        again = documents.request_document(kind="act", target=act, actor=clerk)

    again.refresh_from_db()
    assert again.pk == first.pk
    assert callbacks == []
    assert (again.rendered_at, again.content_sha256) == (first.rendered_at, first.content_sha256)
    assert RenderedDocument.objects.count() == 1
    assert document_events(act) == ["document.requested", "document.rendered"]


def test_a_change_makes_a_new_version_superseding_the_old(
    project, clerk, django_capture_on_commit_callbacks
):
    first = render_now(django_capture_on_commit_callbacks, kind="act", target=project, actor=clerk)
    project = services.update_project(
        act=project, actor=clerk, revision=project.revision, objet="Création d’un verger"
    )

    second = render_now(django_capture_on_commit_callbacks, kind="act", target=project, actor=clerk)

    first.refresh_from_db()
    assert (second.version, second.supersedes_id, second.is_current) == (2, first.pk, True)
    assert first.is_current is False
    assert second.snapshot_sha256 != first.snapshot_sha256
    assert second.content_sha256 != first.content_sha256
    assert "Création d’un verger" in pdf_text(read_bytes(second.file.name))
    assert second.snapshot["draft"] is True


def test_a_frozen_document_is_never_replaced(project, clerk, django_capture_on_commit_callbacks):
    document = render_now(
        django_capture_on_commit_callbacks, kind="act", target=project, actor=clerk
    )
    documents.freeze_document(document=document, actor=clerk)
    project = services.update_project(
        act=project, actor=clerk, revision=project.revision, objet="Autre objet"
    )
    events = document_events(project)

    with pytest.raises(DocumentFrozen):
        documents.request_document(kind="act", target=project, actor=clerk)

    document.refresh_from_db()
    assert RenderedDocument.objects.count() == 1
    assert document.is_current and document.frozen_at is not None
    assert (
        document_events(project)
        == events
        == [
            "document.requested",
            "document.rendered",
            "document.frozen",
        ]
    )


def test_rerender_gives_the_same_bytes(played, clerk, django_capture_on_commit_callbacks):
    document = render_now(
        django_capture_on_commit_callbacks, kind="act", target=played.acts[0], actor=clerk
    )

    check = documents.verify_rerender(document=document)

    assert check.identical is True
    assert check.stored_sha256 == check.rerendered_sha256 == document.content_sha256


def test_a_failed_render_is_stored_with_its_reason_and_no_file(
    project, clerk, settings, django_capture_on_commit_callbacks
):
    annex = services.add_annex(
        act=project,
        actor=clerk,
        stream=io.BytesIO(blank_pdf(2)),
        filename="plan.pdf",
        title="Plan",
    )
    with django_capture_on_commit_callbacks() as callbacks:
        document = documents.request_document(kind="act", target=project, actor=clerk)
    default_storage.delete(annex.file.name)  # the annex disappeared before the render

    callbacks[0]()

    document.refresh_from_db()
    assert document.status == DocumentStatus.FAILED
    assert document.error == "A file needed by the document is missing or has changed."
    assert not document.file
    assert list((settings.MEDIA_ROOT / "documents").rglob("*")) == []
    assert document_events(project) == ["document.requested", "document.failed"]


def test_the_task_renders_once(project, clerk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        document = documents.request_document(kind="act", target=project, actor=clerk)

    assert render_document_task(document_id=document.pk) == "ready"
    document.refresh_from_db()
    assert render_document_task.delay(document_id=document.pk).get() == "ready"

    again = RenderedDocument.objects.get(pk=document.pk)
    assert again.rendered_at == document.rendered_at
    assert document_events(project) == ["document.requested", "document.rendered"]


@pytest.mark.parametrize("who", ["validator", "outsider"])
def test_only_clerks_and_admins_request_renders(project, request, who):
    actor = request.getfixturevalue(who)

    with pytest.raises(NotAllowed):
        documents.request_document(kind="act", target=project, actor=actor)

    assert RenderedDocument.objects.count() == 0
    assert document_events(project) == []


def test_every_member_gets_a_convocation(played, clerk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        rows = documents.request_seance_documents(
            seance=played.seance, actor=clerk, kinds=[DocumentKind.CONVOCATION]
        )

    assert [row.recipient_id for row in rows] == [m.pk for m in played.mandates]
    assert len(callbacks) == 29
    callbacks[4]()
    convocation = RenderedDocument.objects.get(pk=rows[4].pk)
    text = pdf_text(read_bytes(convocation.file.name))
    assert played.mandates[4].official.formal_name in text
    assert "ORDRE DU JOUR" in text
    assert played.acts[2].objet in text


def test_seance_pack_assembles_the_stored_documents(
    played, clerk, django_capture_on_commit_callbacks
):
    pack = render_now(
        django_capture_on_commit_callbacks, kind="pack", target=played.seance, actor=clerk
    )

    assert pack.status == DocumentStatus.READY
    parts = [RenderedDocument.objects.get(pk=p["document"]) for p in pack.snapshot["parts"]]
    assert [p.kind for p in parts] == ["agenda", "synthesis", "act", "act", "act"]
    assert all(p.status == DocumentStatus.READY for p in parts)
    reader = PdfReader(io.BytesIO(read_bytes(pack.file.name)))
    assert len(reader.pages) == 2 + sum(p.page_count for p in parts)
    first, second, postponed = played.acts
    assert [item.title for item in reader.outline if not isinstance(item, list)] == [
        "Sommaire",
        "1. Ordre du jour",
        "2. Note explicative de synthèse",
        f"3. {first.number} — {first.objet}",
        f"4. {second.number} — {second.objet}",
        f"5. Projet de délibération — {postponed.objet}",
    ]
    again = documents.request_document(kind="pack", target=played.seance, actor=clerk)
    assert again.pk == pack.pk
    assert documents.verify_rerender(document=pack).identical is True


def test_settings_change_the_next_version(
    played, admin, clerk, collectivite, django_capture_on_commit_callbacks
):
    act = played.acts[0]
    first = render_now(django_capture_on_commit_callbacks, kind="act", target=act, actor=clerk)

    documents.update_document_settings(
        collectivite=collectivite,
        actor=admin,
        header_lines=["République française"],
        primary_colour="#234e70",
        wording={"certification": "Pour extrait conforme au registre."},
    )
    second = render_now(django_capture_on_commit_callbacks, kind="act", target=act, actor=clerk)

    assert second.pk != first.pk
    assert second.customisation == {
        "header_lines": ["République française"],
        "primary_colour": "#234e70",
        "wording": {"certification": "Pour extrait conforme au registre."},
    }
    assert "Pour extrait conforme au registre." in pdf_text(read_bytes(second.file.name))
    assert parse_customisation(second.customisation).primary_colour == "#234e70"
    assert AuditEvent.objects.filter(action="documents.settings.updated").count() == 1


def test_settings_are_for_admins_and_checked(collectivite, clerk, admin):
    with pytest.raises(NotAllowed):
        documents.update_document_settings(collectivite=collectivite, actor=clerk, footer_text="x")
    with pytest.raises(InvalidDocumentSettings):
        documents.update_document_settings(
            collectivite=collectivite, actor=admin, primary_colour="blue"
        )

    assert DocumentSettings.objects.count() == 0
    assert AuditEvent.objects.filter(action="documents.settings.updated").count() == 0
