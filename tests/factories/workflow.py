"""Factories of the workflow app. Circuits are built through the service (it checks the rules and
writes the journal); desks and delegations directly, to arrange facts around a test."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from workflow import services
from workflow.enums import CircuitPhase, StepKind, StepMode
from workflow.models import AssigneeGroup, Delegation
from workflow.services.runs import SignatureProof

from . import CollectiviteFactory, UserFactory

#: What the signing service hands over when it approves a signature or seal step (the
#: workflow tests approve such steps directly: the signing tests go through sign_step).
PROOF = SignatureProof(document_sha256="ab" * 32, level="B-B", validation_report="sha256:test")


class AssigneeGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssigneeGroup
        skip_postgeneration_save = True

    collectivite = factory.SubFactory(CollectiviteFactory)
    name = factory.Sequence(lambda n: f"Bureau {n}")

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.set(extracted)


class DelegationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delegation

    collectivite = factory.SubFactory(CollectiviteFactory)
    delegator = factory.SubFactory(UserFactory)
    delegate = factory.SubFactory(UserFactory)
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=1))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=30))
    created_by = factory.SelfAttribute("delegator")


def visa(label, *who, mode=StepMode.ONE, deadline_days=None):
    return _step(StepKind.VISA, label, who, mode, deadline_days, "")


def signature(label, *who, mode=StepMode.ONE, quality="", deadline_days=None):
    return _step(StepKind.SIGNATURE, label, who, mode, deadline_days, quality)


def _step(kind, label, who, mode, deadline_days, quality):
    return services.StepSpec(
        kind=kind,
        label=label,
        mode=mode,
        users=[w for w in who if not isinstance(w, AssigneeGroup)],
        groups=[w for w in who if isinstance(w, AssigneeGroup)],
        deadline_days=deadline_days,
        signer_quality=quality,
    )


def make_circuit(
    collectivite,
    admin,
    *steps,
    name=None,
    phase=CircuitPhase.PREPARATION,
    act_types=(),
    services_=(),
    is_default=True,
):
    return services.create_circuit(
        collectivite=collectivite,
        actor=admin,
        name=name or f"Circuit {next(_names)}",
        phase=phase,
        act_types=act_types,
        services=services_,
        is_default=is_default,
        steps=list(steps),
    )


def _counter():
    n = 0
    while True:
        n += 1
        yield n


_names = _counter()
