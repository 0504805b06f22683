"""docs/adr/0003, "Contract with the signing service": a signature or seal step is approved only
with its signature — never by the approve path of the pages or the API."""

from __future__ import annotations

import pytest

from tests.signing.conftest import adopted_deliberation
from tests.signing.helpers import state
from workflow import services as workflow
from workflow.exceptions import InvalidWorkflowInput

MESSAGE = (
    "This step is approved by signing the act: sign it from the act's signing panel (or the "
    "signing API), with your certificate or the server seal."
)


def test_approve_step_refuses_a_signature_step_without_its_signature(commune):
    _act, first, _second, document = adopted_deliberation(commune)
    before = state(first, document)

    with pytest.raises(InvalidWorkflowInput) as refused:
        workflow.approve_step(step_run=first, actor=commune.maire)

    assert (refused.value.code, str(refused.value)) == ("signature_required", MESSAGE)
    assert state(first, document) == before


def test_the_approve_button_refuses_a_signature_step(commune, client, signing_urls):
    _act, first, _second, document = adopted_deliberation(commune)
    before = state(first, document)
    client.force_login(commune.maire)

    response = client.post(f"/circuit/steps/{first.pk}/approve/", {"comment": ""}, follow=True)

    assert [str(m) for m in response.context["messages"]] == [MESSAGE]
    assert state(first, document) == before


def test_the_approve_api_refuses_a_signature_step(commune, signing_urls):
    from rest_framework.test import APIClient

    _act, first, _second, document = adopted_deliberation(commune)
    before = state(first, document)
    api = APIClient()
    api.force_authenticate(commune.maire)

    response = api.post(f"/api/step-runs/{first.pk}/approve/", {}, format="json")

    assert (response.status_code, response.json()) == (
        400,
        {"detail": MESSAGE, "code": "signature_required"},
    )
    assert state(first, document) == before
