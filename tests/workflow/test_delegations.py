"""Delegations: scope (act types, matière prefixes), dates, revocation, who may create or revoke,
the legal mention — and the SQL rule of the inbox agrees with the Python rule of the services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from deliberations.enums import ActType, MandateRole
from deliberations.exceptions import NotAllowed
from tests.factories import (
    AssemblyFactory,
    ElectedOfficialFactory,
    MandateFactory,
    NumberingSchemeFactory,
)
from tests.factories.workflow import PROOF, DelegationFactory, make_circuit, signature, visa
from tests.workflow.conftest import matiere, project
from workflow import services
from workflow.enums import StepStatus
from workflow.exceptions import InvalidWorkflowInput, NotAuthorised
from workflow.journal import events_for
from workflow.models import Decision, Delegation, StepRun
from workflow.selectors import covering_delegations, delegation_mention, inbox_for, mention_for

TODAY = dt.date(2026, 6, 15)

#: (delegation types, delegation matières, act type, act matière, covered)
SCOPES = [
    ([], [], ActType.ARRETE, "7.1", True),
    ([ActType.ARRETE], [], ActType.ARRETE, None, True),
    ([ActType.ARRETE], [], ActType.DELIBERATION, "7.1", False),
    ([], ["7"], ActType.ARRETE, "7.1", True),
    ([], ["7"], ActType.ARRETE, "7", True),
    ([], ["7.1"], ActType.ARRETE, "7.10", False),
    ([], ["7.1"], ActType.ARRETE, "7", False),
    ([], ["7"], ActType.ARRETE, None, False),
    ([], ["3.1", "7.2"], ActType.ARRETE, "7.2", True),
    ([ActType.ARRETE, ActType.DECISION], ["7"], ActType.DECISION, "7.5", True),
    ([ActType.ARRETE], ["7"], ActType.ARRETE, "3.1", False),
]


@pytest.mark.parametrize(("types", "codes", "act_type", "code", "covered"), SCOPES)
def test_scope_rule_in_python_and_in_sql(db, types, codes, act_type, code, covered):
    delegation = DelegationFactory(
        act_types=types,
        matiere_codes=codes,
        starts_on=TODAY,
        ends_on=TODAY,
    )
    assert delegation.covers(act_type, code) is covered
    ancestors = (
        [".".join(code.split(".")[: n + 1]) for n in range(len(code.split(".")))] if code else []
    )
    in_sql = covering_delegations(
        delegate_id=delegation.delegate_id,
        day=TODAY,
        act_type=act_type,
        matiere_codes=ancestors[::-1],
        collectivite=delegation.collectivite_id,
    ).exists()
    assert in_sql is covered


@pytest.fixture
def arrete(collectivite, clerk, arretes, numbering, classification, dgs):
    """An arrêté of matière 7.1 waiting for the maire's signature."""
    act = project(
        collectivite, clerk, act_type=ActType.ARRETE, matiere=matiere(classification, "7.1")
    )
    run = services.start_circuit(act=act, actor=clerk)
    services.approve_step(step_run=run.steps.get(position=1), actor=dgs)
    return act, run.steps.get(position=2)


def _delegate(collectivite, maire, adjointe, **kwargs):
    return DelegationFactory(
        collectivite=collectivite,
        delegator=maire,
        delegate=adjointe,
        quality="Adjointe déléguée aux finances",
        **kwargs,
    )


@pytest.mark.parametrize(
    ("types", "codes"),
    [([], []), ([ActType.ARRETE], ["7"]), ([ActType.ARRETE], ["7.1"])],
)
def test_a_delegate_in_scope_decides_for_the_delegator(
    types, codes, collectivite, arrete, maire, adjointe
):
    act, signing = arrete
    _delegate(collectivite, maire, adjointe, act_types=types, matiere_codes=codes)
    assert [item.step for item in inbox_for(adjointe)] == [signing]
    services.approve_step(step_run=signing, actor=adjointe, signature=PROOF)
    decision = Decision.objects.get(step_run=signing)
    assert (decision.actor, decision.on_behalf_of) == (adjointe, maire)
    event = list(events_for(act))[-1]
    assert (event.actor_name, event.on_behalf_of_name) == ("Sophie Lefèvre", "Marie Dupont")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"act_types": [ActType.DECISION]},
            "Your delegation from Marie Dupont does not cover this act (its type or its matière "
            "is outside the delegation's scope): ask Marie Dupont to decide, or to extend the "
            "delegation.",
        ),
        (
            {"matiere_codes": ["3"]},
            "Your delegation from Marie Dupont does not cover this act (its type or its matière "
            "is outside the delegation's scope): ask Marie Dupont to decide, or to extend the "
            "delegation.",
        ),
        (
            {"starts_on": dt.date(2020, 1, 1), "ends_on": dt.date(2020, 12, 31)},
            "Your delegation from Marie Dupont ended on Dec. 31, 2020: ask Marie Dupont to decide, "
            "or to extend the delegation.",
        ),
        (
            {"starts_on": dt.date(2099, 1, 1), "ends_on": dt.date(2099, 12, 31)},
            "Your delegation from Marie Dupont only starts on Jan. 1, 2099: until then, ask Marie "
            "Dupont to decide.",
        ),
    ],
    ids=["type", "matiere", "expired", "not-started"],
)
def test_a_delegate_out_of_scope_or_dates_is_refused_with_the_reason(
    kwargs, message, collectivite, arrete, maire, adjointe
):
    _act, signing = arrete
    _delegate(collectivite, maire, adjointe, **kwargs)
    assert inbox_for(adjointe) == []
    with pytest.raises(NotAuthorised) as info:
        services.approve_step(step_run=signing, actor=adjointe)
    assert str(info.value) == message
    signing.refresh_from_db()
    assert (signing.status, Decision.objects.filter(step_run=signing).count()) == (
        StepStatus.ACTIVE,
        0,
    )


def test_a_revoked_delegation_gives_no_right(collectivite, arrete, maire, adjointe):
    _act, signing = arrete
    delegation = _delegate(collectivite, maire, adjointe)
    services.revoke_delegation(delegation=delegation, actor=maire)
    assert inbox_for(adjointe) == []
    with pytest.raises(NotAuthorised) as info:
        services.approve_step(step_run=signing, actor=adjointe)
    assert str(info.value).startswith("Your delegation from Marie Dupont was revoked on ")


def test_dates_are_inclusive(collectivite, arrete, maire, adjointe):
    _act, signing = arrete
    today = timezone.localdate()
    _delegate(collectivite, maire, adjointe, starts_on=today, ends_on=today)
    services.approve_step(step_run=signing, actor=adjointe, signature=PROOF)
    signing.refresh_from_db()
    assert signing.status == StepStatus.DONE


def test_on_behalf_of_names_the_delegator(collectivite, arrete, maire, adjointe, deputy_dgs):
    _act, signing = arrete
    _delegate(collectivite, maire, adjointe)
    with pytest.raises(NotAuthorised):
        services.approve_step(step_run=signing, actor=adjointe, on_behalf_of=deputy_dgs)
    services.approve_step(step_run=signing, actor=adjointe, on_behalf_of=maire, signature=PROOF)
    assert Decision.objects.get(step_run=signing).on_behalf_of == maire


def test_a_delegation_of_a_desk_member_covers_the_desk(
    collectivite, clerk, preparation, dgs, maire
):
    act = project(collectivite, clerk)
    run = services.start_circuit(act=act, actor=clerk)
    DelegationFactory(collectivite=collectivite, delegator=dgs, delegate=maire)
    first = run.steps.get(position=1)
    assert [(i.step, i.on_behalf_of) for i in inbox_for(maire)] == [(first, dgs)]
    services.approve_step(step_run=first, actor=maire)
    assert Decision.objects.get(step_run=first).on_behalf_of == dgs


# --- Creating and revoking --------------------------------------------------------------------


def test_create_delegation_for_oneself_records_the_event(collectivite, maire, adjointe):
    today = timezone.localdate()
    delegation = services.create_delegation(
        collectivite=collectivite,
        actor=maire,
        delegator=maire,
        delegate=adjointe,
        starts_on=today,
        ends_on=today + dt.timedelta(days=90),
        act_types=[ActType.ARRETE],
        matiere_codes=["7", " 7.1 ", "7"],
        quality="Adjointe déléguée aux finances",
        reference="Arrêté n° AR2026_0003 du 2 janvier 2026",
    )
    assert (delegation.act_types, delegation.matiere_codes, delegation.created_by) == (
        ["arrete"],
        ["7", "7.1"],
        maire,
    )
    event = list(events_for(collectivite))[-1]
    assert (event.action, event.data["delegate"], event.object_type) == (
        "workflow.delegation.created",
        adjointe.pk,
        "workflow.delegation",
    )


def test_only_the_delegator_or_an_admin_creates_a_delegation(
    collectivite, admin, maire, adjointe, dgs
):
    today = timezone.localdate()
    kwargs = {
        "collectivite": collectivite,
        "delegator": maire,
        "delegate": adjointe,
        "starts_on": today,
        "ends_on": today,
    }
    with pytest.raises(NotAllowed):
        services.create_delegation(actor=dgs, **kwargs)
    assert Delegation.objects.count() == 0
    assert services.create_delegation(actor=admin, **kwargs).created_by == admin


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"delegate": "maire"}, "Choose someone else than the delegator."),
        ({"ends_on": -1}, "The delegation must end on or after the day it starts."),
        (
            {"starts_on": -10, "ends_on": -2},
            "This delegation would already be over: check its end date.",
        ),
        ({"matiere_codes": ["7.a"]}, "“7.a” is not a classification code: write it like 7 or 7.1."),
        ({"act_types": ["budget"]}, "Unknown act type: budget."),
        ({"delegate": "outsider"}, "The delegate does not belong to this collectivité."),
    ],
)
def test_create_delegation_refusals(changes, message, collectivite, maire, adjointe, outsider):
    today = timezone.localdate()
    kwargs = {
        "collectivite": collectivite,
        "actor": maire,
        "delegator": maire,
        "delegate": adjointe,
        "starts_on": today,
        "ends_on": today + dt.timedelta(days=5),
    }
    for key, value in changes.items():
        if key == "delegate":
            kwargs[key] = {"maire": maire, "outsider": outsider}[value]
        elif key in ("starts_on", "ends_on"):
            kwargs[key] = today + dt.timedelta(days=value)
        else:
            kwargs[key] = value
    with pytest.raises(InvalidWorkflowInput) as info:
        services.create_delegation(**kwargs)
    assert str(info.value) == message
    assert Delegation.objects.count() == 0


def test_revoke_delegation_permissions(collectivite, admin, maire, adjointe):
    delegation = _delegate(collectivite, maire, adjointe)
    with pytest.raises(NotAuthorised) as info:
        services.revoke_delegation(delegation=delegation, actor=adjointe)
    assert str(info.value) == "Only the delegator or an administrator can revoke this delegation."
    delegation.refresh_from_db()
    assert delegation.revoked_at is None
    services.revoke_delegation(delegation=delegation, actor=admin)
    again = services.revoke_delegation(delegation=delegation, actor=maire)
    assert (again.revoked_by, again.revoked_at is not None) == (admin, True)
    assert [e.action for e in events_for(collectivite)].count("workflow.delegation.revoked") == 1


# --- Legal mention ----------------------------------------------------------------------------


def _official(collectivite, user, role, quality, civility="Mme"):
    official = ElectedOfficialFactory(
        collectivite=collectivite,
        user=user,
        first_name=user.first_name,
        last_name=user.last_name,
        civility=civility,
    )
    assembly = AssemblyFactory(collectivite=collectivite, name=f"Conseil {user.username}")
    MandateFactory(official=official, assembly=assembly, role=role, quality=quality)
    return official


def test_legal_mention_names_the_office_the_delegate_and_the_quality(collectivite, maire, adjointe):
    _official(collectivite, maire, MandateRole.MAYOR, "Maire")
    _official(collectivite, adjointe, MandateRole.DEPUTY_MAYOR, "Adjointe déléguée aux finances")
    delegation = _delegate(collectivite, maire, adjointe)
    assert delegation_mention(delegation) == (
        "Pour le Maire et par délégation, Sophie LEFÈVRE, Adjointe déléguée aux finances"
    )
    delegation.quality = ""
    assert delegation_mention(delegation) == (
        "Pour le Maire et par délégation, Sophie LEFÈVRE, Adjointe déléguée aux finances"
    )


def test_legal_mention_for_a_president_and_without_mandate(collectivite, maire, adjointe, dgs):
    _official(collectivite, maire, MandateRole.PRESIDENT, "Président")
    assert delegation_mention(
        DelegationFactory(collectivite=collectivite, delegator=maire, delegate=dgs)
    ) == ("Pour le Président et par délégation, Valérie MOREAU")
    assert delegation_mention(
        DelegationFactory(
            collectivite=collectivite, delegator=dgs, delegate=adjointe, quality="DGA"
        )
    ) == ("Pour Valérie MOREAU et par délégation, Sophie LEFÈVRE, DGA")


def test_a_delegate_signature_step_keeps_the_mention_reachable(
    collectivite, admin, clerk, maire, adjointe
):

    _official(collectivite, maire, MandateRole.MAYOR, "Maire")
    NumberingSchemeFactory(
        collectivite=collectivite,
        act_type=ActType.DECISION,
        pattern="DEC{YYYY}_{SEQ:4}",
        counter_name="decisions",
    )
    make_circuit(
        collectivite,
        admin,
        visa("Visa", maire),
        signature("Signature du Maire", maire, quality="Le Maire"),
        act_types=[ActType.DECISION],
        name="Décisions",
    )
    _delegate(collectivite, maire, adjointe)
    act = project(collectivite, clerk, act_type=ActType.DECISION)
    run = services.start_circuit(act=act, actor=clerk)
    services.approve_step(step_run=run.steps.get(position=1), actor=maire)
    services.approve_step(step_run=run.steps.get(position=2), actor=adjointe, signature=PROOF)
    decisions = Decision.objects.filter(step_run__run=run).order_by("pk")
    assert [mention_for(d) for d in decisions] == [
        "",
        "Pour le Maire et par délégation, Sophie LEFÈVRE, Adjointe déléguée aux finances",
    ]
    assert StepRun.objects.get(run=run, position=2).signer_quality == "Le Maire"
