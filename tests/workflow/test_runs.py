"""Running acts through circuits: start, decisions, rejection and resubmission, opinions, skip,
recall, signatures, and the query budget of a decision."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.utils import timezone

from deliberations import services as delib
from deliberations.enums import ActStatus, ActType, Role
from deliberations.exceptions import NotAllowed, NumberingError, StateConflict
from deliberations.models import Act
from tests.factories import member
from tests.factories.workflow import PROOF, DelegationFactory, make_circuit, visa
from tests.workflow.conftest import matiere, project
from workflow import services
from workflow.enums import CircuitPhase, DecisionAction, RunStatus, StepMode, StepStatus
from workflow.exceptions import (
    AlreadyDecided,
    InvalidWorkflowInput,
    NotAuthorised,
    OpinionPending,
    TransitionRefused,
)
from workflow.journal import events_for
from workflow.models import CircuitRun, Decision, OpinionRequest, StepRun


def actions(act):
    return [e.action for e in events_for(act)]


def step(run, position):
    return StepRun.objects.get(run=run, position=position)


def state(act):
    """Everything a refused action must leave unchanged."""
    act.refresh_from_db()
    return (
        act.status,
        act.number,
        list(CircuitRun.objects.filter(act=act).values_list("pk", "status")),
        list(StepRun.objects.filter(run__act=act).values_list("pk", "status")),
        Decision.objects.filter(step_run__run__act=act).count(),
        len(actions(act)),
    )


@pytest.fixture
def sent(collectivite, clerk, preparation):
    """A deliberation sent into the two-visa preparation circuit."""
    act = project(collectivite, clerk)
    run = services.start_circuit(act=act, actor=clerk)
    return act, run


# --- Start ------------------------------------------------------------------------------------


def test_start_freezes_the_circuit_and_submits_the_act(collectivite, clerk, desk, sent):
    act, run = sent
    act.refresh_from_db()
    assert act.status == ActStatus.IN_CIRCUIT
    assert (run.circuit_name, run.phase, run.status, run.started_by) == (
        "Préparation des délibérations",
        CircuitPhase.PREPARATION,
        RunStatus.ACTIVE,
        clerk,
    )
    rows = list(
        StepRun.objects.filter(run=run)
        .order_by("position")
        .values_list("position", "kind", "label", "status", "deadline_days")
    )
    assert rows == [
        (1, "visa", "Visa du DGS", StepStatus.ACTIVE, 3),
        (2, "visa", "Visa de l'adjointe aux finances", StepStatus.PENDING, 5),
    ]
    first = step(run, 1)
    assert list(first.assignees.values_list("user_id", "group_id")) == [(None, desk.pk)]
    assert first.deadline == timezone.localdate() + dt.timedelta(days=3)
    assert actions(act) == ["act.created", "act.circuit.started"]


def test_editing_a_circuit_never_changes_a_folder_in_progress(admin, sent, preparation, maire):
    _act, run = sent
    services.update_circuit(
        circuit=preparation, actor=admin, steps=[visa("Visa du Maire seul", maire)]
    )
    assert list(StepRun.objects.filter(run=run).values_list("label", flat=True)) == [
        "Visa du DGS",
        "Visa de l'adjointe aux finances",
    ]


@pytest.mark.parametrize("who", ["validator", "outsider"])
def test_start_is_refused_to_who_is_neither_drafter_nor_clerk(
    who, collectivite, clerk, dgs, outsider, preparation
):
    act = project(collectivite, clerk)
    before = state(act)
    with pytest.raises(NotAllowed):
        services.start_circuit(act=act, actor=dgs if who == "validator" else outsider)
    assert state(act) == before


def test_drafter_without_clerk_role_may_send_own_project(collectivite, clerk, preparation):
    act = project(collectivite, clerk)
    delib.revoke_role(
        collectivite=collectivite,
        actor=member(collectivite, Role.ADMIN, username="boss"),
        user=clerk,
        role=Role.CLERK,
    )
    clerk.refresh_from_db()
    run = services.start_circuit(act=act, actor=clerk)
    assert run.status == RunStatus.ACTIVE


def test_start_refuses_a_circuit_that_does_not_apply(collectivite, clerk, preparation, arretes):
    act = project(collectivite, clerk)
    before = state(act)
    with pytest.raises(InvalidWorkflowInput) as info:
        services.start_circuit(act=act, actor=clerk, circuit=arretes)
    assert str(info.value) == (
        "The circuit “Arrêtés” does not apply to this act (its phase, type or service). "
        "Choose one of the circuits proposed for it."
    )
    assert state(act) == before


def test_start_without_any_circuit_is_refused(collectivite, clerk):
    act = project(collectivite, clerk)
    with pytest.raises(InvalidWorkflowInput) as info:
        services.start_circuit(act=act, actor=clerk)
    assert (
        str(info.value) == "No circuit applies to this act: ask an administrator to configure one."
    )


def test_start_asks_to_choose_between_circuits_without_default(
    collectivite, admin, clerk, desk, maire
):
    make_circuit(collectivite, admin, visa("A", desk), name="A", is_default=False)
    chosen = make_circuit(collectivite, admin, visa("B", maire), name="B", is_default=False)
    act = project(collectivite, clerk)
    with pytest.raises(InvalidWorkflowInput) as info:
        services.start_circuit(act=act, actor=clerk)
    assert str(info.value) == "Several circuits apply to this act: choose one."
    assert services.start_circuit(act=act, actor=clerk, circuit=chosen).circuit == chosen


def test_an_act_already_in_circuit_cannot_start_another(collectivite, clerk, sent):
    act, _run = sent
    with pytest.raises(TransitionRefused) as info:
        services.start_circuit(act=act, actor=clerk)
    assert str(info.value) == (
        "A circuit starts from a draft or a returned project, or for the signatures of an "
        "adopted deliberation; this act is “In approval circuit”."
    )


def test_direct_validation_is_refused_while_in_circuit(sent, dgs):
    act, _run = sent
    before = state(act)
    with pytest.raises(StateConflict):
        delib.validate_project(act=act, actor=dgs)
    assert state(act) == before


# --- Approvals --------------------------------------------------------------------------------


def test_any_member_of_the_desk_decides_a_desk_step(sent, deputy_dgs, adjointe):
    act, run = sent
    services.approve_step(step_run=step(run, 1), actor=deputy_dgs, comment="Vu")
    assert (step(run, 1).status, step(run, 2).status) == (StepStatus.DONE, StepStatus.ACTIVE)
    decision = Decision.objects.get()
    assert (decision.actor, decision.on_behalf_of, decision.action, decision.comment) == (
        deputy_dgs,
        None,
        DecisionAction.APPROVE,
        "Vu",
    )
    assert decision.assignee.group.name == "Direction générale"
    assert actions(act)[-1] == "act.circuit.approved"


def test_second_approver_of_a_one_step_gets_already_decided(sent, dgs, deputy_dgs):
    act, run = sent
    services.approve_step(step_run=step(run, 1), actor=dgs)
    before = state(act)
    with pytest.raises(AlreadyDecided) as info:
        services.approve_step(step_run=step(run, 1), actor=deputy_dgs)
    assert str(info.value) == (
        "This step has already been decided: reload the folder to see where it is."
    )
    assert state(act) == before


@pytest.mark.parametrize("who", ["clerk", "maire", "outsider"])
def test_who_is_not_an_assignee_cannot_decide(who, sent, clerk, maire, outsider):
    act, run = sent
    before = state(act)
    actor = {"clerk": clerk, "maire": maire, "outsider": outsider}[who]
    with pytest.raises(NotAuthorised) as info:
        services.approve_step(step_run=step(run, 1), actor=actor)
    assert str(info.value) == (
        "You cannot decide on this step: you are not one of its assignees, neither directly, "
        "nor through a desk, nor by a delegation in force for this act. If you should be, ask "
        "an administrator to check the circuit and its desks."
    )
    with pytest.raises(NotAuthorised):
        services.reject_step(step_run=step(run, 1), actor=actor, reason="Non")
    assert state(act) == before


def test_a_pending_step_cannot_be_decided_yet(sent, adjointe):
    act, run = sent
    before = state(act)
    with pytest.raises(AlreadyDecided):
        services.approve_step(step_run=step(run, 2), actor=adjointe)
    assert state(act) == before


def test_an_all_step_waits_for_each_entry(collectivite, admin, clerk, desk, dgs, deputy_dgs, maire):
    make_circuit(
        collectivite,
        admin,
        visa("Visas conjoints", maire, desk, mode=StepMode.ALL),
        name="Conjoint",
    )
    act = project(collectivite, clerk)
    run = services.start_circuit(act=act, actor=clerk)
    services.approve_step(step_run=step(run, 1), actor=dgs)
    assert step(run, 1).status == StepStatus.ACTIVE
    # The desk is satisfied by one member: the other member has nothing left to approve.
    with pytest.raises(AlreadyDecided) as info:
        services.approve_step(step_run=step(run, 1), actor=deputy_dgs)
    assert str(info.value) == "You have already approved this step."
    with pytest.raises(AlreadyDecided):
        services.approve_step(step_run=step(run, 1), actor=dgs)
    services.approve_step(step_run=step(run, 1), actor=maire)
    act.refresh_from_db()
    assert (step(run, 1).status, act.status) == (StepStatus.DONE, ActStatus.VALIDATED)
    assert actions(act)[-2:] == ["act.circuit.approved", "act.circuit.completed"]
    assert [e.data["remaining"] for e in list(events_for(act))[-2:]] == [1, 0]


def test_a_full_run_validates_the_deliberation(sent, dgs, adjointe):
    act, run = sent
    services.approve_step(step_run=step(run, 1), actor=dgs)
    services.approve_step(step_run=step(run, 2), actor=adjointe)
    act.refresh_from_db()
    run.refresh_from_db()
    assert (act.status, run.status) == (ActStatus.VALIDATED, RunStatus.COMPLETED)
    assert run.completed_at is not None
    assert actions(act) == [
        "act.created",
        "act.circuit.started",
        "act.circuit.approved",
        "act.circuit.completed",
    ]
    completed = list(events_for(act))[-1]
    assert (completed.data["action"], completed.data["step"], completed.data["act_status"]) == (
        "approve",
        2,
        "validated",
    )


# --- Rejection and resubmission ---------------------------------------------------------------


def test_rejection_needs_a_reason(sent, dgs):
    act, run = sent
    before = state(act)
    with pytest.raises(InvalidWorkflowInput) as info:
        services.reject_step(step_run=step(run, 1), actor=dgs, reason="  ")
    assert str(info.value) == (
        "Say why you reject the folder: the drafter needs it to fix the project."
    )
    assert state(act) == before


def test_rejection_returns_to_the_drafter_who_resubmits_in_a_new_run(sent, clerk, dgs, adjointe):
    act, first = sent
    services.approve_step(step_run=step(first, 1), actor=dgs)
    services.reject_step(step_run=step(first, 2), actor=adjointe, reason="Chiffrer le coût.")
    act.refresh_from_db()
    first.refresh_from_db()
    assert (act.status, first.status) == (ActStatus.RETURNED, RunStatus.RETURNED)
    assert [s.status for s in first.steps.order_by("position")] == [
        StepStatus.DONE,
        StepStatus.RETURNED,
    ]
    act = delib.update_project(
        act=act, actor=clerk, revision=act.revision, summary="Coût : 1 500 €."
    )
    second = services.start_circuit(act=act, actor=clerk)
    services.approve_step(step_run=step(second, 1), actor=dgs)
    services.approve_step(step_run=step(second, 2), actor=adjointe)
    act.refresh_from_db()
    assert act.status == ActStatus.VALIDATED
    assert list(
        CircuitRun.objects.filter(act=act).order_by("pk").values_list("status", flat=True)
    ) == [
        RunStatus.RETURNED,
        RunStatus.COMPLETED,
    ]
    assert Decision.objects.filter(step_run__run=first).count() == 2
    assert actions(act) == [
        "act.created",
        "act.circuit.started",
        "act.circuit.approved",
        "act.circuit.rejected",
        "act.updated",
        "act.circuit.started",
        "act.circuit.approved",
        "act.circuit.completed",
    ]


def test_rejection_stops_the_later_steps(collectivite, admin, clerk, desk, dgs, adjointe, maire):
    make_circuit(
        collectivite,
        admin,
        visa("DGS", desk),
        visa("Adjointe", adjointe),
        visa("Maire", maire),
        name="Trois visas",
    )
    act = project(collectivite, clerk)
    run = services.start_circuit(act=act, actor=clerk)
    services.reject_step(step_run=step(run, 1), actor=dgs, reason="Incomplet")
    assert [s.status for s in run.steps.order_by("position")] == [
        StepStatus.RETURNED,
        StepStatus.CANCELLED,
        StepStatus.CANCELLED,
    ]


# --- Opinions ---------------------------------------------------------------------------------


def test_an_opinion_goes_and_comes_back(sent, dgs, maire):
    act, run = sent
    opinion = services.request_opinion(
        step_run=step(run, 1), actor=dgs, requested_from=maire, question="Accord politique ?"
    )
    with pytest.raises(OpinionPending) as info:
        services.approve_step(step_run=step(run, 1), actor=dgs)
    assert str(info.value) == (
        "An opinion was asked on this step: wait for the answer before deciding."
    )
    with pytest.raises(OpinionPending):
        services.reject_step(step_run=step(run, 1), actor=dgs, reason="x")
    with pytest.raises(NotAuthorised) as info:
        services.answer_opinion(opinion=opinion, actor=dgs, answer="Oui")
    assert str(info.value) == "Only the person consulted can give this opinion."
    services.answer_opinion(opinion=opinion, actor=maire, answer="Favorable.")
    with pytest.raises(AlreadyDecided) as info:
        services.answer_opinion(opinion=opinion, actor=maire, answer="Encore")
    assert str(info.value) == "This opinion has already been given."
    services.approve_step(step_run=step(run, 1), actor=dgs)
    opinion.refresh_from_db()
    assert (opinion.answer, opinion.answered_at is not None) == ("Favorable.", True)
    assert list(
        Decision.objects.filter(step_run__run=run).values_list("action", "actor__username")
    ) == [
        (DecisionAction.OPINION_REQUEST, "dgs"),
        (DecisionAction.OPINION_ANSWER, "maire"),
        (DecisionAction.APPROVE, "dgs"),
    ]
    assert actions(act)[2:] == [
        "act.circuit.opinion_requested",
        "act.circuit.opinion_answered",
        "act.circuit.approved",
    ]


def test_opinion_requests_are_checked(sent, dgs, clerk, maire, outsider):
    _act, run = sent
    with pytest.raises(InvalidWorkflowInput) as info:
        services.request_opinion(
            step_run=step(run, 1), actor=dgs, requested_from=maire, question=""
        )
    assert str(info.value) == "Write the question you ask."
    with pytest.raises(InvalidWorkflowInput) as info:
        services.request_opinion(
            step_run=step(run, 1), actor=dgs, requested_from=outsider, question="?"
        )
    assert str(info.value) == "The person consulted must belong to the collectivité."
    with pytest.raises(NotAuthorised):
        services.request_opinion(
            step_run=step(run, 1), actor=clerk, requested_from=maire, question="?"
        )
    services.request_opinion(step_run=step(run, 1), actor=dgs, requested_from=maire, question="?")
    with pytest.raises(OpinionPending) as info:
        services.request_opinion(
            step_run=step(run, 1), actor=dgs, requested_from=clerk, question="?"
        )
    assert str(info.value) == "An opinion is already awaited on this step."
    assert OpinionRequest.objects.count() == 1


# --- Skip and recall --------------------------------------------------------------------------


def test_skip_is_for_administrators_with_a_reason(sent, admin, dgs, maire):
    act, run = sent
    before = state(act)
    with pytest.raises(NotAllowed):
        services.skip_step(step_run=step(run, 1), actor=dgs, reason="Absent")
    with pytest.raises(InvalidWorkflowInput):
        services.skip_step(step_run=step(run, 1), actor=admin, reason="")
    assert state(act) == before
    services.skip_step(step_run=step(run, 1), actor=admin, reason="DGS en congé")
    assert (step(run, 1).status, step(run, 2).status) == (StepStatus.SKIPPED, StepStatus.ACTIVE)
    services.skip_step(step_run=step(run, 2), actor=admin, reason="Urgence")
    act.refresh_from_db()
    assert act.status == ActStatus.VALIDATED
    assert actions(act)[-2:] == ["act.circuit.skipped", "act.circuit.completed"]


def test_the_sender_recalls_a_folder_nobody_has_acted_on(sent, clerk):
    act, run = sent
    services.recall(run=run, actor=clerk, reason="Oubli d'une annexe")
    act.refresh_from_db()
    run.refresh_from_db()
    assert (act.status, run.status) == (ActStatus.DRAFT, RunStatus.RECALLED)
    assert [s.status for s in run.steps.order_by("position")] == [
        StepStatus.CANCELLED,
        StepStatus.CANCELLED,
    ]
    assert actions(act)[-1] == "act.circuit.recalled"
    assert services.start_circuit(act=act, actor=clerk).status == RunStatus.ACTIVE


def test_recall_is_refused_once_someone_acted(sent, clerk, dgs, maire):
    act, run = sent
    services.request_opinion(step_run=step(run, 1), actor=dgs, requested_from=maire, question="?")
    before = state(act)
    with pytest.raises(AlreadyDecided) as info:
        services.recall(run=run, actor=clerk)
    assert str(info.value) == (
        "Someone has already acted on this folder: it can no longer be recalled."
    )
    assert state(act) == before


def test_recall_is_refused_to_anyone_but_the_sender(sent, admin, dgs):
    act, run = sent
    before = state(act)
    for actor in (admin, dgs):
        with pytest.raises(NotAuthorised) as info:
            services.recall(run=run, actor=actor)
        assert str(info.value) == "Only the person who sent the folder can recall it."
    assert state(act) == before


def test_no_decision_after_a_recall(sent, clerk, dgs):
    act, run = sent
    services.recall(run=run, actor=clerk)
    before = state(act)
    with pytest.raises(AlreadyDecided) as info:
        services.approve_step(step_run=step(run, 1), actor=dgs)
    assert str(info.value) == "The sender has recalled this folder: there is nothing to decide."
    assert state(act) == before


# --- Arrêtés and signatures -------------------------------------------------------------------


def test_an_arrete_is_numbered_at_its_first_signature_and_signed_at_the_end(
    collectivite, clerk, dgs, maire, arretes, numbering, classification
):
    act = project(
        collectivite, clerk, act_type=ActType.ARRETE, matiere=matiere(classification, "7.1")
    )
    run = services.start_circuit(act=act, actor=clerk)
    act.refresh_from_db()
    assert (act.status, act.number) == (ActStatus.IN_CIRCUIT, "")
    services.approve_step(step_run=step(run, 1), actor=dgs)
    act.refresh_from_db()
    year = act.numbered_at.year
    assert (act.status, act.number) == (ActStatus.IN_CIRCUIT, f"AR{year}_0001")
    services.approve_step(step_run=step(run, 2), actor=maire, signature=PROOF)
    act.refresh_from_db()
    assert (act.status, act.number, act.decision_date is not None) == (
        ActStatus.SIGNED,
        f"AR{year}_0001",
        True,
    )
    assert actions(act) == [
        "act.created",
        "act.circuit.started",
        "act.numbered",
        "act.circuit.approved",
        "act.circuit.completed",
    ]


def test_a_refused_numbering_refuses_the_decision(
    collectivite, clerk, dgs, arretes, classification
):
    act = project(collectivite, clerk, act_type=ActType.ARRETE)
    run = services.start_circuit(act=act, actor=clerk)
    before = state(act)
    with pytest.raises(NumberingError) as info:
        services.approve_step(step_run=step(run, 1), actor=dgs)
    assert str(info.value).startswith("No numbering pattern is configured for the type")
    assert state(act) == before


def test_signature_proof_is_recorded_on_signature_steps_only(
    collectivite, clerk, dgs, maire, arretes, numbering
):
    act = project(collectivite, clerk, act_type=ActType.ARRETE)
    run = services.start_circuit(act=act, actor=clerk)
    proof = services.SignatureProof(document_sha256="ab" * 32, level="B-LT")
    with pytest.raises(InvalidWorkflowInput) as info:
        services.approve_step(step_run=step(run, 1), actor=dgs, signature=proof)
    assert str(info.value) == "A visa is not signed: no signature is expected here."
    services.approve_step(step_run=step(run, 1), actor=dgs)
    services.approve_step(step_run=step(run, 2), actor=maire, signature=proof)
    decision = Decision.objects.get(step_run=step(run, 2))
    assert decision.signature == {
        "document_sha256": "ab" * 32,
        "level": "B-LT",
        "validation_report": "",
    }
    assert list(events_for(act))[-1].data["signature"]["document_sha256"] == "ab" * 32


@pytest.fixture
def adopted(collectivite, clerk, dgs, adjointe, preparation, numbering):
    """A deliberation through its preparation circuit, voted in a séance still open."""
    from deliberations.enums import AttendanceStatus, VoteMode, VoteResult
    from tests.factories import council

    assembly, mandates = council(collectivite, 5)
    act = project(collectivite, clerk)
    Act.objects.filter(pk=act.pk).update(assembly=assembly)
    run = services.start_circuit(act=act, actor=clerk)
    services.approve_step(step_run=step(run, 1), actor=dgs)
    services.approve_step(step_run=step(run, 2), actor=adjointe)
    seance = delib.create_seance(
        collectivite=collectivite,
        actor=clerk,
        assembly=assembly,
        date=timezone.now() + dt.timedelta(days=7),
        place="Mairie",
        president=mandates[0],
        secretary=mandates[1],
    )
    item = delib.add_to_agenda(seance=seance, actor=clerk, act=Act.objects.get(pk=act.pk))
    delib.record_roll_call(
        seance=seance,
        actor=clerk,
        entries=[delib.AttendanceEntry(m.pk, AttendanceStatus.PRESENT) for m in mandates],
    )
    delib.open_seance(seance=seance, actor=clerk)
    delib.record_vote(item=item, actor=clerk, mode=VoteMode.RESULT, result=VoteResult.ADOPTED)
    act.refresh_from_db()
    return act, seance


def test_signatures_wait_for_the_seance_to_close(adopted, clerk, signatures):
    act, seance = adopted
    with pytest.raises(TransitionRefused) as info:
        services.start_circuit(act=act, actor=clerk)
    assert str(info.value) == (
        "The séance is still open and the vote can still be corrected: start the signatures "
        "once the séance is closed."
    )
    delib.close_seance(seance=seance, actor=clerk)
    run = services.start_circuit(act=act, actor=clerk)
    act.refresh_from_db()
    assert (run.phase, act.status) == (CircuitPhase.SIGNATURE, ActStatus.ADOPTED)


def test_the_signature_run_signs_the_adopted_deliberation(
    adopted, clerk, maire, secretaire, signatures
):
    act, seance = adopted
    delib.close_seance(seance=seance, actor=clerk)
    run = services.start_circuit(act=act, actor=clerk)
    services.approve_step(step_run=step(run, 1), actor=maire, signature=PROOF)
    act.refresh_from_db()
    assert act.status == ActStatus.ADOPTED
    services.approve_step(step_run=step(run, 2), actor=secretaire, signature=PROOF)
    act.refresh_from_db()
    assert act.status == ActStatus.SIGNED
    assert [s.signer_quality for s in run.steps.order_by("position")] == [
        "Le Maire",
        "Le secrétaire de séance",
    ]


def test_rejecting_a_signature_keeps_the_deliberation_adopted(adopted, clerk, maire, signatures):
    act, seance = adopted
    delib.close_seance(seance=seance, actor=clerk)
    run = services.start_circuit(act=act, actor=clerk)
    services.reject_step(step_run=step(run, 1), actor=maire, reason="Erreur matérielle p. 2")
    act.refresh_from_db()
    run.refresh_from_db()
    assert (act.status, run.status) == (ActStatus.ADOPTED, RunStatus.REJECTED)
    assert services.start_circuit(act=act, actor=clerk).phase == CircuitPhase.SIGNATURE


def test_recalling_a_signature_run_keeps_the_deliberation_adopted(adopted, clerk, signatures):
    act, seance = adopted
    delib.close_seance(seance=seance, actor=clerk)
    run = services.start_circuit(act=act, actor=clerk)
    services.recall(run=run, actor=clerk)
    act.refresh_from_db()
    assert act.status == ActStatus.ADOPTED


# --- Query budget -----------------------------------------------------------------------------


def _measure(call) -> int:
    """Queries of the decision's transaction, up to its commit.

    The notifications are created after commit by a Celery task (run in-process here, on a
    worker with a broker): a marker registered first among the transaction's on_commit hooks
    stops the count when the transaction has committed.
    """
    state = {"open": True, "marked": False, "count": 0}

    def count(execute, sql, params, many, context):
        # SQLite's "BEGIN IMMEDIATE" is the transaction itself (PostgreSQL's BEGIN is implicit).
        if state["open"] and not sql.startswith("BEGIN"):
            state["count"] += 1
            if connection.in_atomic_block and not state["marked"]:
                state["marked"] = True
                transaction.on_commit(lambda: state.update(open=False))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        call()
    return state["count"]


@pytest.mark.django_db(transaction=True)
def test_a_decision_costs_at_most_ten_queries(
    collectivite, admin, clerk, desk, dgs, deputy_dgs, maire, adjointe
):
    """Measured as in a request: the service's own transaction (no enclosing test transaction,
    hence no SAVEPOINT statements), delegation check and journal included."""
    make_circuit(
        collectivite,
        admin,
        visa("DGS", desk),
        visa("Conjoint", adjointe, maire, mode=StepMode.ALL),
        name="Budget",
    )
    DelegationFactory(collectivite=collectivite, delegator=maire, delegate=deputy_dgs)

    def folder(objet, *before):
        """A folder sent into the circuit, with the approvals ``before`` already given."""
        run = services.start_circuit(act=project(collectivite, clerk, objet=objet), actor=clerk)
        for position, actor in before:
            services.approve_step(step_run=step(run, position), actor=actor)
        return run

    def approval(run, position, actor):
        target = step(run, position)
        return _measure(lambda: services.approve_step(step_run=target, actor=actor))

    def rejection(run, position, actor):
        target = step(run, position)
        return _measure(lambda: services.reject_step(step_run=target, actor=actor, reason="Non"))

    costs = {
        "desk member, next step activated": approval(folder("a"), 1, dgs),
        "delegate on an all step, not the last": approval(folder("b", (1, dgs)), 2, deputy_dgs),
        "last approval completes the run": approval(
            folder("c", (1, dgs), (2, deputy_dgs)), 2, adjointe
        ),
        "delegate completes the run": approval(folder("d", (1, dgs), (2, adjointe)), 2, deputy_dgs),
        "delegate rejects": rejection(folder("e", (1, dgs)), 2, deputy_dgs),
    }
    assert costs == {
        "desk member, next step activated": 7,
        "delegate on an all step, not the last": 7,
        "last approval completes the run": 9,
        "delegate completes the run": 10,
        "delegate rejects": 10,
    }


def test_a_decision_fits_the_budget_with_pytest_django_fixture(
    sent, deputy_dgs, django_assert_max_num_queries
):
    """The same budget with the fixture the house style names; in a test transaction the
    service's transaction is a savepoint (SAVEPOINT and RELEASE are counted too)."""
    _act, run = sent
    first = step(run, 1)
    with django_assert_max_num_queries(10):
        services.approve_step(step_run=first, actor=deputy_dgs)


def test_a_signature_step_cannot_be_skipped(adopted, clerk, admin, signatures):
    act, seance = adopted
    delib.close_seance(seance=seance, actor=clerk)
    run = services.start_circuit(act=act, actor=clerk)
    before = state(act)
    with pytest.raises(InvalidWorkflowInput) as info:
        services.skip_step(step_run=step(run, 1), actor=admin, reason="Maire absent")
    assert str(info.value).startswith("A signature or seal step cannot be skipped")
    assert state(act) == before
    assert step(run, 1).status == StepStatus.ACTIVE
