"""Configuring circuits and desks (administrators of the collectivité)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from deliberations.enums import ActType, Role
from deliberations.models import Collectivite, Membership, Service, User
from deliberations.permissions import require_role
from deliberations.services._common import locked
from workflow.journal import record_event

from ..enums import CircuitPhase, StepKind, StepMode
from ..exceptions import InvalidWorkflowInput
from ..models import AssigneeGroup, Circuit, CircuitStep


@dataclass(frozen=True)
class StepSpec:
    """One step as an administrator describes it; positions follow the order of the list."""

    kind: str
    label: str
    mode: str = StepMode.ONE
    users: Sequence[User] = ()
    groups: Sequence[AssigneeGroup] = ()
    deadline_days: int | None = None
    signer_quality: str = ""


# --- Desks ------------------------------------------------------------------------------------


def _check_members(collectivite: Collectivite, users: Iterable[User]) -> list[User]:
    users = list({u.pk: u for u in users}.values())
    known = set(
        Membership.objects.filter(
            collectivite=collectivite, user_id__in=[u.pk for u in users]
        ).values_list("user_id", flat=True)
    )
    strangers = [u.display_name for u in users if u.pk not in known]
    if strangers:
        raise InvalidWorkflowInput(
            _("These people do not belong to %(collectivite)s: %(names)s.")
            % {"collectivite": collectivite.name, "names": ", ".join(sorted(strangers))},
            field="users",
        )
    return users


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidWorkflowInput(_("Give a name."), field="name")
    return name


def create_group(
    *, collectivite: Collectivite, actor: User, name: str, members: Iterable[User] = ()
) -> AssigneeGroup:
    """Create a desk ("bureau"). Side effects: journal event ``workflow.group.created``."""
    require_role(actor, collectivite, Role.ADMIN)
    name = _clean_name(name)
    people = _check_members(collectivite, members)
    with transaction.atomic():
        if AssigneeGroup.objects.filter(collectivite=collectivite, name=name).exists():
            raise InvalidWorkflowInput(_("A desk already has this name."), field="name")
        group = AssigneeGroup.objects.create(collectivite=collectivite, name=name)
        group.members.set(people)
        record_event(
            group,
            "workflow.group.created",
            actor=actor,
            data={"group": group.pk, "name": name, "members": sorted(u.pk for u in people)},
        )
    return group


def update_group(
    *,
    group: AssigneeGroup,
    actor: User,
    name: str | None = None,
    members: Iterable[User] | None = None,
) -> AssigneeGroup:
    """Rename a desk or change its members; running steps follow the new members at once.

    Side effects: journal event ``workflow.group.updated``.
    """
    require_role(actor, group.collectivite, Role.ADMIN)
    with transaction.atomic():
        current = locked(AssigneeGroup, group.pk)
        changes: dict[str, Any] = {}
        if name is not None and _clean_name(name) != current.name:
            new_name = _clean_name(name)
            if (
                AssigneeGroup.objects.filter(collectivite_id=current.collectivite_id, name=new_name)
                .exclude(pk=current.pk)
                .exists()
            ):
                raise InvalidWorkflowInput(_("A desk already has this name."), field="name")
            current.name = new_name
            current.save(update_fields=["name"])
            changes["name"] = new_name
        if members is not None:
            people = _check_members(current.collectivite, members)
            current.members.set(people)
            changes["members"] = sorted(u.pk for u in people)
        if changes:
            record_event(
                current,
                "workflow.group.updated",
                actor=actor,
                data={"group": current.pk, **changes},
            )
    return current


def deactivate_group(*, group: AssigneeGroup, actor: User) -> AssigneeGroup:
    """Retire a desk no active circuit uses; folders already running keep it.

    Side effects: journal event ``workflow.group.deactivated``.
    """
    require_role(actor, group.collectivite, Role.ADMIN)
    with transaction.atomic():
        current = locked(AssigneeGroup, group.pk)
        if not current.is_active:
            return current
        used = sorted(
            Circuit.objects.filter(is_active=True, steps__groups=current)
            .values_list("name", flat=True)
            .distinct()
        )
        if used:
            raise InvalidWorkflowInput(
                _("This desk is used by active circuits: %(names)s. Change them first.")
                % {"names": ", ".join(used)}
            )
        current.is_active = False
        current.save(update_fields=["is_active"])
        record_event(current, "workflow.group.deactivated", actor=actor, data={"group": current.pk})
    return current


# --- Circuits ---------------------------------------------------------------------------------


def _clean_act_types(act_types: Iterable[str]) -> list[str]:
    cleaned = []
    for value in act_types:
        if value not in ActType.values:
            raise InvalidWorkflowInput(
                _("Unknown act type: %(type)s.") % {"type": value}, field="act_types"
            )
        if value not in cleaned:
            cleaned.append(str(value))
    return sorted(cleaned)


def _check_services(collectivite: Collectivite, services: Iterable[Service]) -> list[Service]:
    services = list({s.pk: s for s in services}.values())
    if any(s.collectivite_id != collectivite.pk for s in services):
        raise InvalidWorkflowInput(
            _("A service belongs to another collectivité."), field="services"
        )
    return services


def _check_steps(
    collectivite: Collectivite, phase: str, act_types: list[str], steps: Sequence[StepSpec]
) -> list[StepSpec]:
    """Apply the rules of a valid circuit; return the steps with their assignees de-duplicated."""
    if not steps:
        raise InvalidWorkflowInput(_("A circuit needs at least one step."), field="steps")
    voted = [t for t in (act_types or ActType.values) if ActType(t).is_voted]
    cleaned: list[StepSpec] = []
    signing_seen = False
    for position, spec in enumerate(steps, start=1):
        where = {"position": position}
        if spec.kind not in StepKind.values:
            raise InvalidWorkflowInput(_("Step %(position)s: unknown kind.") % where, field="steps")
        if spec.mode not in StepMode.values:
            raise InvalidWorkflowInput(_("Step %(position)s: unknown mode.") % where, field="steps")
        if not (spec.label or "").strip():
            raise InvalidWorkflowInput(
                _("Step %(position)s: give it a label, such as “Visa du DGS”.") % where,
                field="steps",
            )
        if spec.deadline_days is not None and spec.deadline_days < 1:
            raise InvalidWorkflowInput(
                _("Step %(position)s: the deadline is a number of days, at least 1.") % where,
                field="steps",
            )
        users = _check_members(collectivite, spec.users)
        groups = list({g.pk: g for g in spec.groups}.values())
        if any(g.collectivite_id != collectivite.pk or not g.is_active for g in groups):
            raise InvalidWorkflowInput(
                _("Step %(position)s: a desk is inactive or belongs to another collectivité.")
                % where,
                field="steps",
            )
        if not users and not groups:
            raise InvalidWorkflowInput(
                _("Step %(position)s: choose at least one person or one desk.") % where,
                field="steps",
            )
        signs = StepKind(spec.kind).signs
        if phase == CircuitPhase.PES:
            _check_pes_step(spec, position, signing_seen)
        if phase == CircuitPhase.SIGNATURE and not signs:
            raise InvalidWorkflowInput(
                _(
                    "Step %(position)s: a signature circuit only contains signature or seal "
                    "steps; visas are given before the séance, in a preparation circuit."
                )
                % where,
                field="steps",
            )
        if phase == CircuitPhase.PREPARATION and signs and voted:
            raise InvalidWorkflowInput(
                _(
                    "Step %(position)s: a preparation circuit that applies to deliberations can "
                    "only contain visas (deliberations are signed after their vote, in a "
                    "signature circuit). Restrict it to the other act types or make it a visa."
                )
                % where,
                field="steps",
            )
        if signing_seen and not signs:
            raise InvalidWorkflowInput(
                _(
                    "Step %(position)s: visas come before the signatures (nothing is added to "
                    "a document once it is signed)."
                )
                % where,
                field="steps",
            )
        signing_seen = signing_seen or signs
        cleaned.append(
            StepSpec(
                kind=spec.kind,
                label=spec.label.strip(),
                mode=spec.mode,
                users=users,
                groups=groups,
                deadline_days=spec.deadline_days,
                signer_quality=(spec.signer_quality or "").strip() if signs else "",
            )
        )
    if phase == CircuitPhase.PES and not signing_seen:
        raise InvalidWorkflowInput(
            _("A PES circuit ends with the signature of the ordonnateur: add that step."),
            field="steps",
        )
    return cleaned


def _check_pes_step(spec: StepSpec, position: int, signing_seen: bool) -> None:
    """A PES circuit: visas, then one signature that signs every bordereau of the flow."""
    where = {"position": position}
    if spec.kind == StepKind.SEAL:
        raise InvalidWorkflowInput(
            _(
                "Step %(position)s: bordereaux are signed by the ordonnateur or a delegate, "
                "in person; a server seal is not a signature the treasury accepts."
            )
            % where,
            field="steps",
        )
    if spec.kind == StepKind.SIGNATURE and (signing_seen or spec.mode != StepMode.ONE):
        raise InvalidWorkflowInput(
            _(
                "Step %(position)s: a PES circuit has one signature step, decided by any one "
                "of its assignees (each bordereau carries one signature)."
            )
            % where,
            field="steps",
        )


def _check_phase(phase: str, act_types: list[str]) -> None:
    if phase not in CircuitPhase.values:
        raise InvalidWorkflowInput(_("Unknown phase."), field="phase")
    if phase == CircuitPhase.PES and act_types:
        raise InvalidWorkflowInput(
            _("A PES circuit applies to treasury flows, not to acts: choose no act type."),
            field="act_types",
        )
    if phase == CircuitPhase.SIGNATURE and (
        not act_types or not all(ActType(t).is_voted for t in act_types)
    ):
        raise InvalidWorkflowInput(
            _(
                "A signature circuit applies to voted acts only: choose the deliberation type. "
                "Other acts are signed at the end of their preparation circuit."
            ),
            field="act_types",
        )


def _write_steps(circuit: Circuit, steps: list[StepSpec]) -> None:
    made = CircuitStep.objects.bulk_create(
        [
            CircuitStep(
                circuit=circuit,
                position=position,
                kind=spec.kind,
                mode=spec.mode,
                label=spec.label,
                deadline_days=spec.deadline_days,
                signer_quality=spec.signer_quality,
            )
            for position, spec in enumerate(steps, start=1)
        ]
    )
    CircuitStep.users.through.objects.bulk_create(
        [
            CircuitStep.users.through(circuitstep_id=step.pk, user_id=user.pk)
            for step, spec in zip(made, steps, strict=True)
            for user in spec.users
        ]
    )
    CircuitStep.groups.through.objects.bulk_create(
        [
            CircuitStep.groups.through(circuitstep_id=step.pk, assigneegroup_id=group.pk)
            for step, spec in zip(made, steps, strict=True)
            for group in spec.groups
        ]
    )


def _describe(steps: list[StepSpec]) -> list[dict[str, Any]]:
    return [
        {
            "position": position,
            "kind": spec.kind,
            "mode": spec.mode,
            "label": spec.label,
            "users": sorted(u.pk for u in spec.users),
            "groups": sorted(g.pk for g in spec.groups),
            "deadline_days": spec.deadline_days,
            "signer_quality": spec.signer_quality,
        }
        for position, spec in enumerate(steps, start=1)
    ]


def create_circuit(
    *,
    collectivite: Collectivite,
    actor: User,
    name: str,
    phase: str,
    steps: Sequence[StepSpec],
    act_types: Iterable[str] = (),
    services: Iterable[Service] = (),
    is_default: bool = False,
) -> Circuit:
    """Create a circuit and its ordered steps after checking the rules of a valid circuit.

    Rules: a signature circuit is for voted types and holds signatures or seals only; a
    preparation circuit that applies to deliberations holds visas only; visas come before
    signatures; every step has a label and at least one person or desk of the collectivité.
    Side effects: journal event ``workflow.circuit.created``.
    """
    require_role(actor, collectivite, Role.ADMIN)
    name = _clean_name(name)
    types = _clean_act_types(act_types)
    _check_phase(phase, types)
    service_list = _check_services(collectivite, services)
    cleaned = _check_steps(collectivite, phase, types, steps)
    with transaction.atomic():
        if Circuit.objects.filter(collectivite=collectivite, name=name).exists():
            raise InvalidWorkflowInput(_("A circuit already has this name."), field="name")
        circuit = Circuit.objects.create(
            collectivite=collectivite,
            name=name,
            phase=phase,
            act_types=types,
            is_default=is_default,
            created_by=actor,
        )
        circuit.services.set(service_list)
        _write_steps(circuit, cleaned)
        record_event(
            circuit,
            "workflow.circuit.created",
            actor=actor,
            data={
                "circuit": circuit.pk,
                "name": name,
                "phase": str(phase),
                "act_types": types,
                "services": sorted(s.pk for s in service_list),
                "is_default": is_default,
                "steps": _describe(cleaned),
            },
        )
    return circuit


def update_circuit(
    *,
    circuit: Circuit,
    actor: User,
    name: str | None = None,
    act_types: Iterable[str] | None = None,
    services: Iterable[Service] | None = None,
    is_default: bool | None = None,
    steps: Sequence[StepSpec] | None = None,
) -> Circuit:
    """Change a circuit; ``steps``, when given, replace all its steps.

    Folders already in the circuit keep the frozen copy they started with. Side effects:
    journal event ``workflow.circuit.updated`` with the new definition.
    """
    require_role(actor, circuit.collectivite, Role.ADMIN)
    with transaction.atomic():
        current = locked(Circuit, circuit.pk)
        collectivite = current.collectivite
        new_name = _clean_name(name) if name is not None else current.name
        types = _clean_act_types(act_types) if act_types is not None else current.act_types
        _check_phase(current.phase, types)
        service_list = (
            _check_services(collectivite, services)
            if services is not None
            else list(current.services.all())
        )
        if steps is None:
            steps = [
                StepSpec(
                    kind=s.kind,
                    label=s.label,
                    mode=s.mode,
                    users=list(s.users.all()),
                    groups=list(s.groups.all()),
                    deadline_days=s.deadline_days,
                    signer_quality=s.signer_quality,
                )
                for s in current.steps.order_by("position")
            ]
            replace = False
        else:
            replace = True
        cleaned = _check_steps(collectivite, current.phase, types, steps)
        if (
            Circuit.objects.filter(collectivite=collectivite, name=new_name)
            .exclude(pk=current.pk)
            .exists()
        ):
            raise InvalidWorkflowInput(_("A circuit already has this name."), field="name")
        current.name = new_name
        current.act_types = types
        if is_default is not None:
            current.is_default = is_default
        current.save(update_fields=["name", "act_types", "is_default", "updated_at"])
        current.services.set(service_list)
        if replace:
            current.steps.all().delete()
            _write_steps(current, cleaned)
        record_event(
            current,
            "workflow.circuit.updated",
            actor=actor,
            data={
                "circuit": current.pk,
                "name": current.name,
                "act_types": types,
                "services": sorted(s.pk for s in service_list),
                "is_default": current.is_default,
                "steps": _describe(cleaned),
            },
        )
    return current


def deactivate_circuit(*, circuit: Circuit, actor: User) -> Circuit:
    """Stop proposing a circuit; folders already in it finish their run.

    Side effects: journal event ``workflow.circuit.deactivated``.
    """
    require_role(actor, circuit.collectivite, Role.ADMIN)
    with transaction.atomic():
        current = locked(Circuit, circuit.pk)
        if not current.is_active:
            return current
        current.is_active = False
        current.save(update_fields=["is_active", "updated_at"])
        record_event(
            current, "workflow.circuit.deactivated", actor=actor, data={"circuit": current.pk}
        )
    return current
