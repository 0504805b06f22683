"""Test factories. They build rows directly (no journal events): use the services in tests that
check the journal or a behaviour, and these factories to arrange the facts around them."""

from __future__ import annotations

import datetime as dt
import itertools

import factory
from django.utils import timezone

from deliberations.enums import (
    ActesNature,
    ActType,
    AssemblyKind,
    CollectiviteKind,
    MandateRole,
    Role,
)
from deliberations.models import (
    Act,
    Assembly,
    Collectivite,
    ElectedOfficial,
    Mandate,
    Membership,
    NumberingScheme,
    Seance,
    User,
)
from deliberations.validators import luhn_complete

_siren_counter = itertools.count(10000000)


def next_siren() -> str:
    return luhn_complete(f"{next(_siren_counter):08d}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("password")


class CollectiviteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collectivite

    name = factory.Sequence(lambda n: f"Commune de Test {n}")
    slug = factory.Sequence(lambda n: f"commune-{n}")
    kind = CollectiviteKind.COMMUNE
    siren = factory.LazyFunction(next_siren)
    departement = "034"
    population = 5000


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    collectivite = factory.SubFactory(CollectiviteFactory)
    role = Role.CLERK


def member(collectivite: Collectivite, *roles: Role, **user_fields) -> User:
    """A user holding ``roles`` in ``collectivite``."""
    user = UserFactory(**user_fields)
    for role in roles:
        MembershipFactory(user=user, collectivite=collectivite, role=role)
    return user


class AssemblyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assembly

    collectivite = factory.SubFactory(CollectiviteFactory)
    name = factory.Sequence(lambda n: f"Conseil municipal {n}")
    kind = AssemblyKind.COUNCIL


class ElectedOfficialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ElectedOfficial

    collectivite = factory.SubFactory(CollectiviteFactory)
    civility = ElectedOfficial.Civility.MADAME
    first_name = factory.Faker("first_name_female", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")


class MandateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mandate

    official = factory.SubFactory(
        ElectedOfficialFactory, collectivite=factory.SelfAttribute("..assembly.collectivite")
    )
    assembly = factory.SubFactory(AssemblyFactory)
    role = MandateRole.COUNCILLOR
    start_date = dt.date(2020, 7, 1)


def council(collectivite: Collectivite, size: int = 29) -> tuple[Assembly, list[Mandate]]:
    """A council of ``size`` members in office; the first is the mayor."""
    assembly = AssemblyFactory(collectivite=collectivite)
    mandates = [
        MandateFactory(
            assembly=assembly,
            rank=index,
            role=MandateRole.MAYOR if index == 0 else MandateRole.COUNCILLOR,
        )
        for index in range(size)
    ]
    return assembly, mandates


class NumberingSchemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NumberingScheme

    collectivite = factory.SubFactory(CollectiviteFactory)
    act_type = ActType.DELIBERATION
    pattern = "DEL{YYYY}_{SEQ:4}"
    counter_name = "deliberations"


class ActFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Act

    collectivite = factory.SubFactory(CollectiviteFactory)
    act_type = ActType.DELIBERATION
    nature = ActesNature.DELIBERATION
    objet = factory.Sequence(lambda n: f"Subvention à l'association n° {n}")
    drafter = factory.SubFactory(UserFactory)
    articles = factory.LazyFunction(lambda: ["Le conseil municipal approuve le projet."])


class SeanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Seance

    collectivite = factory.SelfAttribute("assembly.collectivite")
    assembly = factory.SubFactory(AssemblyFactory)
    date = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=10))
    place = "Salle du conseil"
    created_by = factory.SubFactory(UserFactory)
