"""Schemathesis against /api/schema/ through the Django WSGI application, as a logged-in
administrator of the demo-sized commune (token authentication): no operation answers a 5xx,
whatever the generated parameters and bodies. Bounded by SCHEMATHESIS_EXAMPLES (default 2 per
operation) to stay around a minute in `make test`.

Plus hypothesis bodies (arbitrary JSON) against the act creation endpoint.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deliberations.enums import Role
from tests.factories import CollectiviteFactory, member

pytestmark = pytest.mark.fuzz

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "2"))


@pytest.fixture
def token(db):
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from rest_framework.authtoken.models import Token

    # Django's test client keeps the test's connection open across requests; schemathesis calls
    # the WSGI application directly, whose signals would close it (on PostgreSQL, the test's
    # transaction with it). Do what the test client does.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)

    town = CollectiviteFactory(name="Commune de Saint-Exemple")
    user = member(town, *Role, username="admin-fuzz")
    yield Token.objects.create(user=user).key
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_api_operation_answers_a_5xx(case, token):
    response = case.call(headers={"Authorization": f"Token {token}"})
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = st.sampled_from(
    ["collectivite", "act_type", "objet", "assembly", "visas", "articles", "matiere", "service"]
)


@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(body=st.dictionaries(FIELDS, JSON, max_size=6) | JSON)
def test_act_creation_with_arbitrary_json_never_answers_a_5xx(client, token, body):
    response = client.post(
        "/api/acts/", body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}"
    )
    assert response.status_code < 500
