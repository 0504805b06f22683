"""Large flows imported in the background (issue 8): the upload kept, the import queued after
commit and run by the task, its progress on the page and in the API, its outcome recorded."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from rest_framework.test import APIClient

from core import progress
from exports.pes import services as pes
from exports.pes.exceptions import PesDuplicateFile
from exports.pes.models import PesFlow, PesImport
from exports.pes.tasks import import_flow_task
from workflow.journal import events_for


@pytest.fixture(autouse=True)
def _everything_in_the_background(settings):
    settings.DELIBRE_PES_BACKGROUND_BYTES = 0


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_the_import_page_hands_a_large_file_to_a_worker_and_follows_it(
    client, finance, pes_bytes, django_capture_on_commit_callbacks
):
    client.force_login(finance)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(reverse("pes-flow-import"), {"file": upload("flux.xml", pes_bytes)})
    job = PesImport.objects.get()
    assert response.headers["Location"] == reverse("pes-import-detail", args=[job.pk])
    assert (job.status, job.size, PesFlow.objects.count(), len(queued)) == (
        "queued",
        len(pes_bytes),
        0,
        1,
    )
    waiting = client.get(reverse("pes-import-detail", args=[job.pk]))
    assert f"{filesizeformat(0)} of {filesizeformat(len(pes_bytes))} read" in waiting.text
    assert 'hx-trigger="every 1s"' in waiting.text

    with django_capture_on_commit_callbacks(execute=True):
        queued[0]()  # the commit: the task runs (in-process, as without a broker)

    job.refresh_from_db()
    flow = PesFlow.objects.get()
    assert (job.status, job.flow_id, job.file.name, job.error) == ("done", flow.pk, "", "")
    assert flow.piece_count == 7
    done = client.get(reverse("pes-import-progress", args=[job.pk]))
    assert done.headers["HX-Redirect"] == reverse("pes-flow-detail", args=[flow.pk])
    assert "The flow was imported: 3 bordereau(x), 7 pièce(s)." in done.text
    assert 'hx-trigger="every 1s"' not in done.text
    assert list(default_storage.listdir(f"pes/{flow.collectivite_id}/incoming")[1]) == []


def test_a_refused_file_is_recorded_with_its_problems(
    client, finance, commune, pes_bytes, django_capture_on_commit_callbacks
):
    broken = pes_bytes.replace(b'<NbrPce V="1"/>', b'<NbrPce V="X"/>')
    with django_capture_on_commit_callbacks(execute=True):
        job = pes.start_import(collectivite=commune, actor=finance, source=broken, name="b.xml")

    job.refresh_from_db()
    assert (job.status, job.error, job.file.name) == (
        "failed",
        "The PES file has 1 error(s).",
        "",
    )
    assert [(i["code"], i["line"]) for i in job.issues] == [("XSD", 23)]
    assert PesFlow.objects.count() == 0
    assert [e.action for e in events_for(commune) if e.action.startswith("pes.import")] == [
        "pes.import.queued",
        "pes.import.failed",
    ]
    client.force_login(finance)
    page = client.get(reverse("pes-import-detail", args=[job.pk]))
    assert "/PES_Aller/PES_RecetteAller/Bordereau/BlocBordereau/NbrPce" in page.text
    assert pes.import_progress(job) is None


def test_the_import_runs_once_and_the_same_file_is_refused_while_it_waits(
    finance, commune, pes_bytes, django_capture_on_commit_callbacks
):
    job = pes.start_import(collectivite=commune, actor=finance, source=pes_bytes, name="f.xml")
    with pytest.raises(PesDuplicateFile) as twice:
        pes.start_import(collectivite=commune, actor=finance, source=pes_bytes, name="f.xml")

    first = import_flow_task.delay(import_id=job.pk).get()
    again = import_flow_task.delay(import_id=job.pk).get()

    assert str(twice.value) == "This file is being imported already."
    assert (first, again, PesFlow.objects.count(), PesImport.objects.count()) == (
        "done",
        "done",
        1,
        1,
    )


def test_the_worker_publishes_the_bytes_read(finance, commune, pes_bytes, monkeypatch):
    published = []
    monkeypatch.setattr(
        progress, "publish", lambda key, *, done, total: published.append((key, done, total))
    )
    job = pes.start_import(collectivite=commune, actor=finance, source=pes_bytes, name="f.xml")

    pes.run_import(import_id=job.pk)

    assert published[-1] == (f"pes-import:{job.pk}", len(pes_bytes), len(pes_bytes))
    assert all(done <= total == len(pes_bytes) for _key, done, total in published)


def test_progress_while_running_is_read_from_the_cache(finance, commune, pes_bytes):
    job = pes.start_import(collectivite=commune, actor=finance, source=pes_bytes, name="f.xml")
    assert (pes.import_progress(job).done, pes.import_progress(job).total) == (0, len(pes_bytes))
    PesImport.objects.filter(pk=job.pk).update(status="running")
    job.refresh_from_db()
    assert pes.import_progress(job) is None

    progress.publish(job.progress_key, done=1000, total=len(pes_bytes))

    assert pes.import_progress(job).done == 1000


def test_the_api_answers_202_and_the_import_is_polled(
    finance, commune, pes_bytes, django_capture_on_commit_callbacks
):
    client = APIClient()
    client.force_authenticate(finance)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        accepted = client.post(
            "/api/pes/flows/import/",
            {"collectivite": commune.pk, "file": upload("flux.xml", pes_bytes)},
            format="multipart",
        )
    assert accepted.status_code == 202
    job_id = accepted.json()["id"]
    assert (accepted.json()["status"], accepted.json()["progress"]) == (
        "queued",
        {"done": 0, "total": len(pes_bytes), "percent": 0},
    )

    queued[0]()
    polled = client.get(f"/api/pes/imports/{job_id}/").json()

    flow = PesFlow.objects.get()
    assert (polled["status"], polled["flow"], polled["issues"]) == ("done", flow.pk, [])
    assert polled["progress"]["percent"] == 100
    assert [j["id"] for j in client.get("/api/pes/imports/").json()["results"]] == [job_id]


def test_someone_outside_the_finance_service_cannot_follow_an_import(
    client, finance, chef, commune, pes_bytes
):
    job = pes.start_import(collectivite=commune, actor=finance, source=pes_bytes, name="f.xml")
    client.force_login(chef)

    assert client.get(reverse("pes-import-detail", args=[job.pk])).status_code == 404
