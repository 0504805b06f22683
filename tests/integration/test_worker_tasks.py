"""A document render and a notification e-mail through a real Redis broker and a real Celery
worker (the "default" queue): what the services queue after commit is done by the worker."""

from __future__ import annotations

import hashlib
import io
import time
from email import message_from_bytes, policy

import pytest
from django.utils import translation
from django.utils.translation import gettext
from pypdf import PdfReader

from core.files import read_bytes
from deliberations import services as delib
from deliberations.enums import ActType
from exports import services as documents
from exports.models import RenderedDocument
from tests.integration.conftest import wait_for
from tests.signing.conftest import commune, key_cache, pki, pki_server, pki_socket
from workflow import services as workflow
from workflow.enums import NotificationKind
from workflow.models import Notification

__all__ = ["commune", "key_cache", "pki", "pki_server", "pki_socket"]

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def test_a_document_and_a_notification_email_through_a_real_worker(commune, workers):
    worker = workers.start(queues="default")
    act = delib.create_project(
        collectivite=commune.collectivite,
        actor=commune.clerk,
        act_type=ActType.ARRETE,
        objet="Arrêté portant réglementation du stationnement place du Marché",
        articles=["Le stationnement est interdit le mercredi matin."],
    )

    started = time.monotonic()
    requested = documents.request_document(kind="act", target=act, actor=commune.clerk)
    ready = wait_for(
        lambda: RenderedDocument.objects.filter(pk=requested.pk, status="ready").first(),
        timeout=120,
        what="the worker to render the act",
        worker=worker,
    )
    rendered_in = time.monotonic() - started
    content = read_bytes(ready.file.name)
    assert hashlib.sha256(content).hexdigest() == ready.content_sha256
    assert len(PdfReader(io.BytesIO(content)).pages) == ready.page_count >= 1

    started = time.monotonic()
    run = workflow.start_circuit(act=act, actor=commune.clerk)
    [mail] = wait_for(
        lambda: sorted(workers.mail_dir.glob("*.log")),
        timeout=60,
        what="the worker to e-mail the maire",
        worker=worker,
    )
    mailed_in = time.monotonic() - started
    message = message_from_bytes(mail.read_bytes(), policy=policy.default)
    with translation.override("fr"):  # the worker writes in the site's language
        subject = gettext("[Délibre] %(what)s") % {"what": NotificationKind.ASSIGNED.label}
    assert (message["To"], message["Subject"]) == (commune.maire.email, subject)
    notification = Notification.objects.get(user=commune.maire, kind="assigned")
    assert notification.act_id == act.pk
    assert notification.emailed_at is not None
    assert run.steps.get().status == "active"
    print(f"\nrendered by the worker in {rendered_in:.1f} s; e-mailed in {mailed_in:.1f} s")
