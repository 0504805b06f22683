"""Two clerks asking for the same document at once get the same version, rendered once.

Real threads with their own PostgreSQL connections (the request locks the act's row).
"""

from __future__ import annotations

import pytest

from deliberations import services
from deliberations.enums import ActType, Role
from exports import services as documents
from exports.enums import DocumentStatus
from exports.models import RenderedDocument
from tests.deliberations.test_concurrency import race
from tests.factories import CollectiviteFactory, member
from workflow.models import AuditEvent

from .conftest import DOCUMENTS

pytestmark = [DOCUMENTS, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_identical_requests_store_one_version():
    collectivite = CollectiviteFactory()
    clerks = [member(collectivite, Role.CLERK, username=f"clerk{i}") for i in range(4)]
    act = services.create_project(
        collectivite=collectivite,
        actor=clerks[0],
        act_type=ActType.ARRETE,
        objet="Arrêté de voirie",
        articles=["La rue est fermée."],
    )

    results = race(
        [
            (lambda clerk=clerk: documents.request_document(kind="act", target=act, actor=clerk).pk)
            for clerk in clerks
        ]
    )

    document = RenderedDocument.objects.get()
    assert results == [document.pk] * 4
    assert document.status == DocumentStatus.READY
    actions = list(
        AuditEvent.objects.filter(action__startswith="document.").values_list("action", flat=True)
    )
    assert sorted(actions) == ["document.rendered", "document.requested"]
