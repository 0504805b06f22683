"""Two people deciding at once: one decision counts, the other gets a clear answer; a decision
racing a recall leaves a consistent state. Real threads, each with its own PostgreSQL connection,
released together by a barrier."""

from __future__ import annotations

import pytest

from deliberations import services as delib
from deliberations.enums import ActStatus, ActType, Role
from tests.deliberations.test_concurrency import race
from tests.factories import CollectiviteFactory, member
from tests.factories.workflow import AssigneeGroupFactory, make_circuit, visa
from workflow import services
from workflow.enums import DecisionAction, RunStatus, StepMode, StepStatus
from workflow.exceptions import AlreadyDecided
from workflow.journal import events_for, verify_journal
from workflow.models import CircuitRun, Decision, StepRun

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setting():
    collectivite = CollectiviteFactory()
    admin = member(collectivite, Role.ADMIN, username="admin")
    clerk = member(collectivite, Role.CLERK, username="clerk")
    first = member(collectivite, Role.VALIDATOR, username="first")
    second = member(collectivite, Role.VALIDATOR, username="second")
    desk = AssigneeGroupFactory(collectivite=collectivite, members=[first, second])
    return collectivite, admin, clerk, first, second, desk


def _sent(collectivite, clerk, objet):
    act = delib.create_project(
        collectivite=collectivite, actor=clerk, act_type=ActType.DELIBERATION, objet=objet
    )
    return act, services.start_circuit(act=act, actor=clerk)


@pytest.mark.parametrize("attempt", range(3))
def test_two_validators_approving_a_one_step_count_once(setting, attempt):
    collectivite, admin, clerk, first, second, desk = setting
    make_circuit(collectivite, admin, visa("DGS", desk), visa("Maire", admin), name="Course")
    act, run = _sent(collectivite, clerk, f"Course {attempt}")
    step = StepRun.objects.get(run=run, position=1)
    results = race(
        [
            lambda: services.approve_step(step_run=step, actor=first),
            lambda: services.approve_step(step_run=step, actor=second),
        ]
    )
    winners = [r for r in results if isinstance(r, StepRun)]
    losers = [r for r in results if isinstance(r, AlreadyDecided)]
    assert (len(winners), len(losers)) == (1, 1)
    assert str(losers[0]) == (
        "This step has already been decided: reload the folder to see where it is."
    )
    assert Decision.objects.filter(step_run=step, action=DecisionAction.APPROVE).count() == 1
    assert list(
        StepRun.objects.filter(run=run).order_by("position").values_list("status", flat=True)
    ) == [StepStatus.DONE, StepStatus.ACTIVE]
    assert [e.action for e in events_for(act)].count("act.circuit.approved") == 1
    assert verify_journal().ok


def test_all_step_approvals_at_once_complete_it_exactly_once(setting):
    collectivite, admin, clerk, first, second, _desk = setting
    make_circuit(collectivite, admin, visa("Conjoint", first, second, mode=StepMode.ALL), name="ET")
    act, run = _sent(collectivite, clerk, "Conjoint")
    step = StepRun.objects.get(run=run)
    results = race(
        [
            lambda: services.approve_step(step_run=step, actor=first),
            lambda: services.approve_step(step_run=step, actor=second),
        ]
    )
    assert all(isinstance(r, StepRun) for r in results)
    act.refresh_from_db()
    assert act.status == ActStatus.VALIDATED
    assert [e.action for e in events_for(act)][-2:] == [
        "act.circuit.approved",
        "act.circuit.completed",
    ]


@pytest.mark.parametrize("attempt", range(3))
def test_a_decision_racing_a_recall_leaves_a_consistent_state(setting, attempt):
    collectivite, admin, clerk, first, _second, desk = setting
    make_circuit(collectivite, admin, visa("DGS", desk), visa("Maire", admin), name="Remords")
    act, run = _sent(collectivite, clerk, f"Remords {attempt}")
    step = StepRun.objects.get(run=run, position=1)
    results = race(
        [
            lambda: services.approve_step(step_run=step, actor=first),
            lambda: services.recall(run=run, actor=clerk),
        ]
    )
    refused = [r for r in results if isinstance(r, AlreadyDecided)]
    assert len(refused) == 1
    act.refresh_from_db()
    run.refresh_from_db()
    decisions = list(Decision.objects.filter(step_run__run=run).values_list("action", flat=True))
    if isinstance(results[0], StepRun):  # the approval won
        assert (act.status, run.status, decisions) == (
            ActStatus.IN_CIRCUIT,
            RunStatus.ACTIVE,
            [DecisionAction.APPROVE],
        )
        assert str(refused[0]) == (
            "Someone has already acted on this folder: it can no longer be recalled."
        )
    else:  # the recall won
        assert isinstance(results[1], CircuitRun)
        assert (act.status, run.status, decisions) == (
            ActStatus.DRAFT,
            RunStatus.RECALLED,
            [DecisionAction.RECALL],
        )
        assert str(refused[0]) == (
            "The sender has recalled this folder: there is nothing to decide."
        )
    assert verify_journal().ok
