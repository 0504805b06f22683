"""Configuring circuits and desks: the rules of a valid circuit, who may configure, the journal,
and which circuits apply to an act."""

from __future__ import annotations

import pytest

from deliberations.enums import ActType
from deliberations.exceptions import NotAllowed
from deliberations.models import Service
from tests.factories.workflow import AssigneeGroupFactory, make_circuit, signature, visa
from tests.workflow.conftest import project
from workflow import services
from workflow.enums import CircuitPhase, StepKind, StepMode
from workflow.exceptions import InvalidWorkflowInput
from workflow.journal import events_for
from workflow.models import AssigneeGroup, Circuit, CircuitStep
from workflow.selectors import applicable_circuits, default_circuit


def test_create_circuit_writes_ordered_steps_and_the_event(collectivite, admin, preparation, desk):
    steps = list(
        CircuitStep.objects.filter(circuit=preparation)
        .order_by("position")
        .values_list("position", "kind", "mode", "label", "deadline_days")
    )
    assert steps == [
        (1, StepKind.VISA, StepMode.ONE, "Visa du DGS", 3),
        (2, StepKind.VISA, StepMode.ONE, "Visa de l'adjointe aux finances", 5),
    ]
    assert list(preparation.steps.get(position=1).groups.all()) == [desk]
    event = list(events_for(collectivite))[-1]
    assert (
        event.action,
        event.data["name"],
        event.data["act_types"],
        len(event.data["steps"]),
    ) == (
        "workflow.circuit.created",
        "Préparation des délibérations",
        ["deliberation"],
        2,
    )


@pytest.mark.parametrize(
    ("phase", "act_types", "steps", "message"),
    [
        (
            CircuitPhase.PREPARATION,
            [ActType.DELIBERATION],
            lambda u, g: [visa("Visa", u), signature("Signature", u)],
            "Step 2: a preparation circuit that applies to deliberations can only contain visas "
            "(deliberations are signed after their vote, in a signature circuit). Restrict it to "
            "the other act types or make it a visa.",
        ),
        (
            CircuitPhase.PREPARATION,
            [],
            lambda u, g: [signature("Signature", u)],
            "Step 1: a preparation circuit that applies to deliberations can only contain visas "
            "(deliberations are signed after their vote, in a signature circuit). Restrict it to "
            "the other act types or make it a visa.",
        ),
        (
            CircuitPhase.SIGNATURE,
            [ActType.ARRETE],
            lambda u, g: [signature("Signature", u)],
            "A signature circuit applies to voted acts only: choose the deliberation type. Other "
            "acts are signed at the end of their preparation circuit.",
        ),
        (
            CircuitPhase.SIGNATURE,
            [ActType.DELIBERATION],
            lambda u, g: [visa("Visa", u)],
            "Step 1: a signature circuit only contains signature or seal steps; visas are given "
            "before the séance, in a preparation circuit.",
        ),
        (
            CircuitPhase.PREPARATION,
            [ActType.ARRETE],
            lambda u, g: [signature("Signature", u), visa("Visa", u)],
            "Step 2: visas come before the signatures (nothing is added to a document once it is "
            "signed).",
        ),
        (
            CircuitPhase.PREPARATION,
            [],
            lambda u, g: [visa("Personne")],
            "Step 1: choose at least one person or one desk.",
        ),
        (
            CircuitPhase.PREPARATION,
            [],
            lambda u, g: [visa("", u)],
            "Step 1: give it a label, such as “Visa du DGS”.",
        ),
        (CircuitPhase.PREPARATION, [], lambda u, g: [], "A circuit needs at least one step."),
        (
            CircuitPhase.PREPARATION,
            [],
            lambda u, g: [visa("Visa", u, deadline_days=0)],
            "Step 1: the deadline is a number of days, at least 1.",
        ),
        (
            CircuitPhase.PREPARATION,
            [],
            lambda u, g: [visa("Visa", g)],
            "Step 1: a desk is inactive or belongs to another collectivité.",
        ),
    ],
    ids=[
        "signature-in-deliberation-preparation",
        "signature-in-all-types-preparation",
        "signature-circuit-for-arrete",
        "visa-in-signature-circuit",
        "visa-after-signature",
        "no-assignee",
        "no-label",
        "no-step",
        "zero-deadline",
        "foreign-desk",
    ],
)
def test_invalid_circuits_are_refused(
    collectivite, admin, maire, outsider, phase, act_types, steps, message
):
    foreign_desk = AssigneeGroupFactory(collectivite=outsider.memberships.first().collectivite)
    with pytest.raises(InvalidWorkflowInput) as info:
        make_circuit(
            collectivite,
            admin,
            *steps(maire, foreign_desk),
            phase=phase,
            act_types=act_types,
            name="Invalide",
        )
    assert str(info.value) == message
    assert Circuit.objects.count() == 0


def test_assignees_must_belong_to_the_collectivite(collectivite, admin, outsider):
    with pytest.raises(InvalidWorkflowInput) as info:
        make_circuit(collectivite, admin, visa("Visa", outsider), name="Étranger")
    assert str(info.value) == (
        f"These people do not belong to Commune de Saint-Exemple: {outsider.display_name}."
    )


def test_only_administrators_configure_circuits(collectivite, clerk, dgs, desk):
    for actor in (clerk, dgs):
        with pytest.raises(NotAllowed):
            make_circuit(collectivite, actor, visa("Visa", desk), name="Interdit")
        with pytest.raises(NotAllowed):
            services.create_group(collectivite=collectivite, actor=actor, name="Bureau")
    assert (Circuit.objects.count(), AssigneeGroup.objects.exclude(pk=desk.pk).count()) == (0, 0)


def test_circuit_names_are_unique(collectivite, admin, preparation, maire):
    with pytest.raises(InvalidWorkflowInput) as info:
        make_circuit(collectivite, admin, visa("V", maire), name="Préparation des délibérations")
    assert str(info.value) == "A circuit already has this name."


def test_update_replaces_the_steps_and_deactivate_hides_the_circuit(
    collectivite, admin, clerk, preparation, maire
):
    services.update_circuit(
        circuit=preparation,
        actor=admin,
        name="Préparation courte",
        steps=[visa("Visa du Maire", maire, deadline_days=2)],
    )
    preparation.refresh_from_db()
    assert (preparation.name, list(preparation.steps.values_list("label", flat=True))) == (
        "Préparation courte",
        ["Visa du Maire"],
    )
    services.deactivate_circuit(circuit=preparation, actor=admin)
    assert applicable_circuits(project(collectivite, clerk), CircuitPhase.PREPARATION) == []
    assert [e.action for e in events_for(collectivite)][-2:] == [
        "workflow.circuit.updated",
        "workflow.circuit.deactivated",
    ]


def test_update_keeps_the_rules(collectivite, admin, preparation, maire):
    with pytest.raises(InvalidWorkflowInput):
        services.update_circuit(
            circuit=preparation, actor=admin, steps=[signature("Signature", maire)]
        )
    assert list(preparation.steps.values_list("label", flat=True)) == [
        "Visa du DGS",
        "Visa de l'adjointe aux finances",
    ]


def test_applicable_circuits_by_type_and_service_default_first(
    collectivite, admin, clerk, maire, desk, preparation
):
    finances = Service.objects.create(collectivite=collectivite, name="Finances")
    general = make_circuit(collectivite, admin, visa("V", maire), name="Tous", is_default=False)
    by_service = make_circuit(
        collectivite,
        admin,
        visa("V", desk),
        name="Finances",
        services_=[finances],
        is_default=False,
    )
    act = project(collectivite, clerk)
    assert applicable_circuits(act, CircuitPhase.PREPARATION) == [preparation, general]
    act.service = finances
    found = applicable_circuits(act, CircuitPhase.PREPARATION)
    assert found == [preparation, by_service, general]
    assert default_circuit(found) == preparation
    arrete = project(collectivite, clerk, act_type=ActType.ARRETE)
    assert applicable_circuits(arrete, CircuitPhase.PREPARATION) == [general]
    assert default_circuit([general]) == general
    assert default_circuit([by_service, general]) is None


def test_desks_are_configured_and_deactivated_when_unused(
    collectivite, admin, dgs, deputy_dgs, preparation, desk
):
    group = services.create_group(
        collectivite=collectivite, actor=admin, name="Secrétariat", members=[dgs]
    )
    services.update_group(group=group, actor=admin, members=[dgs, deputy_dgs])
    assert sorted(group.members.values_list("username", flat=True)) == ["deputy", "dgs"]
    with pytest.raises(InvalidWorkflowInput) as info:
        services.deactivate_group(group=desk, actor=admin)
    assert str(info.value) == (
        "This desk is used by active circuits: Préparation des délibérations. Change them first."
    )
    services.deactivate_group(group=group, actor=admin)
    group.refresh_from_db()
    desk.refresh_from_db()
    assert (group.is_active, desk.is_active) == (False, True)
    assert [e.action for e in events_for(collectivite)][-3:] == [
        "workflow.group.created",
        "workflow.group.updated",
        "workflow.group.deactivated",
    ]
