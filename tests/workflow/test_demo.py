"""The demo commune's parapheur and the scenario's circuits (both through the services)."""

from __future__ import annotations

import json

import pytest

from deliberations.demo import load_demo
from deliberations.enums import ActStatus
from deliberations.models import Act, User
from deliberations.scenario import run_scenario
from workflow.journal import verify_journal
from workflow.models import AssigneeGroup, Circuit, CircuitRun, Delegation
from workflow.selectors import inbox_for

pytestmark = pytest.mark.slow


def test_demo_has_circuits_a_delegation_and_folders_in_every_state(db):
    demo, created = load_demo()
    assert created
    # The treasury flows (exports.pes.demo) add the finance desk and the PES circuit.
    assert list(AssigneeGroup.objects.values_list("name", flat=True)) == [
        "Direction générale",
        "Service des finances",
    ]
    assert list(Circuit.objects.order_by("name").values_list("name", "phase")) == [
        ("Arrêtés du Maire", "preparation"),
        ("Flux comptables (PES)", "pes"),
        ("Préparation des délibérations", "preparation"),
        ("Signature des délibérations", "signature"),
    ]
    delegation = Delegation.objects.get()
    assert (
        delegation.delegator.username,
        delegation.delegate.username,
        delegation.matiere_codes,
    ) == (
        "maire",
        "adjointe",
        ["7"],
    )
    states = {key: Act.objects.get(pk=act.pk).status for key, act in demo.acts.items()}
    assert {k: states[k] for k in ("waiting_dgs", "returned", "validated", "recalled")} == {
        "waiting_dgs": ActStatus.IN_CIRCUIT,
        "returned": ActStatus.RETURNED,
        "validated": ActStatus.VALIDATED,
        "recalled": ActStatus.DRAFT,
    }
    assert CircuitRun.objects.get(act=demo.acts["recalled"]).status == "recalled"
    adjointe = User.objects.get(username="adjointe")
    assert sorted((i.step.label, bool(i.on_behalf_of)) for i in inbox_for(adjointe)) == [
        ("Signature du Maire", True),
        ("Visa de l'adjointe aux finances", False),
    ]
    assert verify_journal().ok
    assert load_demo() == (None, False)


def test_scenario_runs_a_rejection_and_a_resubmission(db, tmp_path):
    summary = run_scenario(tmp_path)
    steps = summary["steps"]
    assert steps[1] == (
        "project 1 sent into “Préparation des délibérations”: visa of the DGS, rejected by the "
        "adjointe aux finances (imputation budgétaire missing)"
    )
    assert steps[2] == (
        "project 1 fixed and sent again in a new run; 5 projects validated by the circuit "
        "(6 runs, 1 returned)"
    )
    arrete = next(a for a in summary["acts"] if a["objet"].startswith("Arrêté"))
    assert (arrete["status"], arrete["number"].startswith("AR")) == ("published", True)
    journal = [json.loads(line) for line in (tmp_path / "journal.jsonl").read_text().splitlines()]
    actions = [e["action"] for e in journal]
    assert actions.count("act.circuit.rejected") == 2
    # 5 preparation runs, the arrêté's run (signed in the signing phase), 4 signature runs
    assert actions.count("act.circuit.completed") == 10
    assert verify_journal().ok
