"""Every state-changing request of a logged-in browser needs the CSRF token.

Each page route is posted without a token, and each API write is sent with the session (no
token) but without the CSRF header: all answer 403 and nothing changes. API clients using a
token (Authorization: Token …) are not subject to CSRF, by design.
"""

from __future__ import annotations

import pytest
from django.test import Client

from .routes import cases
from .world import build_world

#: The only POST endpoints that take no CSRF token: they ignore the session altogether
#: (authentication_classes = []), so a forged cross-site request gains nothing from the
#: visitor's cookies: the token endpoint checks the credentials it is sent, the public
#: verification endpoint reads the file it is sent and stores nothing.
EXEMPT = {"POST /api/auth/token/", "POST /api/verify/"}


@pytest.mark.slow
def test_every_post_without_a_csrf_token_is_refused(db):
    world = build_world()
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["admin"])
    accepted = []
    checked = 0
    for case in cases(world):
        if case.method not in ("POST", "PATCH", "PUT", "DELETE") or case.row in EXEMPT:
            continue
        kwargs = {"content_type": "application/json"} if case.route.api else {}
        response = getattr(client, case.method.lower())(case.path, **kwargs)
        if response.status_code == 405:
            continue
        checked += 1
        body = response.content.decode("utf-8", "replace")
        if response.status_code != 403 or "CSRF" not in body:
            accepted.append(f"{case.row}: {response.status_code}")
    assert accepted == []
    assert checked > 150


def test_login_form_needs_the_csrf_token(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
