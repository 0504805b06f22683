"""Reads of the parapheur shared by services, pages and the API.

The inbox is computed in SQL with a bounded number of queries whatever the number of folders:
the rule of ``workflow.eligibility`` (direct assignee, desk member, or delegate in dates and
scope; an "all" step disappears once the person's entry is approved) expressed as subqueries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat
from django.utils import timezone

from deliberations.enums import ActStatus, MandateRole, Role, SeanceStatus
from deliberations.models import Act, AgendaItem, ElectedOfficial, Mandate, User
from deliberations.permissions import collectivite_ids_for, has_role

from .eligibility import Capacity, Entry, find_capacity, is_pes_flow, load_entries
from .enums import CircuitPhase, DecisionAction, DelegationScope, RunStatus, StepStatus
from .exceptions import WorkflowError
from .models import (
    Circuit,
    CircuitRun,
    Decision,
    Delegation,
    Notification,
    OpinionRequest,
    StepAssignee,
    StepRun,
)

#: The nomenclature has at most five levels: a code and its ancestors' codes.
MATIERE_DEPTH = 5


# --- Circuits ---------------------------------------------------------------------------------


def phase_for(act: Act) -> CircuitPhase | None:
    """The phase of the circuit an act could start now, or None."""
    if act.status in (ActStatus.DRAFT, ActStatus.RETURNED):
        return CircuitPhase.PREPARATION
    if act.is_voted_type and act.status == ActStatus.ADOPTED:
        return CircuitPhase.SIGNATURE
    return None


def _specificity(circuit: Circuit, service_ids: set[int]) -> int:
    return (2 if service_ids else 0) + (1 if circuit.act_types else 0)


def applicable_circuits(act: Act, phase: CircuitPhase | str) -> list[Circuit]:
    """Active circuits of the act's collectivité for this phase, type and service.

    Defaults first, then the most specific (restricted to the service, then to the type), then
    by name. A circuit without types applies to every type, without services to every service.
    """
    circuits = (
        Circuit.objects.filter(collectivite_id=act.collectivite_id, phase=phase, is_active=True)
        .prefetch_related(Prefetch("services", to_attr="service_list"))
        .order_by("name")
    )
    found = []
    for circuit in circuits:
        service_ids = {s.pk for s in circuit.service_list}
        if not circuit.applies_to_type(act.act_type):
            continue
        if service_ids and act.service_id not in service_ids:
            continue
        found.append((not circuit.is_default, -_specificity(circuit, service_ids), circuit))
    found.sort(key=lambda row: (row[0], row[1], row[2].name))
    return [circuit for *_key, circuit in found]


def default_circuit(circuits: list[Circuit]) -> Circuit | None:
    """The circuit used when none is chosen: the first default, or the only one."""
    if circuits and circuits[0].is_default:
        return circuits[0]
    return circuits[0] if len(circuits) == 1 else None


def pes_circuits(collectivite_id: int) -> list[Circuit]:
    """Active PES circuits of a collectivité: defaults first, then by name."""
    return list(
        Circuit.objects.filter(
            collectivite_id=collectivite_id, phase=CircuitPhase.PES, is_active=True
        ).order_by("-is_default", "name")
    )


def circuits_of(collectivite_id: int) -> QuerySet[Circuit]:
    return (
        Circuit.objects.filter(collectivite_id=collectivite_id)
        .prefetch_related("services", "steps__users", "steps__groups")
        .order_by("-is_active", "phase", "name")
    )


def open_seance_holds(act: Act) -> bool:
    """Is the act on the agenda of a séance still open (its vote can still be corrected)?"""
    return AgendaItem.objects.filter(act=act, seance__status=SeanceStatus.OPEN).exists()


# --- Runs -------------------------------------------------------------------------------------


def runs_of(act: Any) -> list[CircuitRun]:
    """Every run of an act (or of a PES flow), oldest first, with steps, assignees, decisions
    and opinions."""
    steps = StepRun.objects.order_by("position").prefetch_related(
        Prefetch(
            "assignees",
            queryset=StepAssignee.objects.select_related("user", "group").order_by("pk"),
        ),
        Prefetch(
            "decisions",
            queryset=Decision.objects.select_related("actor", "on_behalf_of").order_by(
                "created_at", "pk"
            ),
        ),
        Prefetch(
            "opinions",
            queryset=OpinionRequest.objects.select_related("requested_by", "requested_from"),
        ),
    )
    return list(
        CircuitRun.objects.filter(**{"flow" if is_pes_flow(act) else "act": act})
        .select_related("started_by")
        .prefetch_related(Prefetch("steps", queryset=steps))
        .order_by("started_at", "pk")
    )


@dataclass
class Panel:
    """What the act page shows of the circuits and what the user may do there."""

    runs: list[CircuitRun]
    active_run: CircuitRun | None = None
    active_step: StepRun | None = None
    capacity: Capacity | None = None
    refusal: str = ""
    can_skip: bool = False
    can_recall: bool = False
    opinion_pending: OpinionRequest | None = None
    opinion_to_answer: OpinionRequest | None = None
    start_phase: CircuitPhase | None = None
    startable: list[Circuit] = field(default_factory=list)
    may_start: bool = False
    #: The rejection that ended the latest run, while no run is active (the drafter's to-do).
    last_rejection: Decision | None = None

    @property
    def can_decide(self) -> bool:
        return self.capacity is not None and self.opinion_pending is None


def panel_for(act: Act, user: Any) -> Panel:
    """The decision panel of the act page (a bounded number of queries)."""
    panel = Panel(runs=runs_of(act))
    panel.active_run = next((r for r in panel.runs if r.status == RunStatus.ACTIVE), None)
    if panel.active_run is not None:
        run = panel.active_run
        run.act = act
        steps = list(run.steps.all())
        panel.active_step = next((s for s in steps if s.status == StepStatus.ACTIVE), None)
        has_decisions = any(s.decisions.all() for s in steps)
        panel.can_recall = run.started_by_id == user.pk and not has_decisions
        if panel.active_step is not None:
            step = panel.active_step
            pending = [o for o in step.opinions.all() if o.answered_at is None]
            panel.opinion_pending = pending[0] if pending else None
            if panel.opinion_pending and panel.opinion_pending.requested_from_id == user.pk:
                panel.opinion_to_answer = panel.opinion_pending
            panel.can_skip = has_role(user, act.collectivite_id, Role.ADMIN)
            try:
                panel.capacity = find_capacity(
                    load_entries(step.pk), act, user, unsatisfied_only=True
                )
            except WorkflowError as refusal:
                panel.refusal = str(refusal.message)
    else:
        panel.last_rejection = _last_rejection(panel.runs)
        panel.start_phase = phase_for(act)
        if panel.start_phase is not None:
            panel.may_start = act.drafter_id == user.pk or has_role(
                user, act.collectivite_id, Role.CLERK, Role.ADMIN
            )
            panel.startable = applicable_circuits(act, panel.start_phase)
    return panel


def _last_rejection(runs: list[CircuitRun]) -> Decision | None:
    """The reject decision that ended the latest run, if it ended by a rejection."""
    if not runs or runs[-1].status not in (RunStatus.RETURNED, RunStatus.REJECTED):
        return None
    rejections = [
        decision
        for step in runs[-1].steps.all()
        for decision in step.decisions.all()
        if decision.action == DecisionAction.REJECT
    ]
    return rejections[-1] if rejections else None


# --- Inbox ------------------------------------------------------------------------------------


def _quoted(value: Any) -> Any:
    """The JSON text of a string inside a list: "7.1" → '"7.1"' (for a LIKE on the list)."""
    if isinstance(value, str):
        return f'"{value}"'
    return Concat(Value('"'), value, Value('"'), output_field=CharField())


def covering_delegations(
    *, delegate_id: int, day: dt.date, act_type: Any, matiere_codes: list[Any], collectivite: Any
) -> QuerySet[Delegation]:
    """Delegations in force on ``day`` whose scope covers an act, in SQL.

    ``act_type``, ``matiere_codes`` (the act's matière code and its ancestors' codes) and
    ``collectivite`` are values or outer references. Mirrors ``Delegation.covers``: the JSON lists
    are matched as text on the quoted value, which is exact because codes and types never contain
    quotes (an empty list covers everything).
    """
    types = Q(act_types=[]) | Q(act_types__icontains=_quoted(act_type))
    matieres = Q(matiere_codes=[])
    for code in matiere_codes:
        matieres |= Q(matiere_codes__icontains=_quoted(code))
    return Delegation.objects.filter(
        types,
        matieres,
        scope__in=[DelegationScope.ACTS, DelegationScope.ALL],
        delegate_id=delegate_id,
        collectivite_id=collectivite,
        revoked_at__isnull=True,
        starts_on__lte=day,
        ends_on__gte=day,
    )


def _outer_act(path: str) -> Any:
    return OuterRef(OuterRef(f"run__act__{path}"))


def _in_collectivites(prefix: str, ids: list[int]) -> Q:
    """Runs (at ``prefix``) of an act or of a PES flow of these collectivités."""
    return Q(**{f"{prefix}act__collectivite_id__in": ids}) | Q(
        **{f"{prefix}flow__collectivite_id__in": ids}
    )


def actionable_steps(
    user: Any, *, collectivite_id: int | None = None, day: dt.date | None = None
) -> QuerySet[StepRun]:
    """Active steps ``user`` may decide now, annotated with ``own`` (in their own name) and
    ``behalf_id`` (the delegator they would act for otherwise). Steps waiting for an opinion are
    left out: the folder is with the person consulted."""
    day = day or timezone.localdate()
    ids = collectivite_ids_for(user)
    if collectivite_id is not None:
        ids = [i for i in ids if i == collectivite_id]
    unapproved = StepAssignee.objects.filter(step_run=OuterRef("pk")).exclude(
        Exists(Decision.objects.filter(assignee=OuterRef("pk"), action=DecisionAction.APPROVE))
    )
    own = unapproved.filter(Q(user_id=user.pk) | Q(group__members=user.pk))
    codes = ["matiere__code"]
    for _level in range(MATIERE_DEPTH - 1):
        codes.append(codes[-1].replace("matiere__", "matiere__parent__", 1))
    delegations = covering_delegations(
        delegate_id=user.pk,
        day=day,
        act_type=_outer_act("act_type"),
        matiere_codes=[_outer_act(code) for code in codes],
        collectivite=_outer_act("collectivite_id"),
    ).filter(
        Q(delegator_id=OuterRef("user_id")) | Q(delegator__assignee_groups=OuterRef("group_id"))
    )
    # A PES flow's run: delegations whose scope includes treasury flows (no type nor matière).
    flow_delegations = Delegation.objects.filter(
        Q(delegator_id=OuterRef("user_id")) | Q(delegator__assignee_groups=OuterRef("group_id")),
        scope__in=[DelegationScope.PES, DelegationScope.ALL],
        delegate_id=user.pk,
        collectivite_id=OuterRef(OuterRef("run__flow__collectivite_id")),
        revoked_at__isnull=True,
        starts_on__lte=day,
        ends_on__gte=day,
    )
    behalf = (
        unapproved.annotate(
            delegator=Coalesce(
                Subquery(delegations.values("delegator_id")[:1]),
                Subquery(flow_delegations.values("delegator_id")[:1]),
            )
        )
        .filter(delegator__isnull=False)
        .values("delegator")[:1]
    )
    waiting = OpinionRequest.objects.filter(step_run=OuterRef("pk"), answered_at__isnull=True)
    return (
        StepRun.objects.filter(
            _in_collectivites("run__", ids),
            status=StepStatus.ACTIVE,
            run__status=RunStatus.ACTIVE,
        )
        .exclude(Exists(waiting))
        .annotate(
            own=Exists(own),
            behalf_id=Subquery(behalf, output_field=IntegerField()),
            late=Case(When(deadline__lt=day, then=Value(0)), default=Value(1)),
        )
        .filter(Q(own=True) | Q(behalf_id__isnull=False))
    )


def pending_opinions(user: Any, *, collectivite_id: int | None = None) -> QuerySet[OpinionRequest]:
    ids = collectivite_ids_for(user)
    if collectivite_id is not None:
        ids = [i for i in ids if i == collectivite_id]
    return OpinionRequest.objects.filter(
        _in_collectivites("step_run__run__", ids),
        requested_from_id=user.pk,
        answered_at__isnull=True,
        step_run__status=StepStatus.ACTIVE,
        step_run__run__status=RunStatus.ACTIVE,
    )


@dataclass(frozen=True)
class InboxItem:
    """A folder waiting for the user: a step to decide, or an opinion to give. The folder is an
    act, or a PES flow (``act`` is None then)."""

    act: Act | None
    step: StepRun
    received_at: dt.datetime
    deadline: dt.date | None = None
    late: bool = False
    on_behalf_of: User | None = None
    opinion: OpinionRequest | None = None
    flow: Any = None

    @property
    def is_opinion(self) -> bool:
        return self.opinion is not None

    @property
    def folder(self) -> Any:
        return self.act if self.act is not None else self.flow


def inbox_for(user: Any, *, collectivite_id: int | None = None) -> list[InboxItem]:
    """Folders waiting for ``user``: late ones first, then by deadline, then oldest first.

    Three queries whatever the number of folders (steps, delegators' names, opinions).
    """
    day = timezone.localdate()
    steps = list(
        actionable_steps(user, collectivite_id=collectivite_id, day=day)
        .select_related("run__act__matiere", "run__act__drafter", "run__flow__created_by")
        .order_by("late", F("deadline").asc(nulls_last=True), "activated_at", "pk")
    )
    behalf_ids = {s.behalf_id for s in steps if not s.own}
    delegators = {u.pk: u for u in User.objects.filter(pk__in=behalf_ids)} if behalf_ids else {}
    items = [
        InboxItem(
            act=step.run.act,
            step=step,
            received_at=step.activated_at or step.run.started_at,
            deadline=step.deadline,
            late=step.deadline is not None and step.deadline < day,
            on_behalf_of=None if step.own else delegators.get(step.behalf_id),
            flow=step.run.flow,
        )
        for step in steps
    ]
    opinions = pending_opinions(user, collectivite_id=collectivite_id).select_related(
        "step_run__run__act__matiere",
        "step_run__run__act__drafter",
        "step_run__run__flow",
        "requested_by",
    )
    items += [
        InboxItem(
            act=opinion.step_run.run.act,
            step=opinion.step_run,
            received_at=opinion.requested_at,
            opinion=opinion,
            flow=opinion.step_run.run.flow,
        )
        for opinion in opinions.order_by("requested_at", "pk")
    ]
    far = dt.date.max
    items.sort(key=lambda i: (not i.late, i.deadline or far, i.received_at))
    return items


class _Count(Subquery):
    template = "(SELECT COUNT(*) FROM (%(subquery)s) _counted)"
    output_field = IntegerField()


def inbox_count(user: Any, *, collectivite_id: int | None = None) -> int:
    """How many folders wait for ``user`` (the number in the menu): one query."""
    if not getattr(user, "is_authenticated", False) or not collectivite_ids_for(user):
        return 0
    steps = actionable_steps(user, collectivite_id=collectivite_id).values("pk")
    opinions = pending_opinions(user, collectivite_id=collectivite_id).values("pk")
    counts = (
        User.objects.filter(pk=user.pk)
        .annotate(steps=_Count(steps), opinions=_Count(opinions))
        .values_list("steps", "opinions")
        .first()
    )
    return sum(count or 0 for count in counts) if counts else 0


# --- Delegations ------------------------------------------------------------------------------


def delegations_given_and_received(user: Any, collectivite_id: int) -> QuerySet[Delegation]:
    return (
        Delegation.objects.filter(collectivite_id=collectivite_id)
        .filter(Q(delegator=user) | Q(delegate=user))
        .select_related("delegator", "delegate")
        .order_by("-starts_on", "-pk")
    )


#: How the legal mention names the delegating authority (the office, not the person).
AUTHORITY_TITLES = {
    MandateRole.MAYOR: "le Maire",
    MandateRole.PRESIDENT: "le Président",
    MandateRole.DEPUTY_MAYOR: "l'Adjoint au Maire",
    MandateRole.VICE_PRESIDENT: "le Vice-président",
    MandateRole.DELEGATE_COUNCILLOR: "le Conseiller délégué",
    MandateRole.COUNCILLOR: "le Conseiller",
}
_ROLE_ORDER = list(AUTHORITY_TITLES)


def _current_mandate(user: Any, collectivite_id: int, day: dt.date) -> Mandate | None:
    mandates = list(
        Mandate.objects.in_office(day)
        .filter(official__user=user, official__collectivite_id=collectivite_id)
        .select_related("official")
    )
    mandates.sort(key=lambda m: (_ROLE_ORDER.index(MandateRole(m.role)), m.rank))
    return mandates[0] if mandates else None


def _person_name(user: Any, collectivite_id: int) -> str:
    official = ElectedOfficial.objects.filter(user=user, collectivite_id=collectivite_id).first()
    if official is not None:
        return official.full_name
    if user.first_name or user.last_name:
        return f"{user.first_name} {user.last_name.upper()}".strip()
    return user.username


def delegation_mention(delegation: Delegation, *, on: dt.date | None = None) -> str:
    """The legal mention printed with a signature made by delegation.

    "Pour le Maire et par délégation, Sophie LEFÈVRE, Adjointe déléguée aux finances". It names
    the delegating authority by its office (the delegator's elected mandate; their own name when
    they hold none) and is always in French: it is part of the act, whatever the reader's
    language. The quality is the delegation's, else the delegate's mandate quality.
    """
    day = on or timezone.localdate()
    cid = delegation.collectivite_id
    authority = _current_mandate(delegation.delegator, cid, day)
    who = (
        AUTHORITY_TITLES[MandateRole(authority.role)]
        if authority is not None
        else _person_name(delegation.delegator, cid)
    )
    name = _person_name(delegation.delegate, cid)
    quality = delegation.quality
    if not quality:
        own = _current_mandate(delegation.delegate, cid, day)
        quality = own.printed_quality if own is not None else ""
    mention = f"Pour {who} et par délégation, {name}"
    return f"{mention}, {quality}" if quality else mention


def mention_for(decision: Decision) -> str:
    """The legal mention of a decision taken by delegation ("" in one's own name)."""
    if decision.on_behalf_of_id is None:
        return ""
    act = decision.step_run.run.folder
    day = timezone.localtime(decision.created_at).date()
    delegation = (
        Delegation.objects.filter(
            collectivite_id=act.collectivite_id,
            delegator_id=decision.on_behalf_of_id,
            delegate_id=decision.actor_id,
            starts_on__lte=day,
            ends_on__gte=day,
        )
        .order_by("-starts_on", "-pk")
        .first()
    )
    return delegation_mention(delegation, on=day) if delegation is not None else ""


# --- Notifications ----------------------------------------------------------------------------


def notifications_of(user: Any) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(user=user)
        .select_related("act", "flow")
        .order_by("-created_at", "-pk")
    )


__all__ = [
    "MATIERE_DEPTH",
    "Entry",
    "InboxItem",
    "Panel",
    "actionable_steps",
    "applicable_circuits",
    "circuits_of",
    "covering_delegations",
    "default_circuit",
    "delegation_mention",
    "delegations_given_and_received",
    "inbox_count",
    "inbox_for",
    "mention_for",
    "notifications_of",
    "open_seance_holds",
    "panel_for",
    "pending_opinions",
    "pes_circuits",
    "phase_for",
    "runs_of",
]
