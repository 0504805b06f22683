"""Writing, anchoring and verifying the audit journal (docs/adr/0001-audit-journal-chaining.md).

Every service that changes state calls :func:`record_event` inside its own transaction. Each
aggregate (act, séance, collectivité…) has its own hash chain, so writers on different folders
never wait for each other; :func:`anchor_heads` periodically seals every changed chain head into
one global anchor chain, so that deleting a whole chain is detected too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from .models import GENESIS_HASH, AuditEvent, JournalAnchor, JournalChain

_HASHED_FIELDS = (
    "chain",
    "seq",
    "created_at",
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


#: Aggregates whose every row must have a journal chain: a row without one means its events
#: (and its chain) were deleted, even before the next anchor.
JOURNALED_MODELS = ("deliberations.collectivite", "deliberations.act", "deliberations.seance")


def _canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder
    ).encode("utf-8")


def _timestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(event: AuditEvent, chain_key: str) -> str:
    payload = {
        "chain": chain_key,
        "seq": event.seq,
        "created_at": _timestamp(event.created_at),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "on_behalf_of_id": event.on_behalf_of_id,
        "on_behalf_of_name": event.on_behalf_of_name,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "data": event.data,
        "prev_hash": event.prev_hash,
    }
    assert set(payload) == set(_HASHED_FIELDS)
    return hashlib.sha256(_canonical(payload)).hexdigest()


def anchor_hash(anchor: JournalAnchor) -> str:
    payload = {
        "seq": anchor.seq,
        "created_at": _timestamp(anchor.created_at),
        "heads": anchor.heads,
        "prev_hash": anchor.prev_hash,
    }
    return hashlib.sha256(_canonical(payload)).hexdigest()


def chain_key_for(obj: models.Model) -> str:
    key = getattr(obj, "journal_chain_key", None)
    return key if key else f"{obj._meta.label_lower}:{obj.pk}"


def _collectivite_id(obj: models.Model) -> int | None:
    if obj._meta.label_lower == "deliberations.collectivite":
        return obj.pk
    value = getattr(obj, "collectivite_id", None)
    if value is None and hasattr(obj, "act"):
        value = obj.act.collectivite_id
    if value is None and hasattr(obj, "seance"):
        value = obj.seance.collectivite_id
    return value


def _user_name(user: Any) -> str:
    if user is None:
        return ""
    return getattr(user, "display_name", None) or str(user)


def record_event(
    obj: models.Model,
    action: str,
    *,
    actor: Any,
    data: dict[str, Any] | None = None,
    on_behalf_of: Any = None,
) -> AuditEvent:
    """Append one event to the chain of ``obj``'s aggregate.

    Must run inside the caller's transaction (the change and its event commit together).
    Side effects: locks the chain head row until the transaction ends; creates the chain on
    first use.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must run inside the transaction of the change it records.")
    key = chain_key_for(obj)
    collectivite_id = _collectivite_id(obj)
    chain = JournalChain.objects.select_for_update().filter(key=key).first()
    if chain is None:
        chain, _created = JournalChain.objects.get_or_create(
            key=key, defaults={"collectivite_id": collectivite_id}
        )
        chain = JournalChain.objects.select_for_update().get(pk=chain.pk)
    normalised = json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))
    actor_obj = actor if getattr(actor, "pk", None) else None
    behalf_obj = on_behalf_of if getattr(on_behalf_of, "pk", None) else None
    event = AuditEvent(
        chain=chain,
        seq=chain.head_seq + 1,
        collectivite_id=collectivite_id,
        created_at=timezone.now(),
        actor=actor_obj,
        actor_name=_user_name(actor_obj) if actor_obj else (str(actor) if actor else ""),
        on_behalf_of=behalf_obj,
        on_behalf_of_name=_user_name(behalf_obj),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        data=normalised,
        prev_hash=chain.head_hash,
    )
    event.hash = event_hash(event, key)
    event.save(force_insert=True)
    JournalChain.objects.filter(pk=chain.pk).update(head_seq=event.seq, head_hash=event.hash)
    return event


def anchor_heads() -> JournalAnchor | None:
    """Seal the head of every chain changed since the last anchor into the anchor chain.

    Run periodically (Celery beat) and before each verification. Returns None when nothing
    changed.
    """
    with transaction.atomic():
        last = JournalAnchor.objects.select_for_update().order_by("-seq").first()
        anchored = _anchored_heads()
        heads = [
            [key, seq, head]
            for key, seq, head in JournalChain.objects.order_by("key").values_list(
                "key", "head_seq", "head_hash"
            )
            if anchored.get(key) != (seq, head)
        ]
        if not heads:
            return None
        anchor = JournalAnchor(
            seq=(last.seq + 1) if last else 1,
            created_at=timezone.now(),
            heads=heads,
            prev_hash=last.hash if last else GENESIS_HASH,
        )
        anchor.hash = anchor_hash(anchor)
        anchor.save(force_insert=True)
        return anchor


def _anchored_heads() -> dict[str, tuple[int, str]]:
    latest: dict[str, tuple[int, str]] = {}
    for heads in JournalAnchor.objects.order_by("seq").values_list("heads", flat=True).iterator():
        for key, seq, head in heads:
            latest[key] = (seq, head)
    return latest


@dataclass(frozen=True)
class JournalProblem:
    """The first thing found wrong in the journal."""

    message: str
    chain: str = ""
    seq: int | None = None
    event_id: int | None = None

    def __str__(self) -> str:
        where = f"{self.chain}#{self.seq}" if self.chain else "anchors"
        ident = f" (event id {self.event_id})" if self.event_id is not None else ""
        return f"{where}{ident}: {self.message}"


@dataclass
class VerificationResult:
    chains: int = 0
    events: int = 0
    anchors: int = 0
    problem: JournalProblem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _stream_events(chunk: int = 5000) -> Iterator[tuple]:
    fields = (
        "id",
        "chain_id",
        "seq",
        "created_at",
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
        "hash",
    )
    yield from (
        AuditEvent.objects.order_by("chain_id", "seq")
        .values_list(*fields)
        .iterator(chunk_size=chunk)
    )


def verify_journal() -> VerificationResult:
    """Check every chain, every anchor and that anchored chains are intact.

    Detects an altered event (hash mismatch), a deleted one (sequence gap or broken link), an
    inserted one (broken link, or a chain longer than its recorded head) and a deleted chain
    (anchored but missing).
    """
    result = VerificationResult()
    chains = {
        pk: (key, head_seq, head_hash)
        for pk, key, head_seq, head_hash in JournalChain.objects.values_list(
            "pk", "key", "head_seq", "head_hash"
        )
    }
    result.chains = len(chains)
    seen_hashes: dict[str, dict[int, str]] = {}
    anchored = _verify_anchors(result)
    if result.problem:
        return result
    wanted = {key: seq for key, (seq, _h) in anchored.items()}

    current_chain: int | None = None
    expected_seq = 1
    prev_hash = GENESIS_HASH
    probe = AuditEvent()

    def close_chain(chain_pk: int) -> JournalProblem | None:
        key, head_seq, head_hash = chains[chain_pk]
        if expected_seq - 1 != head_seq or prev_hash != head_hash:
            return JournalProblem(
                f"the chain ends at #{expected_seq - 1} but its recorded head is #{head_seq}",
                chain=key,
                seq=expected_seq - 1,
            )
        return None

    for row in _stream_events():
        (
            event_id,
            chain_pk,
            seq,
            created_at,
            actor_id,
            actor_name,
            behalf_id,
            behalf_name,
            action,
            object_type,
            object_id,
            object_repr,
            data,
            stored_prev,
            stored_hash,
        ) = row
        if chain_pk != current_chain:
            if current_chain is not None and (problem := close_chain(current_chain)):
                result.problem = problem
                return result
            current_chain, expected_seq, prev_hash = chain_pk, 1, GENESIS_HASH
        key = chains[chain_pk][0]
        if seq != expected_seq:
            result.problem = JournalProblem(
                f"event #{expected_seq} is missing (found #{seq} instead)",
                chain=key,
                seq=seq,
                event_id=event_id,
            )
            return result
        if stored_prev != prev_hash:
            result.problem = JournalProblem(
                "the previous-hash link is broken (an event was removed or inserted before it)",
                chain=key,
                seq=seq,
                event_id=event_id,
            )
            return result
        probe.seq, probe.created_at, probe.actor_id, probe.actor_name = (
            seq,
            created_at,
            actor_id,
            actor_name,
        )
        probe.on_behalf_of_id, probe.on_behalf_of_name, probe.action = (
            behalf_id,
            behalf_name,
            action,
        )
        probe.object_type, probe.object_id, probe.object_repr = object_type, object_id, object_repr
        probe.data, probe.prev_hash = data, stored_prev
        if event_hash(probe, key) != stored_hash:
            result.problem = JournalProblem(
                "the event's content does not match its hash (it was altered)",
                chain=key,
                seq=seq,
                event_id=event_id,
            )
            return result
        if key in wanted and seq == wanted[key]:
            seen_hashes.setdefault(key, {})[seq] = stored_hash
        prev_hash = stored_hash
        expected_seq += 1
        result.events += 1
    if current_chain is not None and (problem := close_chain(current_chain)):
        result.problem = problem
        return result

    keys_with_events = {
        chains[pk][0] for pk in AuditEvent.objects.values_list("chain_id", flat=True).distinct()
    }
    for key, head_seq, _head in chains.values():
        if head_seq and key not in keys_with_events:
            result.problem = JournalProblem(
                "every event of this chain was deleted", chain=key, seq=head_seq
            )
            return result
    for label in JOURNALED_MODELS:
        model = apps.get_model(label)
        for pk in model.objects.values_list("pk", flat=True).iterator():
            key = chain_key_for(model(pk=pk))
            if key not in keys_with_events:
                result.problem = JournalProblem(
                    f"{label} {pk} exists but its journal chain has no event", chain=key
                )
                return result
    for key, (seq, head) in sorted(anchored.items()):
        if seen_hashes.get(key, {}).get(seq) != head:
            result.problem = JournalProblem(
                "an anchored event is missing or different (events or the whole chain were deleted)",
                chain=key,
                seq=seq,
            )
            return result
    return result


def _verify_anchors(result: VerificationResult) -> dict[str, tuple[int, str]]:
    prev = GENESIS_HASH
    expected = 1
    latest: dict[str, tuple[int, str]] = {}
    for anchor in JournalAnchor.objects.order_by("seq").iterator():
        if anchor.seq != expected or anchor.prev_hash != prev or anchor_hash(anchor) != anchor.hash:
            result.problem = JournalProblem(
                f"anchor #{anchor.seq} is altered, missing or out of sequence"
            )
            return latest
        for key, seq, head in anchor.heads:
            latest[key] = (seq, head)
        prev = anchor.hash
        expected += 1
        result.anchors += 1
    return latest


def events_for(obj: models.Model) -> models.QuerySet[AuditEvent]:
    return (
        AuditEvent.objects.filter(chain__key=chain_key_for(obj))
        .select_related("chain")
        .order_by("seq")
    )


def export_jsonl(events: models.QuerySet[AuditEvent]) -> Iterator[str]:
    """Yield the events as JSON lines, with everything needed to re-check their hashes."""
    for event in events.select_related("chain").iterator():
        yield (
            json.dumps(
                {
                    "chain": event.chain.key,
                    "seq": event.seq,
                    "created_at": _timestamp(event.created_at),
                    "actor_id": event.actor_id,
                    "actor_name": event.actor_name,
                    "on_behalf_of_id": event.on_behalf_of_id,
                    "on_behalf_of_name": event.on_behalf_of_name,
                    "action": event.action,
                    "object_type": event.object_type,
                    "object_id": event.object_id,
                    "object_repr": event.object_repr,
                    "data": event.data,
                    "prev_hash": event.prev_hash,
                    "hash": event.hash,
                },
                ensure_ascii=False,
                sort_keys=True,
            )
            + "\n"
        )
