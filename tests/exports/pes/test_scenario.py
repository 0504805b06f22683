"""The demo's treasury flows and the scenario's treasury phase (play_pes)."""

from __future__ import annotations

import pytest

from deliberations.scenario import Scenario, play_seance
from exports.pes import read_pes_aller, validate_xsd, verify_flow
from exports.pes.demo import load_pes_demo
from exports.pes.models import PesFlow
from exports.pes.scenario import play_pes
from workflow.journal import verify_journal
from workflow.models import AuditEvent
from workflow.selectors import inbox_for

pytestmark = pytest.mark.slow


def test_play_pes_pays_out_the_subsidies_and_writes_the_signed_flow(db, tmp_path, settings):
    sc = Scenario(out=tmp_path)
    play_seance(sc)

    play_pes(sc)

    flow = PesFlow.objects.get(collectivite=sc.demo.collectivite)
    assert (flow.source, flow.status, flow.piece_count, str(flow.total_ht)) == (
        "built",
        "acknowledged",
        5,
        "48500.00",
    )
    written = [f["path"] for f in sc.files]
    assert written == [f"pes/{flow.file_name}.xml", f"pes/{flow.file_name}-ACQUIT.xml"]
    content = (tmp_path / written[0]).read_bytes()
    assert (tmp_path / "pes" / "outbox" / f"{flow.file_name}.xml").read_bytes() == content
    assert validate_xsd(content, version="5.17") == []
    assert read_pes_aller(content, for_sending=True).warnings == []
    assert verify_flow(content).valid is True
    assert list(
        AuditEvent.objects.filter(chain__key=f"pesflow:{flow.pk}").values_list("action", flat=True)
    ) == [
        "pes.flow.built",
        "pes.circuit.started",
        "pes.circuit.approved",
        "pes.flow.signed",
        "pes.circuit.completed",
        "pes.transmission.queued",
        "pes.flow.sent",
        "pes.acquit.imported",
        "pes.flow.verified",
    ]
    assert sc.steps[-3].startswith("subsidies deliberation ")
    assert verify_journal().ok


def test_the_demo_has_a_flow_waiting_for_the_ordonnateur_and_a_signed_one(db):
    from deliberations.demo import build_collectivite

    demo = build_collectivite(slug="demo-pes", siren_body="21449998")

    flows = load_pes_demo(demo)

    assert (flows["waiting"].status, flows["signed"].status) == ("in_circuit", "signed")
    ordonnateur = demo.users["ordonnateur"]
    assert [(i.flow, i.step.label) for i in inbox_for(ordonnateur)] == [
        (flows["waiting"], "Signature de l'ordonnateur")
    ]
    assert (flows["waiting"].bordereau_count, flows["waiting"].piece_count) == (3, 60)
