"""Batch signing through a real Redis broker and real Celery workers, killed in the middle.

The batch is started by the service in the test process (the task goes to Redis after commit);
a worker signs it. Then a second batch: its worker is SIGKILLed (with its pool process) at two
chosen instants, and a new worker started each time picks the batch up again once Redis hands
the unacknowledged task over (``VISIBILITY_TIMEOUT``):

1. after the signed PDF of an item was stored and before its transaction committed — the test
   holds a row lock on that act from another connection, so the worker waits exactly there;
   what it stored is an orphan file (docs/adr/0008), removed by ``purge_orphan_files``;
2. after an item's signature committed and before its batch item was marked — the test holds
   the batch item's row; the next delivery must count that step as signed, not sign it again.

In the end every act is signed exactly once (one signature, one decision, one journal event per
step), every stored signature is intact and validates, the journal verifies, and no file is
left that no row refers to.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time

import psycopg
import pytest
from django.conf import settings
from django.core.files.storage import default_storage

from core.files import purge_orphan_files, referenced_names, stored_names
from signing import services
from signing.models import Signature, SigningBatch, SigningBatchItem
from signing.validation import validate_pdf
from tests.integration.conftest import VISIBILITY_TIMEOUT, database_url, wait_for
from tests.signing.conftest import (  # the demo PKI, its TSA/OCSP/CRL server and the commune
    PASSWORD,
    arrete_in_circuit,
    commune,
    key_cache,
    pki,
    pki_server,
    pki_socket,
    trust,
)
from workflow.enums import DecisionAction, StepStatus
from workflow.journal import verify_journal
from workflow.models import AuditEvent, Decision

__all__ = ["commune", "key_cache", "pki", "pki_server", "pki_socket", "trust"]

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

FIRST = 4  # acts of the plain batch
N = 8  # acts of the batch whose worker is killed twice
STORED_NOT_COMMITTED = 3  # the 3rd item is stored but not committed at the first kill
COMMITTED_NOT_COUNTED = 6  # the 6th item is committed but not counted at the second kill


def _batch(town, folders) -> SigningBatch:
    return services.start_batch(
        actor=town.maire,
        collectivite=town.collectivite,
        step_run_ids=[step.pk for _act, step, _doc in folders],
        certificate=town.certificates["maire"],
        password=PASSWORD,
    )


def _refreshed(batch: SigningBatch) -> SigningBatch:
    return SigningBatch.objects.get(pk=batch.pk)


def _done(batch: SigningBatch):
    current = _refreshed(batch)
    return current if current.status == "done" else None


def _signature_files() -> list[str]:
    return sorted(name for name in stored_names("signatures"))


def _waiting_on_a_lock(conn: psycopg.Connection) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
    ).fetchone()
    return bool(row and row[0])


def _hold(conn: psycopg.Connection, table: str, pk: int) -> None:
    """Lock one row from another connection until ``conn`` rolls back."""
    conn.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE", [pk])


def test_a_batch_signs_through_a_real_worker_and_survives_two_kills(
    commune, trust, workers, record_property
):
    # --- a plain batch through a real worker -------------------------------------------------
    worker = workers.start()
    first = [arrete_in_circuit(commune, objet=f"Arrêté de voirie n° {n}") for n in range(FIRST)]
    started = time.monotonic()
    batch = _batch(commune, first)
    done = wait_for(lambda: _done(batch), timeout=120, what="the first batch", worker=worker)
    plain = time.monotonic() - started
    assert (done.signed_count, done.failed_count) == (FIRST, 0)

    # --- a batch whose worker is killed twice ------------------------------------------------
    folders = [arrete_in_circuit(commune, objet=f"Arrêté de police n° {n}") for n in range(N)]
    stored_act = folders[STORED_NOT_COMMITTED - 1][0]
    with psycopg.connect(database_url()) as holder, psycopg.connect(database_url()) as observer:
        observer.autocommit = True
        _hold(holder, "deliberations_act", stored_act.pk)
        files_before = set(_signature_files())
        batch = _batch(commune, folders)
        delivered = time.monotonic()

        # 1. The worker signed two items, stored the third one's PDF and waits for our lock.
        wait_for(
            lambda: (
                _refreshed(batch).signed_count == STORED_NOT_COMMITTED - 1
                and _waiting_on_a_lock(observer)
                and len(set(_signature_files()) - files_before) == STORED_NOT_COMMITTED
            ),
            timeout=120,
            what="the worker stored the third PDF and waits to commit it",
            worker=worker,
        )
        orphan = sorted(
            set(_signature_files()) - files_before - referenced_names()
        )  # stored, never committed
        worker.kill()
        holder.rollback()
        killed_at = time.monotonic()
        assert len(orphan) == 1
        assert _refreshed(batch).signed_count == STORED_NOT_COMMITTED - 1

        # 2. A new worker gets the batch once Redis hands the task over; it waits on the
        # counter of the sixth item, whose signature it has committed.
        counted_item = SigningBatchItem.objects.get(batch=batch, position=COMMITTED_NOT_COUNTED)
        _hold(holder, "signing_signingbatchitem", counted_item.pk)
        time.sleep(max(0.0, delivered + VISIBILITY_TIMEOUT + 1 - time.monotonic()))
        worker = workers.start()
        wait_for(
            lambda: (
                Signature.objects.filter(step_run_id=counted_item.step_run_id).exists()
                and _waiting_on_a_lock(observer)
            ),
            timeout=120,
            what="the second worker committed the sixth signature and waits to count it",
            worker=worker,
        )
        resumed = time.monotonic() - killed_at
        redelivered = time.monotonic()
        worker.kill()
        holder.rollback()
        assert SigningBatchItem.objects.get(pk=counted_item.pk).status == "pending"

    # 3. A third worker finishes the batch.
    time.sleep(max(0.0, redelivered + VISIBILITY_TIMEOUT + 1 - time.monotonic()))
    worker = workers.start()
    done = wait_for(lambda: _done(batch), timeout=120, what="the batch to finish", worker=worker)
    recovered = time.monotonic() - redelivered
    worker.stop()

    # --- every act signed exactly once -------------------------------------------------------
    assert (done.signed_count, done.failed_count, done.total) == (N, 0, N)
    items = list(SigningBatchItem.objects.filter(batch=batch).order_by("position"))
    assert [(i.status, i.error_code) for i in items] == [("signed", "")] * N
    for act, step, _document in first + folders:
        step.refresh_from_db()
        act.refresh_from_db()
        signatures = list(Signature.objects.filter(act=act))
        assert [(s.step_run_id, s.sequence, s.signer_id) for s in signatures] == [
            (step.pk, 1, commune.maire.pk)
        ]
        assert (step.status, act.status) == (StepStatus.DONE, "signed")
        assert Decision.objects.filter(step_run=step, action=DecisionAction.APPROVE).count() == 1
        assert (
            AuditEvent.objects.filter(chain__key=act.journal_chain_key, action="act.signed").count()
            == 1
        )
    assert [i.signature_id for i in items] == [
        Signature.objects.get(step_run_id=i.step_run_id).pk for i in items
    ]

    # --- no corrupt file, and no orphan once purged ------------------------------------------
    for signature in Signature.objects.all():
        content = default_storage.open(signature.file.name).read()
        assert hashlib.sha256(content).hexdigest() == signature.output_sha256
        report = validate_pdf(content, trust=trust, allow_fetching=trust.allow_fetching)
        assert report.all_valid, signature.file.name
    assert all(default_storage.exists(name) for name in orphan)
    purged = purge_orphan_files(grace=dt.timedelta(0))
    assert purged.removed == orphan
    assert set(stored_names()) == referenced_names() & set(stored_names())
    assert set(stored_names()) >= referenced_names()
    assert verify_journal(workers=1).ok

    record_property("plain_batch_seconds", round(plain, 2))
    record_property("resume_after_kill_seconds", round(resumed, 2))
    record_property("finish_after_second_kill_seconds", round(recovered, 2))
    print(
        f"\nbatch of {FIRST} through a worker: {plain:.1f} s; after the first kill the next "
        f"worker had committed item {COMMITTED_NOT_COUNTED} in {resumed:.1f} s; after the second "
        f"kill the batch finished in {recovered:.1f} s (visibility timeout {VISIBILITY_TIMEOUT} s)"
    )
    assert settings.MEDIA_ROOT  # the workers wrote into the test's own MEDIA_ROOT
