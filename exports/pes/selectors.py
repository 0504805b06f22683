"""Reads of treasury flows shared by the pages, the API and the commands.

Who sees what: the finance service, the ordonnateur, administrators, validators and signers
(who sit in PES circuits) see every flow of their collectivité; a treasury user sees only
signed flows (signed, sent, answered). Anything else is answered as not found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from deliberations.enums import Role
from deliberations.permissions import collectivite_ids_for, has_role, roles_in
from workflow.eligibility import Capacity, find_capacity, load_entries
from workflow.enums import RunStatus, StepStatus
from workflow.exceptions import WorkflowError
from workflow.models import Circuit, CircuitRun, OpinionRequest
from workflow.selectors import default_circuit, pes_circuits, runs_of

from .enums import FINANCE_ROLES, TREASURY_STATUSES, PesFlowStatus, TransmissionStatus
from .keys import token_available
from .models import Bordereau, PesFlow, PesImport, PesTransmission, Piece

FULL_READERS = {str(r) for r in (*FINANCE_ROLES, Role.VALIDATOR, Role.SIGNER)}
PIECES_PER_PAGE = 50


def readable_filter(user: Any, *, collectivite_id: int | None = None) -> Q:
    """The flows ``user`` may read, as a filter (one query per collectivité for the roles)."""
    ids = collectivite_ids_for(user)
    if collectivite_id is not None:
        ids = [i for i in ids if i == collectivite_id]
    if getattr(user, "is_superuser", False):
        return Q(collectivite_id__in=ids)
    full, treasury = [], []
    for cid in ids:
        roles = roles_in(user, cid)
        if roles & FULL_READERS:
            full.append(cid)
        elif str(Role.TREASURY) in roles:
            treasury.append(cid)
    return Q(collectivite_id__in=full) | Q(
        collectivite_id__in=treasury, status__in=TREASURY_STATUSES
    )


def visible_flows(user: Any, *, collectivite_id: int | None = None) -> QuerySet[PesFlow]:
    return PesFlow.objects.filter(readable_filter(user, collectivite_id=collectivite_id))


def visible_imports(user: Any) -> QuerySet[PesImport]:
    """Background imports the user may follow: those of the collectivités where they import
    flows (the finance service, the ordonnateur, administrators)."""
    ids = [cid for cid in collectivite_ids_for(user) if has_role(user, cid, *FINANCE_ROLES)]
    return PesImport.objects.filter(collectivite_id__in=ids)


def visible_bordereaux(user: Any) -> QuerySet[Bordereau]:
    return Bordereau.objects.filter(flow__in=visible_flows(user))


def is_treasury_only(user: Any, collectivite_id: int) -> bool:
    roles = roles_in(user, collectivite_id)
    return not getattr(user, "is_superuser", False) and not roles & FULL_READERS


def pieces_of(bordereau: Bordereau, *, q: str = "") -> QuerySet[Piece]:
    """The pièces of a bordereau in file order, optionally those whose tiers, objet or number
    contains ``q``."""
    pieces = Piece.objects.filter(bordereau=bordereau).order_by("position")
    if q:
        condition = Q(tiers_name__icontains=q) | Q(objet__icontains=q) | Q(tiers_id__icontains=q)
        if q.isdigit():
            condition |= Q(id_pce=int(q))
        pieces = pieces.filter(condition)
    return pieces


def pieces_page(bordereau: Bordereau, *, page: Any, q: str = "") -> Page:
    """One page of pièces (two queries: the count and the page, thanks to the flat rows)."""
    return Paginator(pieces_of(bordereau, q=q), PIECES_PER_PAGE).get_page(page)


@dataclass
class FlowPanel:
    """What the flow page offers the user: the circuit and the next actions."""

    runs: list[CircuitRun]
    active_run: CircuitRun | None = None
    active_step: Any = None
    capacity: Capacity | None = None
    refusal: str = ""
    opinion_pending: OpinionRequest | None = None
    finance: bool = False
    treasury: bool = False
    admin: bool = False
    startable: list[Circuit] = field(default_factory=list)
    default_circuit: Circuit | None = None
    can_recall: bool = False
    transmission: PesTransmission | None = None
    token: bool = False

    @property
    def can_decide(self) -> bool:
        return self.capacity is not None and self.opinion_pending is None

    @property
    def can_sign(self) -> bool:
        return self.can_decide and self.active_step is not None and self.active_step.is_signature

    @property
    def can_visa(self) -> bool:
        return (
            self.can_decide and self.active_step is not None and not self.active_step.is_signature
        )


def panel_for(flow: PesFlow, user: Any) -> FlowPanel:
    cid = flow.collectivite_id
    panel = FlowPanel(
        runs=runs_of(flow),
        finance=has_role(user, cid, *FINANCE_ROLES),
        treasury=has_role(user, cid, Role.TREASURY),
        admin=has_role(user, cid, Role.ADMIN),
        token=token_available(),
    )
    panel.active_run = next((r for r in panel.runs if r.status == RunStatus.ACTIVE), None)
    if panel.active_run is not None:
        run = panel.active_run
        run.flow = flow
        steps = list(run.steps.all())
        panel.active_step = next((s for s in steps if s.status == StepStatus.ACTIVE), None)
        panel.can_recall = run.started_by_id == user.pk and not any(
            s.decisions.all() for s in steps
        )
        if panel.active_step is not None:
            pending = [o for o in panel.active_step.opinions.all() if o.answered_at is None]
            panel.opinion_pending = pending[0] if pending else None
            try:
                panel.capacity = find_capacity(
                    load_entries(panel.active_step.pk), flow, user, unsatisfied_only=True
                )
            except WorkflowError as refusal:
                panel.refusal = str(refusal.message)
    elif flow.status in (PesFlowStatus.IMPORTED, PesFlowStatus.BUILT, PesFlowStatus.RETURNED):
        panel.startable = pes_circuits(cid)
        panel.default_circuit = default_circuit(panel.startable)
    panel.transmission = (
        PesTransmission.objects.filter(flow=flow)
        .exclude(status=TransmissionStatus.FAILED)
        .order_by("-created_at")
        .first()
    )
    return panel


def treasury_flows(user: Any, collectivite_id: int) -> QuerySet[PesFlow]:
    """Signed flows addressed to the collectivité, newest first (the treasury's list)."""
    return (
        visible_flows(user, collectivite_id=collectivite_id)
        .filter(status__in=TREASURY_STATUSES)
        .prefetch_related("verification_reports")
        .order_by("-signed_at", "-pk")
    )
