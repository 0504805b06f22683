import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from deliberations import services
from deliberations.enums import ActType, Role
from tests.factories import CollectiviteFactory, member
from workflow.journal import (
    anchor_heads,
    event_hash,
    events_for,
    export_jsonl,
    record_event,
    verify_journal,
)
from workflow.models import GENESIS_HASH, AuditEvent, JournalAnchor, JournalChain


@pytest.fixture
def clerk(db):
    collectivite = CollectiviteFactory()
    user = member(collectivite, Role.CLERK, Role.ADMIN, username="journalist")
    # The collectivité row must have its own chain, as create_collectivite would give it.
    with transaction.atomic():
        record_event(collectivite, "collectivite.created", actor=None, data={})
    return user


@pytest.fixture
def acts(clerk):
    collectivite = clerk.memberships.first().collectivite
    made = []
    for index in range(3):
        act = services.create_project(
            collectivite=collectivite,
            actor=clerk,
            act_type=ActType.DELIBERATION,
            objet=f"Objet {index}",
        )
        services.update_project(act=act, actor=clerk, revision=1, summary="Exposé")
        made.append(act)
    return made


def run_verify():
    out = io.StringIO()
    try:
        call_command("audit_verify", stdout=out)
    except CommandError as exc:
        return exc.returncode, str(exc)
    return 0, out.getvalue()


def test_events_are_chained_per_aggregate(acts):
    events = list(events_for(acts[0]))
    assert [e.seq for e in events] == [1, 2]
    assert events[0].prev_hash == GENESIS_HASH
    assert events[1].prev_hash == events[0].hash
    assert events[1].hash == event_hash(events[1], f"act:{acts[0].pk}")
    assert JournalChain.objects.get(key=f"act:{acts[0].pk}").head_hash == events[1].hash


@pytest.mark.django_db(transaction=True)
def test_record_event_outside_transaction_is_refused(acts):
    with pytest.raises(RuntimeError):
        record_event(acts[0], "act.test", actor=None)


def test_intact_journal_verifies(acts):
    code, message = run_verify()
    assert code == 0
    assert message.startswith("Audit journal intact: 7 events in 4 chains, 0 anchors checked in ")
    result = verify_journal()
    assert (result.ok, result.events, result.chains) == (True, 7, 4)


def test_altered_event_is_detected(acts):
    target = events_for(acts[1]).first()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE workflow_auditevent SET data = %s WHERE id = %s",
            [json.dumps({"objet": "falsifié"}), target.pk],
        )
    code, message = run_verify()
    assert code == 1
    assert message == (
        f"Audit journal BROKEN at act:{acts[1].pk}#1 (event id {target.pk}): "
        "the event's content does not match its hash (it was altered)"
    )


def test_deleted_event_is_detected(acts):
    first = events_for(acts[2]).first()
    second = events_for(acts[2]).last()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM workflow_auditevent WHERE id = %s", [first.pk])
    code, message = run_verify()
    assert code == 1
    assert message == (
        f"Audit journal BROKEN at act:{acts[2].pk}#2 (event id {second.pk}): event #1 is missing (found #2 instead)"
    )


def test_deleted_last_event_is_detected_by_head(acts):
    last = events_for(acts[0]).last()
    AuditEvent.objects.filter(pk=last.pk).delete()
    code, message = run_verify()
    assert code == 1
    assert (
        message
        == f"Audit journal BROKEN at act:{acts[0].pk}#1: the chain ends at #1 but its recorded head is #2"
    )


def test_inserted_event_is_detected(acts):
    chain = JournalChain.objects.get(key=f"act:{acts[0].pk}")
    last = events_for(acts[0]).last()
    forged = AuditEvent(
        chain=chain,
        seq=3,
        collectivite_id=last.collectivite_id,
        created_at=last.created_at,
        action="act.validated",
        object_type="deliberations.act",
        object_id=str(acts[0].pk),
        data={},
        prev_hash=last.hash,
    )
    forged.hash = event_hash(forged, chain.key)
    forged.save()
    code, message = run_verify()
    assert code == 1
    assert (
        message
        == f"Audit journal BROKEN at act:{acts[0].pk}#3: the chain ends at #3 but its recorded head is #2"
    )


def test_whole_chain_deleted_is_detected_by_object_cross_check(acts):
    AuditEvent.objects.filter(chain__key=f"act:{acts[1].pk}").delete()
    JournalChain.objects.filter(key=f"act:{acts[1].pk}").delete()
    code, message = run_verify()
    assert code == 1
    assert message == (
        f"Audit journal BROKEN at act:{acts[1].pk}#None: deliberations.act {acts[1].pk} exists but its journal chain has no event"
    )


def test_whole_folder_deleted_after_anchor_is_detected(acts):
    anchor = anchor_heads()
    assert anchor.seq == 1
    assert len(anchor.heads) == 4
    assert anchor_heads() is None  # nothing changed since
    key = f"act:{acts[1].pk}"
    AuditEvent.objects.filter(chain__key=key).delete()
    JournalChain.objects.filter(key=key).delete()
    type(acts[1]).objects.filter(pk=acts[1].pk).delete()
    code, message = run_verify()
    assert code == 1
    assert message == (
        f"Audit journal BROKEN at {key}#2: an anchored event is missing or different "
        "(events or the whole chain were deleted)"
    )


def test_altered_anchor_is_detected(acts):
    anchor = anchor_heads()
    JournalAnchor.objects.filter(pk=anchor.pk).update(heads=[])
    code, message = run_verify()
    assert (code, message) == (
        1,
        "Audit journal BROKEN at anchors: anchor #1 is altered, missing or out of sequence",
    )


def test_export_jsonl_lines_recompute_to_their_hash(acts):
    lines = list(export_jsonl(events_for(acts[0])))
    assert len(lines) == 2
    record = json.loads(lines[1])
    event = AuditEvent(
        **{
            k: record[k]
            for k in (
                "seq",
                "actor_id",
                "actor_name",
                "on_behalf_of_id",
                "on_behalf_of_name",
                "action",
                "object_type",
                "object_id",
                "object_repr",
                "data",
                "prev_hash",
            )
        }
    )
    import datetime as dt

    event.created_at = dt.datetime.fromisoformat(record["created_at"].replace("Z", "+00:00"))
    assert event_hash(event, record["chain"]) == record["hash"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_verification_finds_the_same_first_problem(acts):
    serial = verify_journal(workers=1)
    parallel = verify_journal(workers=2)
    assert (serial.ok, parallel.ok, parallel.events) == (True, True, serial.events)
    first, second = events_for(acts[0]).first(), events_for(acts[2]).first()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE workflow_auditevent SET action = 'forged' WHERE id IN (%s, %s)",
            [first.pk, second.pk],
        )
    serial, parallel = verify_journal(workers=1), verify_journal(workers=2)
    assert str(parallel.problem) == str(serial.problem)
    assert parallel.problem.event_id == first.pk
