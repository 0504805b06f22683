"""The prefecture and publication phase of the scenario."""

from __future__ import annotations

import pytest
from django.utils import timezone

from deliberations.enums import ActStatus
from deliberations.models import Act
from deliberations.scenario import Scenario, play_seance
from exports.actes.models import Transmission
from exports.actes.reader import read_incoming
from exports.opendata.scdl import validate_scdl_csv
from exports.publication.models import Publication, SeancePublication
from exports.publication.scenario import transmit_and_publish
from tests.exports.actes.integration import ready_pdf, sign


@pytest.mark.slow
def test_transmit_and_publish_after_the_signatures(db, tmp_path, settings):
    settings.DELIBRE_ACTES_DIR = tmp_path / "actes-root"
    sc = Scenario(out=tmp_path / "out")
    play_seance(sc)
    voted = [i.act for i in sc.seance.items.select_related("act") if i.act.status == "adopted"]
    for act in voted:  # as signing/ would (the séance took place three days ago)
        ready_pdf(act)
        sign(act)
    arrete = sc.demo.acts["arrete"]
    ready_pdf(arrete)
    if Act.objects.get(pk=arrete.pk).status != ActStatus.SIGNED:
        # as signing/ would at the end of its circuit (with the date of the signature)
        Act.objects.filter(pk=arrete.pk).update(decision_date=timezone.localdate())
        sign(arrete)

    written = transmit_and_publish(sc)

    archives = sorted(p for p in written if p.startswith("actes/EACT--"))
    assert len(voted) == 4
    assert len(archives) == 5, sc.steps[-1]  # four deliberations and the arrêté
    for path in archives:
        package = read_incoming(content=(tmp_path / "out" / path).read_bytes())
        assert package.envelope.schema_errors == ()
        assert package.messages[0].schema_errors == ()
    assert set(Transmission.objects.values_list("status", flat=True)) == {"acknowledged"}
    assert (
        sorted(Act.objects.filter(publication__isnull=False).values_list("status", flat=True))
        == [ActStatus.PUBLISHED] * 5
    )
    assert set(SeancePublication.objects.values_list("kind", flat=True)) == {
        "deliberation_list",
        "minutes",
    }
    csv = (tmp_path / "out" / "opendata" / "deliberations.csv").read_bytes()
    assert validate_scdl_csv(content=csv) == []
    assert csv.count(b"\r\n") == 1 + 4
    assert (tmp_path / "out" / "opendata" / "deliberations.json").exists()
    assert Publication.objects.count() == 5
