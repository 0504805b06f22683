"""A commune with a clerk and a draft project, and a snapshot of everything that can change."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from deliberations import services
from deliberations.enums import ActType, Role
from tests.factories import CollectiviteFactory, member
from tests.security.probe import state_checksum


def stored_files() -> list[str]:
    root = Path(django_settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def snapshot() -> tuple[str, list[str]]:
    """Every row of the application's tables (journal included) and every stored file's name."""
    return state_checksum(), stored_files()


@pytest.fixture
def collectivite(db):
    return CollectiviteFactory(name="Commune de Saint-Exemple")


@pytest.fixture
def clerk(collectivite):
    return member(collectivite, Role.CLERK, Role.ADMIN, username="clerk")


@pytest.fixture
def draft(collectivite, clerk):
    return services.create_project(
        collectivite=collectivite, actor=clerk, act_type=ActType.DELIBERATION, objet="Objet"
    )


@pytest.fixture
def as_clerk(clerk):
    client = Client(raise_request_exception=False)
    client.force_login(clerk)
    return client


@pytest.fixture
def anonymous():
    return Client(raise_request_exception=False)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
