"""The sample history of tests/fixtures/history (300 acts over three years) imported end to end:
numbers and dates kept, statuses reached through the lifecycle, signatures checked, searchable,
publishable, in the open data, and a second run that changes nothing.

The sample is checked (dry run) and imported once for the module, inside a transaction rolled
back at its end; each test runs in a savepoint of it (pytest-django's ``db``), so what a test
changes is undone before the next one. One import of 300 acts instead of one per test keeps
this module to a few seconds more than the import itself.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import translation

from deliberations.models import Act, ElectedOfficial, Mandate, Seance
from exports.actes.models import PrefectureMessage
from exports.publication import opendata
from exports.publication.models import Publication
from exports.publication.services import publish_act
from history.models import ImportBatch, ImportedAct
from tests.history.conftest import Commune, make_commune, run_import
from tests.history.helpers import census
from workflow.journal import verify_journal
from workflow.models import AuditEvent

pytestmark = pytest.mark.django_db


@dataclass
class Sample:
    commune: Commune
    folder: Path
    media: Path
    dry_run: Any
    census_before: dict[str, Any]
    census_after_dry_run: dict[str, Any]
    report: Any


@pytest.fixture(scope="module")
def sample(django_db_setup, django_db_blocker, sample_files, history_pki, tmp_path_factory):
    media = tmp_path_factory.mktemp("sample-media")
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=media,
            LANGUAGE_CODE="en",
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        translation.override("en"),
        transaction.atomic(),
    ):
        commune = make_commune(history_pki)
        before = census()
        dry_run = run_import(commune, sample_files, dry_run=True)
        after_dry_run = census()
        report = run_import(commune, sample_files)
        yield Sample(commune, sample_files, media, dry_run, before, after_dry_run, report)
        transaction.set_rollback(True)


@pytest.fixture
def imported(sample, settings):
    settings.MEDIA_ROOT = sample.media
    return sample.report


@pytest.fixture
def commune(sample) -> Commune:
    return sample.commune


@pytest.fixture
def export(sample) -> Path:
    return sample.folder


def manifest_rows(folder: Path) -> dict[str, dict[str, str]]:
    with (folder / "manifest.csv").open(encoding="utf-8") as handle:
        return {row["number"]: row for row in csv.DictReader(handle)}


@pytest.fixture
def rows(export) -> dict[str, dict[str, str]]:
    return manifest_rows(export)


def test_the_dry_run_reports_no_problem_and_writes_nothing(sample):
    report = sample.dry_run

    assert [p.as_dict() for p in report.problems] == []
    assert report.counts == {
        "rows": 300,
        "new": 300,
        "unchanged": 0,
        "conflicts": 0,
        "invalid": 0,
        "officials": 30,
        "mandates": 30,
        "assemblies": 1,
        "classification": 1,
        "seances": 24,
        "annexes": 64,
        "acknowledgements": 296,
        "publications": 291,
        "signatures": {"valid": 18, "invalid": 1, "untrusted": 2, "unsigned": 279},
    }
    assert (report.dry_run, report.batch_id) == (True, None)
    assert sample.census_after_dry_run == sample.census_before


def test_the_sample_imports_with_its_numbers_dates_votes_and_statuses(imported, commune, rows):
    collectivite = commune.collectivite

    acts = {act.number: act for act in Act.objects.filter(collectivite=collectivite)}
    assert sorted(acts) == sorted(rows)
    assert {number: act.decision_date.isoformat() for number, act in acts.items()} == {
        number: row["decision_date"] for number, row in rows.items()
    }
    statuses = {number: act.status for number, act in acts.items()}
    assert statuses["2023_001"] == "published"  # acknowledged, then published
    assert statuses["2025_070"] == "published"  # transmitted, never acknowledged, published
    assert statuses["2025_072"] == "acknowledged"  # not published yet
    assert statuses["AR2025_027"] == "published"  # never transmitted, published
    assert statuses["AR2023_005"] == "acknowledged"  # confidential: never published
    assert sorted(set(statuses.values())) == ["acknowledged", "published"]
    assert (acts["AR2023_005"].confidential, acts["AR2023_005"].nature) == (True, 3)
    assert imported.batch_id == ImportBatch.objects.get().pk
    assert ImportedAct.objects.count() == 300
    assert Seance.objects.filter(collectivite=collectivite, status="closed").count() == 24
    assert ElectedOfficial.objects.filter(collectivite=collectivite).count() == 30
    assert Mandate.objects.filter(official__collectivite=collectivite).count() == 30
    first = acts["2023_001"]
    vote = first.agenda_items.get().vote
    row = rows["2023_001"]
    assert (
        vote.members_in_office,
        vote.present,
        vote.represented,
        vote.for_count,
        vote.against_count,
        vote.abstention_count,
        vote.mode,
        vote.result,
    ) == (
        int(row["members_in_office"]),
        int(row["present"]),
        int(row["represented"]),
        int(row["for"]),
        int(row["against"]),
        int(row["abstention"]),
        "totals",
        "adopted",
    )
    assert first.rapporteur.official.full_name == "Marie DUPONT"
    assert first.matiere.code == row["matiere"]
    record = first.history_import
    assert (record.id_acte, record.ack_date.isoformat(), record.transmitted_on.isoformat()) == (
        row["id_acte"],
        row["ar_date"],
        row["transmitted_on"],
    )
    assert (
        Publication.objects.get(act=first).published_at.date().isoformat() == (row["published_on"])
    )
    noted = next(n for n, r in rows.items() if r["vote_result"] == "noted")
    assert acts[noted].agenda_items.get().vote.result == "noted"
    assert PrefectureMessage.objects.filter(collectivite=collectivite, kind="1-2").count() == 6
    assert PrefectureMessage.objects.get(act=first).data["date_reception"] == row["ar_date"]


def test_the_journal_tells_the_import(imported, commune):
    actions = list(AuditEvent.objects.values_list("action", flat=True))

    assert actions.count("act.imported") == 300
    assert actions.count("seance.imported") == 24
    assert actions.count("history.batch.imported") == 1
    assert actions.count("act.published") == 291
    event = AuditEvent.objects.get(
        action="act.imported", object_id=str(Act.objects.get(number="2025_001").pk)
    )
    # The import reaches "acknowledged"; the publication that follows is its own event.
    assert (event.actor, event.data["status"], event.data["signatures"]) == (
        commune.admin,
        "acknowledged",
        "valid",
    )
    assert verify_journal().ok


def test_signatures_are_checked_and_the_reports_kept(imported):
    records = {r.number: r for r in ImportedAct.objects.all()}

    assert {
        n: records[n].signature_status for n in ("2025_001", "2024_010", "2024_020", "2023_001")
    } == {
        "2025_001": "valid",
        "2024_010": "untrusted",
        "2024_020": "invalid",
        "2023_001": "unsigned",
    }
    valid = records["2025_001"].signature_report
    assert (valid["signature_count"], valid["all_valid"], valid["signatures"][0]["acceptable"]) == (
        1,
        True,
        True,
    )
    untrusted = records["2024_010"].signature_report["signatures"][0]
    assert (untrusted["intact"], untrusted["trusted"], untrusted["acceptable"]) == (
        True,
        False,
        False,
    )
    modified = records["2024_020"].signature_report["signatures"][0]
    assert (modified["intact"], modified["acceptable"]) == (False, False)
    assert records["2023_001"].signature_report == {}
    assert records["2025_001"].signature_count == 1


def test_a_second_run_changes_nothing(imported, commune, export):
    before = census()
    events = AuditEvent.objects.count()

    report = run_import(commune, export)

    assert (report.batch_id, report.counts["new"], report.counts["unchanged"]) == (None, 0, 300)
    assert AuditEvent.objects.count() == events
    assert census() == before


def test_imported_acts_are_searchable_publishable_and_on_the_portal(imported, commune, client):
    collectivite = commune.collectivite
    client.force_login(commune.admin)
    act = Act.objects.get(collectivite=collectivite, number="2024_035")
    words = " ".join(act.objet.split()[:3])

    by_number = client.get("/acts/", {"q": act.number})
    by_words = client.get("/acts/", {"q": words})
    portal = client.get(f"/actes/{collectivite.slug}/", {"q": "2023_001"})
    publication = publish_act(act=act, actor=commune.clerk)
    page = client.get(f"/actes/{collectivite.slug}/{act.number}/")
    pdf = client.get(f"/actes/{collectivite.slug}/{act.number}.pdf")

    assert (by_number.status_code, by_words.status_code, portal.status_code) == (200, 200, 200)
    assert f'href="/acts/{act.pk}/"' in by_number.content.decode()
    assert f'href="/acts/{act.pk}/"' in by_words.content.decode()
    assert f"/actes/{collectivite.slug}/2023_001/" in portal.content.decode()
    assert f"/actes/{collectivite.slug}/2024_035/" not in portal.content.decode()
    assert (publication.pdf_source, publication.file_sha256) == (
        "imported",
        act.history_import.pdf_sha256,
    )
    assert page.status_code == 200
    assert b"".join(pdf.streaming_content) == act.history_import.pdf.open("rb").read()
    act.refresh_from_db()
    assert act.status == "published"


def test_imported_deliberations_are_in_the_open_data_with_their_votes(imported, commune, rows):
    collectivite = commune.collectivite

    lines = list(csv.DictReader(io.StringIO(opendata.export_csv([collectivite]).decode("utf-8"))))

    expected = sorted(
        n
        for n, r in rows.items()
        if r["type"] == "deliberation" and r["published_on"] and r["vote_result"] == "adopted"
    )
    assert sorted(line["DELIB_ID"] for line in lines) == expected
    line = next(line for line in lines if line["DELIB_ID"] == "2023_001")
    row = rows["2023_001"]
    voters = int(row["for"]) + int(row["against"]) + int(row["abstention"])
    assert {
        k: line[k]
        for k in (
            "DELIB_DATE",
            "PREF_DATE",
            "VOTE_EFFECTIF",
            "VOTE_REEL",
            "VOTE_POUR",
            "VOTE_CONTRE",
            "VOTE_ABSTENTION",
            "DELIB_MATIERE_CODE",
        )
    } == {
        "DELIB_DATE": row["decision_date"],
        "PREF_DATE": row["ar_date"],
        "VOTE_EFFECTIF": "29",
        "VOTE_REEL": str(voters),
        "VOTE_POUR": row["for"],
        "VOTE_CONTRE": row["against"],
        "VOTE_ABSTENTION": row["abstention"],
        "DELIB_MATIERE_CODE": row["matiere"],
    }
    late = next(line for line in lines if line["DELIB_ID"] == "2025_070")
    assert late["PREF_DATE"] == ""  # sent, never acknowledged


def test_an_acknowledged_imported_act_is_never_sent_again(imported, commune, rows):
    from exports.actes.exceptions import TransmissionRefused
    from exports.actes.models import Transmission
    from exports.actes.services import prepare_transmission

    act = Act.objects.get(number="2023_001")

    with pytest.raises(TransmissionRefused) as refusal:
        prepare_transmission(act=act, actor=commune.clerk)

    assert str(refusal.value.message) == (
        "This act was acknowledged by the prefecture before Délibre (received on "
        f"{dt.date.fromisoformat(rows['2023_001']['ar_date']):%d/%m/%Y}): an act is "
        "never sent twice."
    )
    assert Transmission.objects.count() == 0
