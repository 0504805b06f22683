"""The open-data export of the published deliberations: SCDL CSV rows from the model, matching
the votes, valid against the table schema; the JSON with the votes per member; the command."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from core.files import store_bytes
from deliberations.validators import luhn_complete
from exports.actes.enums import TransmissionStatus
from exports.actes.models import Transmission
from exports.opendata.scdl import validate_scdl_csv
from exports.publication import opendata, services
from tests.exports.actes import integration as fixtures
from tests.exports.actes.integration import ready_pdf, sign

# Fixtures shared with the other integration modules (assigned, so that they override the
# library's own ``collectivite`` in tests/exports/actes/conftest.py).
admin = fixtures.admin
arrete = fixtures.arrete
assembly = fixtures.assembly
classification = fixtures.classification
clerk = fixtures.clerk
collectivite = fixtures.collectivite
mandates = fixtures.mandates
outsider = fixtures.outsider
played = fixtures.played
signed_acts = fixtures.signed_acts
the_council = fixtures.the_council
validator = fixtures.validator

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(signed_acts, clerk, collectivite):
    collectivite.siret = luhn_complete(collectivite.siren + "0001")
    collectivite.prefecture_id = "PREF034"
    collectivite.save(update_fields=["siret", "prefecture_id"])
    return [services.publish_act(act=act, actor=clerk) for act in signed_acts]


def rows(content: bytes) -> list[dict[str, str]]:
    import csv
    import io

    return list(csv.DictReader(io.StringIO(content.decode("utf-8"), newline="")))


def test_the_csv_has_one_row_per_published_adopted_deliberation(published, collectivite):
    content = opendata.export_csv([collectivite])

    first, second = rows(content)
    vote = published[0].act.agenda_items.get().vote
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert validate_scdl_csv(content=content) == []
    assert first == {
        "COLL_NOM": "Commune de Saint-Exemple",
        "COLL_SIRET": collectivite.siret,
        "DELIB_ID": published[0].identifier,
        "DELIB_DATE": yesterday,
        "DELIB_MATIERE_CODE": "7.5",
        "DELIB_MATIERE_NOM": "finances locales/subventions",
        "DELIB_OBJET": "Attribution d’une subvention de 1 500 € au comité des fêtes « Les Amis »",
        "BUDGET_ANNEE": "2026",
        "BUDGET_NOM": "Budget principal",
        "PREF_ID": "",
        "PREF_DATE": "",
        "VOTE_EFFECTIF": "29",
        "VOTE_REEL": str(vote.for_count + vote.against_count + vote.abstention_count),
        "VOTE_POUR": str(vote.for_count),
        "VOTE_CONTRE": "1",
        "VOTE_ABSTENTION": "1",
        "DELIB_URL": f"{settings.PUBLIC_URL}/actes/{collectivite.slug}/{published[0].identifier}.pdf",
    }
    assert (second["VOTE_POUR"], second["VOTE_CONTRE"], second["VOTE_ABSTENTION"]) == (
        "19",
        "2",
        "0",
    )
    assert (second["DELIB_MATIERE_CODE"], second["DELIB_MATIERE_NOM"]) == (
        "8.1",
        "domaines de compétences par thèmes/enseignement",
    )


def test_the_acknowledgement_fills_the_prefecture_columns(published, collectivite):
    act = published[0].act
    Transmission.objects.create(
        collectivite=collectivite,
        act=act,
        sent_on=act.decision_date,
        serial=1,
        envelope_name="e.xml",
        message_name="m.xml",
        archive_name="a.tar.gz",
        archive=store_bytes("actes/tests", b"x", extension="tar.gz"),
        archive_sha256="0" * 64,
        connector="folder",
        status=TransmissionStatus.ACKNOWLEDGED,
        ack_date=timezone.localdate(),
    )

    first = rows(opendata.export_csv([collectivite]))[0]

    assert (first["PREF_ID"], first["PREF_DATE"]) == ("PREF034", timezone.localdate().isoformat())


def test_unpublished_and_not_deliberations_are_left_out(signed_acts, clerk, collectivite, arrete):
    collectivite.siret = luhn_complete(collectivite.siren + "0001")
    collectivite.save(update_fields=["siret"])
    services.publish_act(act=signed_acts[1], actor=clerk)
    ready_pdf(arrete)
    services.publish_act(act=sign(arrete), actor=clerk)

    content = opendata.export_csv([collectivite])

    assert [row["DELIB_ID"] for row in rows(content)] == [signed_acts[1].number]


def test_the_json_carries_each_members_vote(published, collectivite):
    document = json.loads(opendata.export_json(collectivite))

    first = document["deliberations"][0]
    choices = [vote["vote"] for vote in first["votes"]]
    assert (choices.count("pour"), choices.count("contre"), choices.count("abstention")) == (
        first["VOTE_POUR"],
        first["VOTE_CONTRE"],
        first["VOTE_ABSTENTION"],
    )
    assert [v["procuration_donnee_a"] for v in first["votes"] if v["procuration_donnee_a"]] != []
    assert document["deliberations"][1]["votes"] == []  # recorded as totals
    assert first["liens"]["page"].endswith(f"/actes/{collectivite.slug}/{first['DELIB_ID']}/")


def test_the_command_writes_the_validated_file(published, collectivite, tmp_path):
    target = tmp_path / "deliberations.csv"
    year = published[0].act.decision_date.year

    call_command("export_opendata", "-o", str(target), "--year", str(year))
    empty = tmp_path / "empty.csv"
    call_command("export_opendata", "-o", str(empty), "--year", str(year - 5))

    assert validate_scdl_csv(content=target.read_bytes()) == []
    assert len(rows(target.read_bytes())) == 2
    assert rows(empty.read_bytes()) == []


def test_the_command_reports_the_broken_rules(published, collectivite, tmp_path):
    collectivite.siret = ""
    collectivite.save(update_fields=["siret"])

    with pytest.raises(CommandError) as refusal:
        call_command("export_opendata", "-o", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError) as json_refusal:
        call_command("export_opendata", "-o", str(tmp_path / "x.json"), "--format", "json")

    assert "line 2, COLL_SIRET: This column must have a value." in str(refusal.value)
    assert str(json_refusal.value) == "--format json needs --collectivite."
    assert not (tmp_path / "x.csv").exists()
