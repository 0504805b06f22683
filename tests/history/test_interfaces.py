"""The three ways in: ``manage.py import_history``, the settings page (check, then import) and
the API — each a thin layer over history.services, with the same report, dry run and
idempotence."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from deliberations.models import Act
from history.models import ImportBatch, ImportedAct
from tests.history.helpers import arrete, census, deliberation, write_export, zipped
from workflow.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_export(tmp_path):
    return write_export(
        tmp_path / "export",
        [
            deliberation("2024_001", "2024-03-14", published_on="2024-03-18"),
            deliberation("2024_002", "2024-03-14"),
            arrete("AR2024_001", "2024-03-20", transmitted_on="2024-03-21"),
        ],
    )


def command(*args: str) -> str:
    out = io.StringIO()
    call_command("import_history", *args, stdout=out)
    return out.getvalue()


def test_the_command_checks_imports_then_changes_nothing_the_second_time(commune, small_export):
    manifest = str(small_export / "manifest.csv")
    base = [
        manifest,
        "--collectivite",
        commune.collectivite.slug,
        "--files",
        str(small_export),
        "--officials",
        str(small_export / "elus.csv"),
        "--classification",
        str(small_export / "classification.xml"),
    ]
    before = census()

    checked = command(*base, "--dry-run")
    after_dry_run = census()
    imported = command(*base)
    after_import = census()
    events = AuditEvent.objects.count()
    again = command(*base)

    assert checked.splitlines()[-1].startswith("Dry run: no error; 3 acts would be imported (")
    assert after_dry_run == before
    batch = ImportBatch.objects.get()
    assert re.fullmatch(
        rf"Imported 3 acts \(batch {batch.pk}\) in [0-9.]+ s\.", imported.splitlines()[-1]
    )
    assert sorted(Act.objects.values_list("number", "status")) == [
        ("2024_001", "published"),
        ("2024_002", "signed"),
        ("AR2024_001", "transmitted"),
    ]
    assert again.splitlines()[-1] == (
        "Nothing new to import: the 3 acts of this manifest were already imported, unchanged."
    )
    assert AuditEvent.objects.count() == events
    assert census() == after_import


def test_the_command_lists_every_problem_and_fails(commune, small_export):
    (small_export / "pdf" / "2024_002.pdf").unlink()
    before = census()

    out = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command(
            "import_history",
            str(small_export / "manifest.csv"),
            "--collectivite",
            commune.collectivite.slug,
            "--officials",
            str(small_export / "elus.csv"),
            "--classification",
            str(small_export / "classification.xml"),
            stdout=out,
        )

    assert str(failure.value) == (
        "The import was refused: 1 problem must be corrected first (nothing was written)."
    )
    assert out.getvalue().splitlines()[:2] == [
        "file            line  column           problem",
        "manifest           3  pdf              ERROR: pdf/2024_002.pdf: This file is not in the "
        "files folder.",
    ]
    assert census() == before


def test_the_command_refuses_an_unknown_collectivite(small_export):
    with pytest.raises(CommandError) as failure:
        command(str(small_export / "manifest.csv"), "--collectivite", "nowhere")

    assert str(failure.value) == "No collectivité with the slug nowhere."


def uploads(folder) -> dict[str, SimpleUploadedFile]:
    return {
        "manifest": SimpleUploadedFile("manifest.csv", (folder / "manifest.csv").read_bytes()),
        "files": SimpleUploadedFile("export.zip", zipped(folder)),
        "officials": SimpleUploadedFile("elus.csv", (folder / "elus.csv").read_bytes()),
        "classification": SimpleUploadedFile(
            "classification.xml", (folder / "classification.xml").read_bytes()
        ),
    }


def test_the_page_checks_then_imports_what_was_checked(commune, small_export, client):
    client.force_login(commune.admin)

    page = client.get("/history/")
    checked = client.post("/history/check/", uploads(small_export))
    token = client.session["history_pending"]["token"]
    imported = client.post("/history/import/", {"token": token})

    assert page.status_code == 200
    assert checked.status_code == 200
    assert "Ready to import" in checked.content.decode()
    assert ImportedAct.objects.count() == 3
    batch = ImportBatch.objects.get()
    assert (imported.status_code, imported["Location"]) == (302, f"/history/batches/{batch.pk}/")
    detail = client.get(imported["Location"])
    assert detail.status_code == 200
    assert "AR2024_001" in detail.content.decode()
    assert "history_pending" not in client.session


def test_the_page_shows_the_problems_and_offers_no_import(commune, small_export, client):
    (small_export / "pdf" / "AR2024_001.pdf").write_bytes(b"not a pdf")
    client.force_login(commune.admin)
    before = census()

    checked = client.post("/history/check/", uploads(small_export))

    content = checked.content.decode()
    assert checked.status_code == 200
    assert "Problems to correct" in content
    assert "pdf/AR2024_001.pdf: This file is not a PDF document." in content
    assert 'action="/history/import/"' not in content
    assert census() == before


def test_the_page_is_for_administrators_only(commune, client):
    client.force_login(commune.clerk)

    assert client.get("/history/").status_code == 404


def test_the_api_dry_run_import_and_refusal(commune, small_export):
    api = APIClient()
    api.force_authenticate(commune.admin)
    collectivite = commune.collectivite.pk

    dry_run = api.post(
        "/api/history/imports/",
        {**uploads(small_export), "collectivite": collectivite, "dry_run": "true"},
        format="multipart",
    )
    created = api.post(
        "/api/history/imports/",
        {**uploads(small_export), "collectivite": collectivite},
        format="multipart",
    )
    again = api.post(
        "/api/history/imports/",
        {**uploads(small_export), "collectivite": collectivite},
        format="multipart",
    )
    manifest = small_export / "manifest.csv"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("(2024_002)", "(2024_002) modifiée"),
        encoding="utf-8",
    )
    refused = api.post(
        "/api/history/imports/",
        {**uploads(small_export), "collectivite": collectivite},
        format="multipart",
    )
    listed = api.get("/api/history/acts/", {"signature_status": "unsigned"})

    assert (dry_run.status_code, dry_run.json()["counts"]["new"], dry_run.json()["batch"]) == (
        200,
        3,
        None,
    )
    batch = ImportBatch.objects.get()
    assert (created.status_code, created.json()["batch"]) == (201, batch.pk)
    assert (again.status_code, again.json()["counts"]["unchanged"]) == (200, 3)
    assert refused.status_code == 400
    assert refused.json()["report"]["problems"] == [
        {
            "source": "manifest",
            "line": 3,
            "field": "number",
            "code": "conflict",
            "severity": "error",
            "message": f"The act 2024_002 was imported on {timezone.localdate().isoformat()} "
            "with other values (objet): an imported act is never overwritten. Restore the row "
            "as it was, or remove it from the manifest.",
        },
    ]
    assert refused.json()["report"]["counts"]["unchanged"] == 2
    assert ImportBatch.objects.count() == 1
    assert listed.status_code == 200
    assert sorted(a["number"] for a in listed.json()["results"]) == [
        "2024_001",
        "2024_002",
        "AR2024_001",
    ]


def test_the_api_refuses_a_clerk(commune, small_export):
    api = APIClient()
    api.force_authenticate(commune.clerk)

    answer = api.post(
        "/api/history/imports/",
        {**uploads(small_export), "collectivite": commune.collectivite.pk, "dry_run": "true"},
        format="multipart",
    )

    assert answer.status_code == 403
    assert ImportBatch.objects.count() == 0
