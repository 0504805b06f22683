from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from deliberations import services
from deliberations.enums import ActType, Role
from tests.factories import (
    CollectiviteFactory,
    NumberingSchemeFactory,
    UserFactory,
    council,
    member,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def platform_admin(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def collectivite(db):
    return CollectiviteFactory(name="Commune de Saint-Exemple", population=5200)


@pytest.fixture
def admin(collectivite):
    return member(collectivite, Role.ADMIN, username="admin")


@pytest.fixture
def clerk(collectivite):
    return member(collectivite, Role.CLERK, username="clerk")


@pytest.fixture
def validator(collectivite):
    return member(collectivite, Role.VALIDATOR, username="validator")


@pytest.fixture
def outsider(db):
    """A clerk of another collectivité."""
    other = CollectiviteFactory(name="Autre commune")
    return member(other, Role.CLERK, Role.ADMIN, username="outsider")


@pytest.fixture
def the_council(collectivite):
    return council(collectivite, 29)


@pytest.fixture
def assembly(the_council):
    return the_council[0]


@pytest.fixture
def mandates(the_council):
    return the_council[1]


@pytest.fixture
def numbering(collectivite):
    return NumberingSchemeFactory(collectivite=collectivite, pattern="DEL{YYYY}_{SEQ:4}")


@pytest.fixture
def classification(collectivite, admin):
    return services.import_classification(
        collectivite=collectivite,
        actor=admin,
        content=(FIXTURES / "classification_2017.xml").read_bytes(),
        source_name="classification.xml",
    )


def make_validated_project(
    collectivite, clerk, validator, assembly, objet="Subvention au comité des fêtes"
):
    act = services.create_project(
        collectivite=collectivite,
        actor=clerk,
        act_type=ActType.DELIBERATION,
        objet=objet,
        assembly=assembly,
        articles=["Une subvention de 1 500 € est attribuée."],
    )
    return services.validate_project(act=act, actor=validator)


@pytest.fixture
def seance(collectivite, clerk, assembly, mandates):
    return services.create_seance(
        collectivite=collectivite,
        actor=clerk,
        assembly=assembly,
        date=timezone.now() + dt.timedelta(days=10),
        place="Salle du conseil",
        president=mandates[0],
        secretary=mandates[1],
    )
