"""Fixtures of the stored-flow tests (services, pages, API, circuits, commands).

A commune whose SIREN is the one of the library's test flows (tests/exports/pes/flows.py), its
finance service (a clerk), the finance desk that gives a visa, the ordonnateur, an adjointe who
may sign by delegation, the treasury, and a PES circuit: visa of the finance desk, then the
ordonnateur's signature. Keys come from the library tests' PKI (conftest.pki) as PKCS#12 files.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
from django.utils import timezone

from deliberations.enums import ActStatus, ActType, Role
from deliberations.models import Act
from exports.pes import build_pes_aller
from exports.pes import services as pes
from tests.factories import CollectiviteFactory, member
from tests.factories.workflow import (
    AssigneeGroupFactory,
    DelegationFactory,
    make_circuit,
    signature,
    visa,
)
from workflow import services as workflow
from workflow.enums import CircuitPhase, DelegationScope

from .flows import make_flow

P12_PASSWORD = "correct horse"


@pytest.fixture
def commune(db):
    return CollectiviteFactory(
        name="Commune de Test",
        slug="commune-de-test",
        siren="243100633",
        siret="24310063300011",
        pes_id_coll="24310063300011",
        pes_cod_col="100",
        pes_cod_bud="00",
        pes_id_post="031007",
        city="Toulouse",
        postal_code="31000",
    )


@pytest.fixture
def other_commune(db):
    return CollectiviteFactory(name="Autre commune", slug="autre-commune")


@pytest.fixture
def pes_admin(commune):
    return member(commune, Role.ADMIN, username="pes-admin", first_name="Alice", last_name="Admin")


@pytest.fixture
def finance(commune):
    return member(commune, Role.CLERK, username="finance", first_name="Fanny", last_name="Finances")


@pytest.fixture
def chef(commune):
    """The head of the finance service: gives the visa through the finance desk."""
    return member(commune, Role.VALIDATOR, username="chef", first_name="Victor", last_name="Chef")


@pytest.fixture
def ordonnateur(commune):
    return member(
        commune, Role.ORDONNATEUR, username="ordo", first_name="Olivier", last_name="Garnier"
    )


@pytest.fixture
def adjointe(commune):
    return member(
        commune, Role.SIGNER, username="adjointe-fin", first_name="Sophie", last_name="Lefèvre"
    )


@pytest.fixture
def treasurer(commune):
    return member(commune, Role.TREASURY, username="tresor", first_name="Thomas", last_name="Roux")


@pytest.fixture
def stranger(other_commune):
    return member(other_commune, Role.CLERK, Role.ORDONNATEUR, Role.ADMIN, username="stranger")


@pytest.fixture
def finance_desk(commune, chef):
    return AssigneeGroupFactory(collectivite=commune, name="Service des finances", members=[chef])


@pytest.fixture
def pes_circuit(commune, pes_admin, finance_desk, ordonnateur):
    return make_circuit(
        commune,
        pes_admin,
        visa("Visa du service des finances", finance_desk),
        signature("Signature de l'ordonnateur", ordonnateur, quality="Ordonnateur"),
        name="Flux comptables",
        phase=CircuitPhase.PES,
    )


@pytest.fixture
def pes_delegation(commune, ordonnateur, adjointe):
    return DelegationFactory(
        collectivite=commune,
        delegator=ordonnateur,
        delegate=adjointe,
        scope=DelegationScope.PES,
        quality="Adjointe déléguée aux finances",
    )


def p12(key, certificate, chain=(), password=P12_PASSWORD) -> bytes:
    return pkcs12.serialize_key_and_certificates(
        b"signer", key, certificate, list(chain), BestAvailableEncryption(password.encode())
    )


@pytest.fixture(scope="session")
def signer_p12(pki) -> bytes:
    return p12(pki.signer_key, pki.signer_cert, [pki.intermediate])


@pytest.fixture(scope="session")
def expired_p12(pki) -> bytes:
    return p12(pki.expired_key, pki.expired_cert, [pki.intermediate])


@pytest.fixture(scope="session")
def pes_bytes() -> bytes:
    """Two dépense bordereaux (10, 11) of 3 mandats and a recette bordereau, with the act PDF."""
    return build_pes_aller(flow=make_flow())


@pytest.fixture
def imported_flow(commune, finance, pes_bytes):
    return pes.import_flow(
        collectivite=commune, actor=finance, source=io.BytesIO(pes_bytes), name="flux.xml"
    )


def start(flow, actor):
    return workflow.start_flow_circuit(flow=flow, actor=actor)


def steps_of(run):
    return list(run.steps.order_by("position"))


@pytest.fixture
def at_signature(imported_flow, finance, chef, pes_circuit):
    """The imported flow waiting at the ordonnateur's signature (visa given)."""
    run = start(imported_flow, finance)
    workflow.approve_step(step_run=steps_of(run)[0], actor=chef, comment="Visa favorable.")
    imported_flow.refresh_from_db()
    return imported_flow


@pytest.fixture
def signed_flow(at_signature, ordonnateur, signer_p12):
    signer = pes_keys().signer_from_upload(data=signer_p12, password=P12_PASSWORD)
    return pes.sign_flow(flow=at_signature, actor=ordonnateur, signer=signer)


def pes_keys():
    from exports.pes import keys

    return keys


@pytest.fixture
def drop_dir(settings, tmp_path):
    settings.DELIBRE_PES_DIR = tmp_path / "pes"
    return tmp_path / "pes" / "outbox" / "commune-de-test"


@pytest.fixture
def subsidies(commune, finance):
    """An adopted subsidies deliberation (arranged directly: the séance is not the subject)."""
    return Act.objects.create(
        collectivite=commune,
        act_type=ActType.DELIBERATION,
        nature=1,
        objet="Attribution des subventions aux associations pour 2025",
        articles=["Les subventions sont attribuées selon le tableau annexé."],
        drafter=finance,
        status=ActStatus.ADOPTED,
        number="DEL2025_0012",
        number_year=2025,
        decision_date=dt.date(2025, 3, 1),
        budget_amount=Decimal("18500.00"),
        budget_year=timezone.localdate().year,
        budget_line="65-6574",
    )


MANDATES_CSV = (
    "Bénéficiaire;SIRET;IBAN;BIC;Montant;Nature;Fonction;Objet;Adresse;Code postal;Ville\n"
    "ASSOCIATION LES AMIS;37909534200018;FR76 3000 3017 0200 0201 0412 521;SOGEFRPPXXX;"
    "6 500,00;6574;025;Subvention de fonctionnement 2025;1 rue de la Mairie;31000;TOULOUSE\n"
    "COMITE DES FETES;;FR7630003017020002010412521;SOGEFRPP;12000;;025;"
    "Subvention fête locale;2 place du Marché;31000;TOULOUSE\n"
)
