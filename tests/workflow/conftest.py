"""A commune with a clerk, two validators (one through the « Direction générale » desk), the
maire and her adjointe, the secrétaire de séance, and the circuits of the demo."""

from __future__ import annotations

import pytest

from deliberations import services as delib
from deliberations.enums import ActType, Role
from tests.deliberations.conftest import FIXTURES
from tests.factories import CollectiviteFactory, NumberingSchemeFactory, member
from tests.factories.workflow import AssigneeGroupFactory, make_circuit, signature, visa
from workflow.enums import CircuitPhase


@pytest.fixture
def collectivite(db):
    return CollectiviteFactory(name="Commune de Saint-Exemple")


@pytest.fixture
def admin(collectivite):
    return member(
        collectivite, Role.ADMIN, username="admin", first_name="Alice", last_name="Bernard"
    )


@pytest.fixture
def clerk(collectivite):
    return member(
        collectivite, Role.CLERK, username="clerk", first_name="Romain", last_name="Petit"
    )


@pytest.fixture
def dgs(collectivite):
    return member(
        collectivite, Role.VALIDATOR, username="dgs", first_name="Valérie", last_name="Moreau"
    )


@pytest.fixture
def deputy_dgs(collectivite):
    return member(
        collectivite, Role.VALIDATOR, username="deputy", first_name="Denis", last_name="Roy"
    )


@pytest.fixture
def adjointe(collectivite):
    return member(
        collectivite, Role.SIGNER, username="adjointe", first_name="Sophie", last_name="Lefèvre"
    )


@pytest.fixture
def maire(collectivite):
    return member(
        collectivite, Role.SIGNER, username="maire", first_name="Marie", last_name="Dupont"
    )


@pytest.fixture
def secretaire(collectivite):
    return member(
        collectivite, Role.SECRETARY, username="secretaire", first_name="Jean", last_name="Martin"
    )


@pytest.fixture
def outsider(db):
    other = CollectiviteFactory(name="Autre commune")
    return member(other, Role.CLERK, Role.ADMIN, Role.VALIDATOR, username="outsider")


@pytest.fixture
def desk(collectivite, dgs, deputy_dgs):
    return AssigneeGroupFactory(
        collectivite=collectivite, name="Direction générale", members=[dgs, deputy_dgs]
    )


@pytest.fixture
def numbering(collectivite):
    NumberingSchemeFactory(collectivite=collectivite, pattern="DEL{YYYY}_{SEQ:4}")
    return NumberingSchemeFactory(
        collectivite=collectivite,
        act_type=ActType.ARRETE,
        pattern="AR{YYYY}_{SEQ:4}",
        counter_name="arretes",
    )


@pytest.fixture
def classification(collectivite, admin):
    return delib.import_classification(
        collectivite=collectivite,
        actor=admin,
        content=(FIXTURES / "classification_2017.xml").read_bytes(),
        source_name="classification.xml",
    )


@pytest.fixture
def preparation(collectivite, admin, desk, adjointe):
    """Deliberations: visa of the Direction générale desk, then visa of the adjointe."""
    return make_circuit(
        collectivite,
        admin,
        visa("Visa du DGS", desk, deadline_days=3),
        visa("Visa de l'adjointe aux finances", adjointe, deadline_days=5),
        name="Préparation des délibérations",
        act_types=[ActType.DELIBERATION],
    )


@pytest.fixture
def signatures(collectivite, admin, maire, secretaire):
    return make_circuit(
        collectivite,
        admin,
        signature("Signature du Maire", maire, quality="Le Maire"),
        signature(
            "Signature du secrétaire de séance", secretaire, quality="Le secrétaire de séance"
        ),
        name="Signature des délibérations",
        phase=CircuitPhase.SIGNATURE,
        act_types=[ActType.DELIBERATION],
    )


@pytest.fixture
def arretes(collectivite, admin, desk, maire):
    return make_circuit(
        collectivite,
        admin,
        visa("Visa du DGS", desk),
        signature("Signature du Maire", maire, quality="Le Maire"),
        name="Arrêtés",
        act_types=[ActType.ARRETE],
    )


def project(collectivite, clerk, *, act_type=ActType.DELIBERATION, matiere=None, objet=None):
    return delib.create_project(
        collectivite=collectivite,
        actor=clerk,
        act_type=act_type,
        objet=objet or "Subvention au comité des fêtes",
        matiere=matiere,
        articles=["Une subvention de 1 500 € est attribuée."],
    )


def matiere(classification, code):
    return classification.matieres.get(code=code)
