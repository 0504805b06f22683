"""Running acts through circuits: start, approve, reject, skip, opinions, recall.

Lock, then decide (DESIGN.md decision 3): every decision first locks the run's steps, the run
and the act in one statement (always in that order, so two services never wait on each other
crosswise), re-reads their state, checks who acts and in which capacity, writes one
:class:`Decision` row and one journal event, all in one transaction. A decision costs at most ten
queries, delegation check and journal included (tests/workflow/test_runs.py); the one that brings
an arrêté to its first signature also numbers it (the numbering service's own queries).

Notifications are created after commit by a Celery task (``workflow.tasks``), never inside the
decision's transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, DateTimeField, Exists, OuterRef, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberations.enums import Role
from deliberations.models import Act, Membership, User
from deliberations.permissions import has_role, require_role
from deliberations.services import number_act
from deliberations.services._common import locked
from workflow.journal import record_event
from workflow.lifecycles import ActFlow, BordereauFlow, PesFlowFlow

from ..eligibility import Capacity, find_capacity, load_entries
from ..enums import (
    CircuitPhase,
    DecisionAction,
    NotificationKind,
    RunStatus,
    StepMode,
    StepStatus,
)
from ..exceptions import (
    AlreadyDecided,
    InvalidWorkflowInput,
    NotAuthorised,
    OpinionPending,
    TransitionRefused,
)
from ..models import (
    Circuit,
    CircuitRun,
    Decision,
    OpinionRequest,
    StepAssignee,
    StepRun,
)
from ..selectors import (
    applicable_circuits,
    default_circuit,
    open_seance_holds,
    pes_circuits,
    phase_for,
)
from .notifications import queue_notification


@dataclass(frozen=True)
class SignatureProof:
    """What the signing service hands to :func:`approve_step` for a signature or seal step,
    once it has produced and validated the signed PDF (docs/adr/0003-approval-circuits.md)."""

    document_sha256: str
    level: str = ""
    validation_report: str = ""


# --- Locking ----------------------------------------------------------------------------------


def _locked_steps(run_id: int, folder: str) -> list[StepRun]:
    """The run's steps locked with the run and its ``folder`` ("act" or "flow"), one query.

    The filter on a column of the folder makes its join an inner one: PostgreSQL refuses to
    lock the nullable side of an outer join, and the folder foreign keys are nullable.
    """
    related = "run__act__matiere" if folder == "act" else "run__flow"
    return list(
        StepRun.objects.select_for_update(of=("self", "run", f"run__{folder}"))
        .select_related(related)
        .annotate(
            opinion_pending=Exists(
                OpinionRequest.objects.filter(step_run=OuterRef("pk"), answered_at__isnull=True)
            )
        )
        .filter(run_id=run_id, **{f"run__{folder}__collectivite_id__isnull": False})
        .order_by("position")
    )


def _lock_run(run_id: int) -> tuple[CircuitRun, list[StepRun]]:
    """Lock the run's steps, the run and its folder; return the run and its steps.

    One query for an act's run (the act comes with its matière, for delegations); a PES flow's
    run costs a second one. Each step carries ``opinion_pending``.
    """
    steps = _locked_steps(run_id, "act") or _locked_steps(run_id, "flow")
    if not steps:
        raise AlreadyDecided(_("This circuit no longer exists."))
    run = steps[0].run
    for step in steps:
        step.run = run
    return run, steps


def _open_step(run: CircuitRun, steps: list[StepRun], step_id: int) -> StepRun:
    """The step to decide, if it is still waiting for a decision; else AlreadyDecided."""
    if run.status == RunStatus.RECALLED:
        raise AlreadyDecided(_("The sender has recalled this folder: there is nothing to decide."))
    if run.status != RunStatus.ACTIVE:
        raise AlreadyDecided(
            _("This circuit is closed (%(status)s): there is nothing left to decide.")
            % {"status": RunStatus(run.status).label}
        )
    step = next((s for s in steps if s.pk == step_id), None)
    if step is None or step.status != StepStatus.ACTIVE:
        raise AlreadyDecided(
            _("This step has already been decided: reload the folder to see where it is.")
        )
    return step


def _decision_data(step: StepRun, decision: Decision, **extra: Any) -> dict[str, Any]:
    return {
        "run": step.run_id,
        "step": step.position,
        "step_label": step.label,
        "kind": step.kind,
        "decision": decision.pk,
        "action": decision.action,
        "comment": decision.comment,
        **extra,
    }


def _deadline(step: StepRun, now: dt.datetime) -> dt.date | None:
    if step.deadline_days is None:
        return None
    return timezone.localtime(now).date() + dt.timedelta(days=step.deadline_days)


def _activate(step: StepRun, now: dt.datetime) -> None:
    step.status = StepStatus.ACTIVE
    step.activated_at = now
    step.deadline = _deadline(step, now)


def _number_before_signing(
    act: Act | None, steps: list[StepRun], step: StepRun, actor: User
) -> None:
    """Number an act that is not voted when its run reaches its first signature, so that the
    document signed carries its number (deliberations are numbered at their vote). A PES
    flow's run has no act: nothing to number."""
    first_signature = next((s for s in steps if s.is_signature), None)
    if act is None or act.is_voted_type or act.number or first_signature is not step:
        return
    numbered = number_act(act=act, actor=actor)
    act.number, act.number_year, act.numbered_at = (
        numbered.number,
        numbered.number_year,
        numbered.numbered_at,
    )


def _completion_transition(run: CircuitRun, steps: list[StepRun]) -> str:
    act = run.act
    if run.phase == CircuitPhase.SIGNATURE:
        return "sign_adopted"
    if not act.is_voted_type and any(s.is_signature for s in steps):
        return "sign_decision"
    return "validate"


def _close_step_and_advance(
    run: CircuitRun, steps: list[StepRun], step: StepRun, status: str, actor: User, now: dt.datetime
) -> str:
    """Close ``step`` and activate the next one, or complete the run and move the act.

    Returns the journal code of the outcome: ``approved``/``skipped`` or ``completed``.
    """
    step.status = status
    step.completed_at = now
    following = [s for s in steps if s.position > step.position]
    if following:
        nxt = following[0]
        _activate(nxt, now)
        _hand_over(step, nxt)
        _number_before_signing(run.act, steps, nxt, actor)
        queue_notification(NotificationKind.ASSIGNED, step_run_id=nxt.pk)
        return "approved" if status == StepStatus.DONE else "skipped"
    StepRun.objects.filter(pk=step.pk).update(status=status, completed_at=now)
    run.status = RunStatus.COMPLETED
    run.completed_at = now
    run.save(update_fields=["status", "completed_at"])
    if run.flow_id is not None:
        _move_flow(run.flow, "sign", now)
        queue_notification(NotificationKind.COMPLETED, run_id=run.pk, exclude_user_id=actor.pk)
        return "completed"
    act = run.act
    transition = _completion_transition(run, steps)
    ActFlow(act).run(transition)
    fields = ["status", "updated_at"]
    if transition == "sign_decision" and act.decision_date is None:
        act.decision_date = timezone.localtime(now).date()
        fields.append("decision_date")
    act.save(update_fields=fields)
    queue_notification(NotificationKind.COMPLETED, run_id=run.pk, exclude_user_id=actor.pk)
    return "completed"


def _hand_over(step: StepRun, nxt: StepRun) -> None:
    """Save the closed ``step`` and the activated ``nxt`` in one UPDATE.

    The hottest statement of a decision, written by hand: ``bulk_update`` builds the same
    CASE expressions through the ORM at ~3 ms of Python per decision, a fifth of a decision's
    cost (measured by ``bench/decisions.py --profile``, docs/performance.md).
    """
    ops = connection.ops
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {StepRun._meta.db_table} SET "
            "status = CASE WHEN id = %s THEN %s ELSE %s END, "
            "completed_at = CASE WHEN id = %s THEN %s ELSE completed_at END, "
            "activated_at = CASE WHEN id = %s THEN %s ELSE activated_at END, "
            "deadline = CASE WHEN id = %s THEN %s ELSE deadline END "
            "WHERE id IN (%s, %s)",
            [
                step.pk,
                step.status,
                nxt.status,
                step.pk,
                ops.adapt_datetimefield_value(step.completed_at),
                nxt.pk,
                ops.adapt_datetimefield_value(nxt.activated_at),
                nxt.pk,
                ops.adapt_datefield_value(nxt.deadline),
                step.pk,
                nxt.pk,
            ],
        )


def _stop_run(
    run: CircuitRun, step: StepRun, status: str, step_status: str, now: dt.datetime
) -> None:
    """Close a run early: the decided step gets ``step_status``, the others are cancelled."""
    StepRun.objects.filter(
        run_id=run.pk, status__in=[StepStatus.ACTIVE, StepStatus.PENDING]
    ).update(
        status=Case(When(pk=step.pk, then=Value(step_status)), default=Value(StepStatus.CANCELLED)),
        completed_at=Case(
            When(pk=step.pk, then=Value(now)), default=None, output_field=DateTimeField()
        ),
    )
    step.status, step.completed_at = step_status, now
    run.status = status
    run.completed_at = now
    run.save(update_fields=["status", "completed_at"])


# --- PES flows ---------------------------------------------------------------------------------


def _code(run: CircuitRun, outcome: str) -> str:
    """Journal code of a decision: ``act.circuit.<outcome>`` or ``pes.circuit.<outcome>``."""
    return f"{'pes' if run.flow_id is not None else 'act'}.circuit.{outcome}"


def _folder_status(run: CircuitRun) -> dict[str, str]:
    folder = run.folder
    return {"flow_status" if run.flow_id is not None else "act_status": folder.status}


def _move_flow(flow: Any, transition: str, now: dt.datetime) -> None:
    """Apply ``transition`` to a PES flow and to its bordereaux that can take it, through their
    lifecycles (the flow row is locked by the caller)."""
    PesFlowFlow(flow).run(transition)
    fields = ["status", "updated_at"]
    if transition == "sign":
        flow.signed_at = now
        fields.append("signed_at")
    flow.save(update_fields=fields)
    moved = []
    for bordereau in flow.bordereaux.select_for_update().order_by("position"):
        flow_of = BordereauFlow(bordereau)
        if flow_of.can(transition):
            flow_of.run(transition)
            moved.append(bordereau)
    if moved:
        type(moved[0]).objects.bulk_update(moved, ["status"])


def _check_pes_signature(run: CircuitRun, step: StepRun, signature: SignatureProof | None) -> None:
    """A PES signature step is approved only by the PES signing service, with its proof."""
    if run.flow_id is not None and step.is_signature and signature is None:
        raise InvalidWorkflowInput(
            _(
                "The bordereaux of a PES flow are signed from the flow's page, with your "
                "certificate: approving the step alone does not sign them."
            )
        )


# --- Start ------------------------------------------------------------------------------------


def _freeze_run(
    chosen: Circuit,
    *,
    actor: User,
    now: dt.datetime,
    phase: str,
    folder: dict[str, Any],
    busy: str,
) -> tuple[CircuitRun, list[StepRun]]:
    """Start a run of ``chosen`` on the folder (``{"act": …}`` or ``{"flow": …}``): a frozen copy
    of its steps and assignees, the first step active. ``busy`` is the refusal when the folder
    already has an active run (the unique constraint). Call inside the caller's transaction."""
    definition = list(chosen.steps.order_by("position").prefetch_related("users", "groups"))
    try:
        with transaction.atomic():
            run = CircuitRun.objects.create(
                **folder,
                circuit=chosen,
                circuit_name=chosen.name,
                phase=phase,
                started_by=actor,
                started_at=now,
            )
    except IntegrityError as exc:
        raise TransitionRefused(busy) from exc
    steps = StepRun.objects.bulk_create(
        [
            StepRun(
                run=run,
                position=s.position,
                kind=s.kind,
                mode=s.mode,
                label=s.label,
                signer_quality=s.signer_quality,
                deadline_days=s.deadline_days,
            )
            for s in definition
        ]
    )
    StepAssignee.objects.bulk_create(
        [
            StepAssignee(step_run=step, user=user)
            for step, s in zip(steps, definition, strict=True)
            for user in s.users.all()
        ]
        + [
            StepAssignee(step_run=step, group=group)
            for step, s in zip(steps, definition, strict=True)
            for group in s.groups.all()
        ]
    )
    _activate(steps[0], now)
    steps[0].save(update_fields=["status", "activated_at", "deadline"])
    return run, steps


def start_circuit(*, act: Act, actor: User, circuit: Circuit | None = None) -> CircuitRun:
    """Send an act into a circuit: a frozen copy of its steps, the first one waiting.

    From a draft or a returned project: a preparation circuit (the act goes in_circuit). For an
    adopted deliberation whose séance is closed: its signature circuit (the act stays adopted
    until the last signature). Without ``circuit``, the applicable default is used; a chosen one
    must apply to the act (type, service, phase). Who: the drafter, a clerk or an administrator.
    Side effects: status → in_circuit (preparation); numbering when the first step is a
    signature of an act that is not voted; journal event ``act.circuit.started``; the first
    step's assignees are notified after commit.
    """
    with transaction.atomic():
        current = locked(Act, act.pk)
        if current.drafter_id != actor.pk and not has_role(
            actor, current.collectivite, Role.CLERK, Role.ADMIN
        ):
            require_role(actor, current.collectivite, Role.CLERK, Role.ADMIN)
        phase = phase_for(current)
        if phase is None:
            raise TransitionRefused(
                _(
                    "A circuit starts from a draft or a returned project, or for the signatures "
                    "of an adopted deliberation; this act is “%(status)s”."
                )
                % {"status": current.get_status_display()}
            )
        if CircuitRun.objects.filter(act=current, status=RunStatus.ACTIVE).exists():
            raise TransitionRefused(_("This act is already in a circuit."))
        if phase == CircuitPhase.SIGNATURE and open_seance_holds(current):
            raise TransitionRefused(
                _(
                    "The séance is still open and the vote can still be corrected: start the "
                    "signatures once the séance is closed."
                )
            )
        candidates = applicable_circuits(current, phase)
        if circuit is None:
            chosen = default_circuit(candidates)
            if chosen is None:
                raise InvalidWorkflowInput(
                    _("No circuit applies to this act: ask an administrator to configure one.")
                    if not candidates
                    else _("Several circuits apply to this act: choose one."),
                    field="circuit",
                )
        else:
            chosen = next((c for c in candidates if c.pk == circuit.pk), None)
            if chosen is None:
                raise InvalidWorkflowInput(
                    _(
                        "The circuit “%(name)s” does not apply to this act (its phase, type or "
                        "service). Choose one of the circuits proposed for it."
                    )
                    % {"name": circuit.name},
                    field="circuit",
                )
        now = timezone.now()
        run, steps = _freeze_run(
            chosen,
            actor=actor,
            now=now,
            phase=phase,
            folder={"act": current},
            busy=_("This act is already in a circuit."),
        )
        first = steps[0]
        if phase == CircuitPhase.PREPARATION:
            ActFlow(current).run("submit")
            current.save(update_fields=["status", "updated_at"])
        _number_before_signing(current, steps, first, actor)
        record_event(
            current,
            "act.circuit.started",
            actor=actor,
            data={
                "run": run.pk,
                "circuit": chosen.pk,
                "circuit_name": chosen.name,
                "phase": str(phase),
                "steps": [
                    {"position": s.position, "kind": s.kind, "mode": s.mode, "label": s.label}
                    for s in steps
                ],
            },
        )
        queue_notification(NotificationKind.ASSIGNED, step_run_id=first.pk)
    return run


# --- Decisions --------------------------------------------------------------------------------


def _delegator(capacity: Capacity) -> User | None:
    """The delegator (loaded with the delegation, no query) for the journal's on_behalf_of."""
    return capacity.delegation.delegator if capacity.delegation is not None else None


def _decide_as(
    step: StepRun, act: Act, actor: User, on_behalf_of: User | None, *, approval: bool
) -> Capacity:
    return find_capacity(
        load_entries(step.pk), act, actor, on_behalf_of=on_behalf_of, unsatisfied_only=approval
    )


def approve_step(
    *,
    step_run: StepRun,
    actor: User,
    comment: str = "",
    on_behalf_of: User | None = None,
    signature: SignatureProof | None = None,
) -> StepRun:
    """Approve a step: a visa, or a signature or seal.

    The actor must be an assignee of the step (directly, through a desk, or as the delegate of
    one, in dates and scope); ``on_behalf_of`` picks the delegator when several apply. A step in
    mode "one" is done with this approval; in mode "all" once every entry approved. The last
    step completes the run: a preparation run validates the act (or signs an arrêté whose
    circuit has signatures), a signature run signs the adopted deliberation.

    Signature and seal steps: only the signing service approves them, calling this function
    with ``signature`` once it has produced and validated the signed PDF (docs/adr/0003,
    signing.services.sign_step); without it they are refused (``signature_required``).

    Side effects: a Decision row; the step (and the next one, or the run and the act) updated;
    numbering of an arrêté reaching its first signature; journal event ``act.circuit.approved``
    (``act.circuit.completed`` when it completes the run); notifications after commit.
    """
    with transaction.atomic():
        run, steps = _lock_run(step_run.run_id)
        step = _open_step(run, steps, step_run.pk)
        act = run.folder
        if step.opinion_pending:
            raise OpinionPending(
                _("An opinion was asked on this step: wait for the answer before deciding.")
            )
        _check_pes_signature(run, step, signature)
        if signature is not None and not step.is_signature:
            raise InvalidWorkflowInput(_("A visa is not signed: no signature is expected here."))
        entries = load_entries(step.pk)
        capacity = find_capacity(
            entries, act, actor, on_behalf_of=on_behalf_of, unsatisfied_only=True
        )
        if signature is None and step.is_signature:
            raise InvalidWorkflowInput(
                _(
                    "This step is approved by signing the act: sign it from the act's signing "
                    "panel (or the signing API), with your certificate or the server seal."
                ),
                code="signature_required",
            )
        now = timezone.now()
        decision = Decision.objects.create(
            step_run=step,
            assignee_id=capacity.entry.pk,
            actor=actor,
            on_behalf_of_id=capacity.on_behalf_of_id,
            action=DecisionAction.APPROVE,
            comment=comment.strip(),
            signature=asdict(signature) if signature is not None else {},
            created_at=now,
        )
        remaining = [e for e in entries if not e.approved and e.pk != capacity.entry.pk]
        if step.mode == StepMode.ONE or not remaining:
            outcome = _close_step_and_advance(run, steps, step, StepStatus.DONE, actor, now)
        else:
            outcome = "approved"
        extra: dict[str, Any] = {"remaining": 0 if outcome != "approved" else len(remaining)}
        if outcome == "completed":
            extra.update(_folder_status(run))
        if signature is not None:
            extra["signature"] = asdict(signature)
        record_event(
            act,
            _code(run, outcome),
            actor=actor,
            on_behalf_of=_delegator(capacity),
            data=_decision_data(step, decision, **extra),
        )
    return step


def reject_step(
    *, step_run: StepRun, actor: User, reason: str, on_behalf_of: User | None = None
) -> StepRun:
    """Reject a step with a reason the drafter will read.

    A preparation run returns the act to its drafter (status returned), who fixes it and sends
    it again in a new run; the history stays. A signature run is closed as rejected and the
    adopted deliberation stays adopted (a new signature run can start).
    Side effects: a Decision; run returned/rejected; journal event ``act.circuit.rejected``;
    drafter and sender notified after commit.
    """
    if not (reason or "").strip():
        raise InvalidWorkflowInput(
            _("Say why you reject the folder: the drafter needs it to fix the project."),
            field="reason",
        )
    with transaction.atomic():
        run, steps = _lock_run(step_run.run_id)
        step = _open_step(run, steps, step_run.pk)
        act = run.folder
        if step.opinion_pending:
            raise OpinionPending(
                _("An opinion was asked on this step: wait for the answer before deciding.")
            )
        capacity = _decide_as(step, act, actor, on_behalf_of, approval=False)
        now = timezone.now()
        decision = Decision.objects.create(
            step_run=step,
            assignee_id=capacity.entry.pk,
            actor=actor,
            on_behalf_of_id=capacity.on_behalf_of_id,
            action=DecisionAction.REJECT,
            comment=reason.strip(),
            created_at=now,
        )
        preparation = run.phase in (CircuitPhase.PREPARATION, CircuitPhase.PES)
        _stop_run(
            run,
            step,
            RunStatus.RETURNED if preparation else RunStatus.REJECTED,
            StepStatus.RETURNED,
            now,
        )
        if run.flow_id is not None:
            _move_flow(act, "return_to_finance", now)
        elif preparation:
            ActFlow(act).run("return_to_drafter")
            act.save(update_fields=["status", "updated_at"])
        record_event(
            act,
            _code(run, "rejected"),
            actor=actor,
            on_behalf_of=_delegator(capacity),
            data=_decision_data(step, decision, **_folder_status(run)),
        )
        queue_notification(NotificationKind.REJECTED, run_id=run.pk, exclude_user_id=actor.pk)
    return step


def skip_step(*, step_run: StepRun, actor: User, reason: str) -> StepRun:
    """Pass over the waiting visa step (an administrator, with a reason; "forcer l'étape").

    Signature and seal steps cannot be skipped. A pending opinion is abandoned. Side effects: a Decision; next step activated or run
    completed (as for an approval); journal event ``act.circuit.skipped`` (or
    ``act.circuit.completed``).
    """
    if not (reason or "").strip():
        raise InvalidWorkflowInput(_("Say why the step is skipped."), field="reason")
    with transaction.atomic():
        run, steps = _lock_run(step_run.run_id)
        act = run.folder
        require_role(actor, act.collectivite, Role.ADMIN)
        step = _open_step(run, steps, step_run.pk)
        if step.is_signature and run.flow_id is not None:
            raise InvalidWorkflowInput(
                _("A signature of bordereaux cannot be skipped: the treasury needs it.")
            )
        if step.is_signature:
            # An act without its signature has no legal existence: skipping would sign nothing.
            raise InvalidWorkflowInput(
                _(
                    "A signature or seal step cannot be skipped: the act must be signed. Ask the "
                    "signer or their delegate to sign, or reject the folder."
                )
            )
        now = timezone.now()
        decision = Decision.objects.create(
            step_run=step,
            actor=actor,
            action=DecisionAction.SKIP,
            comment=reason.strip(),
            created_at=now,
        )
        outcome = _close_step_and_advance(run, steps, step, StepStatus.SKIPPED, actor, now)
        extra = _folder_status(run) if outcome == "completed" else {}
        record_event(
            act,
            _code(run, outcome),
            actor=actor,
            data=_decision_data(step, decision, **extra),
        )
    return step


def request_opinion(
    *,
    step_run: StepRun,
    actor: User,
    requested_from: User,
    question: str,
    on_behalf_of: User | None = None,
) -> OpinionRequest:
    """Ask someone outside the circuit for an opinion ("aller-retour").

    Until they answer, the step cannot be decided and leaves the assignees' inbox for the
    consulted person's. Who: an assignee of the step. Side effects: an OpinionRequest and a
    Decision; journal event ``act.circuit.opinion_requested``; the person is notified.
    """
    if not (question or "").strip():
        raise InvalidWorkflowInput(_("Write the question you ask."), field="question")
    if requested_from.pk == actor.pk:
        raise InvalidWorkflowInput(
            _("Ask someone else than yourself for an opinion."), field="requested_from"
        )
    with transaction.atomic():
        run, steps = _lock_run(step_run.run_id)
        step = _open_step(run, steps, step_run.pk)
        act = run.folder
        if step.opinion_pending:
            raise OpinionPending(_("An opinion is already awaited on this step."))
        capacity = _decide_as(step, act, actor, on_behalf_of, approval=False)
        if not Membership.objects.filter(
            user_id=requested_from.pk, collectivite_id=act.collectivite_id
        ).exists():
            raise InvalidWorkflowInput(
                _("The person consulted must belong to the collectivité."),
                field="requested_from",
            )
        now = timezone.now()
        opinion = OpinionRequest.objects.create(
            step_run=step,
            requested_by=actor,
            requested_from=requested_from,
            question=question.strip(),
            requested_at=now,
        )
        decision = Decision.objects.create(
            step_run=step,
            assignee_id=capacity.entry.pk,
            actor=actor,
            on_behalf_of_id=capacity.on_behalf_of_id,
            action=DecisionAction.OPINION_REQUEST,
            comment=opinion.question,
            created_at=now,
        )
        record_event(
            act,
            _code(run, "opinion_requested"),
            actor=actor,
            on_behalf_of=_delegator(capacity),
            data=_decision_data(
                step,
                decision,
                opinion=opinion.pk,
                requested_from=requested_from.pk,
                requested_from_name=requested_from.display_name,
            ),
        )
        queue_notification(NotificationKind.OPINION_REQUESTED, opinion_id=opinion.pk)
    return opinion


def answer_opinion(*, opinion: OpinionRequest, actor: User, answer: str) -> OpinionRequest:
    """Give the opinion asked; the folder comes back to the step's assignees.

    Who: the person consulted. Side effects: the answer and a Decision; journal event
    ``act.circuit.opinion_answered``; the asker is notified.
    """
    if not (answer or "").strip():
        raise InvalidWorkflowInput(_("Write your opinion."), field="answer")
    run_id = StepRun.objects.values_list("run_id", flat=True).get(pk=opinion.step_run_id)
    with transaction.atomic():
        run, steps = _lock_run(run_id)
        current = OpinionRequest.objects.get(pk=opinion.pk)
        if current.requested_from_id != actor.pk:
            raise NotAuthorised(_("Only the person consulted can give this opinion."))
        if current.answered_at is not None:
            raise AlreadyDecided(_("This opinion has already been given."))
        try:
            step = _open_step(run, steps, current.step_run_id)
        except AlreadyDecided as exc:
            raise AlreadyDecided(
                _("The folder has moved on: this opinion is no longer awaited.")
            ) from exc
        now = timezone.now()
        current.answer = answer.strip()
        current.answered_at = now
        current.save(update_fields=["answer", "answered_at"])
        decision = Decision.objects.create(
            step_run=step,
            actor=actor,
            action=DecisionAction.OPINION_ANSWER,
            comment=current.answer,
            created_at=now,
        )
        record_event(
            run.folder,
            _code(run, "opinion_answered"),
            actor=actor,
            data=_decision_data(step, decision, opinion=current.pk),
        )
        queue_notification(NotificationKind.OPINION_ANSWERED, opinion_id=current.pk)
    return current


def recall(*, run: CircuitRun, actor: User, reason: str = "") -> CircuitRun:
    """The sender takes back a folder nobody has acted on yet ("droit de remords").

    Who: the person who started the run, while no decision (approval, rejection, opinion
    request…) exists on it. A preparation run sends the act back to draft; a signature run is
    closed and the deliberation stays adopted. Side effects: a Decision; run recalled; journal
    event ``act.circuit.recalled``.
    """
    with transaction.atomic():
        locked_run, steps = _lock_run(run.pk)
        act = locked_run.folder
        if locked_run.started_by_id != actor.pk:
            raise NotAuthorised(_("Only the person who sent the folder can recall it."))
        if locked_run.status != RunStatus.ACTIVE:
            raise AlreadyDecided(
                _("This circuit is closed (%(status)s): it can no longer be recalled.")
                % {"status": RunStatus(locked_run.status).label}
            )
        if Decision.objects.filter(step_run__run=locked_run).exists():
            raise AlreadyDecided(
                _("Someone has already acted on this folder: it can no longer be recalled.")
            )
        step = next(s for s in steps if s.status == StepStatus.ACTIVE)
        now = timezone.now()
        decision = Decision.objects.create(
            step_run=step,
            actor=actor,
            action=DecisionAction.RECALL,
            comment=(reason or "").strip(),
            created_at=now,
        )
        _stop_run(locked_run, step, RunStatus.RECALLED, StepStatus.CANCELLED, now)
        if locked_run.flow_id is not None:
            _move_flow(act, "return_to_finance", now)
        elif locked_run.phase == CircuitPhase.PREPARATION:
            ActFlow(act).run("recall")
            act.save(update_fields=["status", "updated_at"])
        record_event(
            act,
            _code(locked_run, "recalled"),
            actor=actor,
            data=_decision_data(step, decision, **_folder_status(locked_run)),
        )
    return locked_run


# --- PES flows through circuits ---------------------------------------------------------------


def lock_run(run_id: int) -> tuple[CircuitRun, list[StepRun]]:
    """Lock a run the way every decision does (steps, run, folder; always in that order), for
    a service that must decide something before approving a step in the same transaction
    (the PES signing service signs the bordereaux, then approves)."""
    return _lock_run(run_id)


def start_flow_circuit(*, flow: Any, actor: User, circuit: Circuit | None = None) -> CircuitRun:
    """Send a PES flow (imported, built, or back from a rejection) into a PES circuit.

    Without ``circuit``, the collectivité's default PES circuit (or its only one). Who: the
    person who imported or built the flow, a clerk, the ordonnateur or an administrator.
    Side effects: the flow and its bordereaux go in_circuit (BordereauFlow.submit); journal
    event ``pes.circuit.started`` on the flow's chain; the first step's assignees are notified
    after commit.
    """
    with transaction.atomic():
        current = type(flow).objects.select_for_update().get(pk=flow.pk)
        if current.created_by_id != actor.pk and not has_role(
            actor, current.collectivite_id, Role.CLERK, Role.ORDONNATEUR, Role.ADMIN
        ):
            require_role(actor, current.collectivite, Role.CLERK, Role.ORDONNATEUR, Role.ADMIN)
        if not PesFlowFlow(current).can("submit"):
            raise TransitionRefused(
                _(
                    "A PES flow goes into a circuit once imported or built, or after it came "
                    "back from one; this flow is “%(status)s”."
                )
                % {"status": current.get_status_display()}
            )
        candidates = pes_circuits(current.collectivite_id)
        if circuit is None:
            chosen = default_circuit(candidates)
            if chosen is None:
                raise InvalidWorkflowInput(
                    _("No PES circuit is configured: ask an administrator to create one.")
                    if not candidates
                    else _("Several PES circuits exist: choose one."),
                    field="circuit",
                )
        else:
            chosen = next((c for c in candidates if c.pk == circuit.pk), None)
            if chosen is None:
                raise InvalidWorkflowInput(
                    _("The circuit “%(name)s” is not an active PES circuit of this collectivité.")
                    % {"name": circuit.name},
                    field="circuit",
                )
        now = timezone.now()
        run, steps = _freeze_run(
            chosen,
            actor=actor,
            now=now,
            phase=CircuitPhase.PES,
            folder={"flow": current},
            busy=_("This flow is already in a circuit."),
        )
        first = steps[0]
        _move_flow(current, "submit", now)
        record_event(
            current,
            "pes.circuit.started",
            actor=actor,
            data={
                "run": run.pk,
                "circuit": chosen.pk,
                "circuit_name": chosen.name,
                "phase": str(CircuitPhase.PES),
                "steps": [
                    {"position": s.position, "kind": s.kind, "mode": s.mode, "label": s.label}
                    for s in steps
                ],
            },
        )
        queue_notification(NotificationKind.ASSIGNED, step_run_id=first.pk)
    return run
