"""Security events reach the security log ("delibre.security") or the audit journal.

Login failures, lockouts, second-factor use and API tokens: tests/accounts/test_login.py.
Key use (every signature and seal writes ``act.signed``/``act.sealed``/``document.signed`` with
the certificate, the level and the hashes): tests/signing/test_services.py. Here: permission
refusals, from the pages and from the API, are logged with who, what and where.
"""

from __future__ import annotations

import pytest
from django.test import Client

from deliberations import services
from deliberations.enums import ActType, Role
from tests.factories import CollectiviteFactory, member


@pytest.fixture
def town(db):
    return CollectiviteFactory(name="Commune de Saint-Exemple")


@pytest.fixture
def draft(town):
    clerk = member(town, Role.CLERK, username="clerk")
    act = services.create_project(
        collectivite=town, actor=clerk, act_type=ActType.DELIBERATION, objet="Objet"
    )
    return act


def _security_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "delibre.security"]


def test_a_refused_page_action_is_in_the_security_log(town, draft, caplog):
    treasury = member(town, Role.TREASURY, username="tresor")
    client = Client(raise_request_exception=False)
    client.force_login(treasury)
    client.post(f"/acts/{draft.pk}/validate/")
    # The service names the missing role, the interface names the request.
    assert _security_lines(caplog) == [
        f"permission refused: user={treasury.pk} collectivite={town.pk} needs one of "
        "validator,admin",
        f"permission.refused method=POST path=/acts/{draft.pk}/validate/ user={treasury.pk} "
        "code=forbidden",
    ]


def test_a_refused_api_action_is_in_the_security_log(town, draft, caplog):
    treasury = member(town, Role.TREASURY, username="tresor")
    client = Client(raise_request_exception=False)
    client.force_login(treasury)
    response = client.post(f"/api/acts/{draft.pk}/validate/", {}, content_type="application/json")
    assert response.status_code == 403
    assert _security_lines(caplog) == [
        f"permission refused: user={treasury.pk} collectivite={town.pk} needs one of "
        "validator,admin",
        f"permission.refused method=POST path=/api/acts/{draft.pk}/validate/ "
        f"user={treasury.pk} code=forbidden",
    ]


def test_a_permission_denied_page_is_in_the_security_log(town, caplog):
    clerk = member(town, Role.CLERK, username="agent")
    client = Client(raise_request_exception=False)
    client.force_login(clerk)
    response = client.get("/prefecture/settings/")
    assert response.status_code == 403
    assert _security_lines(caplog) == [
        f"permission.refused method=GET path=/prefecture/settings/ user={clerk.pk} "
        "code=PermissionDenied"
    ]


def test_an_anonymous_api_call_is_in_the_security_log(db, caplog):
    response = Client().post("/api/acts/", {}, content_type="application/json")
    assert response.status_code in (401, 403)
    assert _security_lines(caplog) == [
        "permission.refused method=POST path=/api/acts/ user=None code=NotAuthenticated"
    ]
