"""Test set-up shared by every app: private media in a temporary folder, fast password hashing.

Tests marked ``postgres`` need real row locks and concurrent connections: they run in CI
against PostgreSQL (DATABASE_URL) and are skipped, with that reason, on SQLite.
"""

from __future__ import annotations

import pytest
from django.utils import translation


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    # The browser tests last: Playwright's sync API keeps an event loop running in the main
    # thread while its session-wide browser lives, and asyncio.run() (pyHanko's validation,
    # the signing code) refuses to start inside it.
    items.sort(key=lambda item: item.nodeid.startswith("tests/e2e/"))
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL (row locks and concurrent connections); runs in CI with DATABASE_URL"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    # Tests assert the English msgids exactly; French rendering is tested where it matters.
    settings.LANGUAGE_CODE = "en"
    translation.activate("en")
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CELERY_TASK_ALWAYS_EAGER = True
