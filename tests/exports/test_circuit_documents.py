"""Acts with an approval circuit: signature blocks and proof sheet read from the run.

The contract with workflow/ (CircuitRun, StepRun, StepAssignee, Decision): skipped while the
circuits are not installed.
"""

from __future__ import annotations

import pytest

from deliberations import services
from deliberations.enums import ActType, Role
from exports.snapshots import build_inputs
from exports.snapshots.common import iso_datetime
from tests.factories import NumberingSchemeFactory, member

from .conftest import DOCUMENTS

circuits = pytest.importorskip("workflow.services.circuits")
runs = pytest.importorskip("workflow.services.runs")

pytestmark = DOCUMENTS


def test_arrete_in_circuit_gets_its_signature_steps_and_decisions(
    collectivite, clerk, admin, validator, mandates
):
    NumberingSchemeFactory(
        collectivite=collectivite,
        act_type=ActType.ARRETE,
        pattern="ARR{YYYY}_{SEQ:4}",
        counter_name="ar",
    )
    mayor = member(collectivite, Role.SIGNER, username="maire")
    mandates[0].official.user = mayor
    mandates[0].official.save(update_fields=["user"])
    circuit = circuits.create_circuit(
        collectivite=collectivite,
        actor=admin,
        name="Arrêtés",
        phase="preparation",
        act_types=["arrete"],
        steps=[
            circuits.StepSpec(kind="visa", label="Visa DGS", users=[validator]),
            circuits.StepSpec(
                kind="signature", label="Signature", users=[mayor], signer_quality="Le Maire"
            ),
        ],
    )
    act = services.create_project(
        collectivite=collectivite,
        actor=clerk,
        act_type=ActType.ARRETE,
        objet="Fermeture de la rue de l’Église",
        articles=["La rue est fermée."],
    )
    run = runs.start_circuit(act=act, actor=clerk, circuit=circuit)
    visa = run.steps.get(position=1)
    runs.approve_step(step_run=visa, actor=validator, comment="Favorable")
    act.refresh_from_db()

    snapshot = build_inputs("act", act=act, verification_token="t").snapshot
    proof = build_inputs("proof", act=act).snapshot

    name = mandates[0].official.full_name
    assert snapshot["signatures"] == [
        {"field": "Sig_Etape2", "role": "Le Maire", "name": name, "quality": "Maire"}
    ]
    assert snapshot["author"] == {"name": name, "quality": "Maire"}
    decision = visa.decisions.get()
    assert proof["circuit"]["name"] == "Arrêtés"
    assert proof["circuit"]["steps"] == [
        {
            "position": 1,
            "kind": "visa",
            "mode": "one",
            "assignees": [validator.display_name],
            "decisions": [
                {
                    "actor": validator.display_name,
                    "action": "approved",
                    "at": iso_datetime(decision.created_at),
                    "comment": "Favorable",
                }
            ],
        },
        {
            "position": 2,
            "kind": "signature",
            "mode": "one",
            "assignees": [name],
            "decisions": [],
        },
    ]
