from __future__ import annotations

import pytest
from django.core.cache import cache

from deliberations.enums import Role
from tests.factories import CollectiviteFactory, member


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Throttle counters and activity stamps live in the cache: each test starts clean.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def collectivite(db):
    return CollectiviteFactory(name="Commune de Saint-Exemple")


@pytest.fixture
def clerk(collectivite):
    return member(collectivite, Role.CLERK, username="clerk")


@pytest.fixture
def signer(collectivite):
    return member(collectivite, Role.SIGNER, username="maire")
