"""audit_verify over a large journal (issue 8: 1,000,000 events in ≤ 15 s).

Run:  .venv/bin/python bench/audit.py [--events 1000000] [--chains 20000]

Fills a scratch PostgreSQL database with correctly chained events (bulk inserts computing the
same hashes as record_event), anchors them, then times the full verification as
``manage.py audit_verify`` runs it, and prints events per second and peak memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import time

from _common import django_setup, machine, scratch_database


def fill(events: int, chains: int) -> None:
    from django.db import transaction

    from deliberations.models import Collectivite
    from workflow.journal import event_hash
    from workflow.models import GENESIS_HASH, AuditEvent, JournalChain

    collectivite = Collectivite.objects.create(
        name="Commune de Banc d'Essai",
        slug="banc",
        kind="commune",
        siren="213401722",
        departement="034",
    )
    per_chain = events // chains
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    batch: list[AuditEvent] = []
    created = 0
    for index in range(chains):
        key = f"act:{index + 1}"
        with transaction.atomic():
            chain = JournalChain.objects.create(key=key, collectivite=collectivite)
            prev = GENESIS_HASH
            for seq in range(1, per_chain + 1):
                event = AuditEvent(
                    chain=chain,
                    seq=seq,
                    collectivite=collectivite,
                    created_at=start + dt.timedelta(seconds=created),
                    actor_name="Banc",
                    action="act.circuit.approved",
                    object_type="deliberations.act",
                    object_id=str(index + 1),
                    object_repr=f"Acte {index + 1}",
                    data={"step": seq, "comment": "Vu et approuvé"},
                    prev_hash=prev,
                )
                event.hash = event_hash(event, key)
                prev = event.hash
                batch.append(event)
                created += 1
            JournalChain.objects.filter(pk=chain.pk).update(head_seq=per_chain, head_hash=prev)
        if len(batch) >= 20000:
            AuditEvent.objects.bulk_create(batch, batch_size=5000)
            batch.clear()
            print(f"  {created:,} events written", end="\r", file=sys.stderr)
    if batch:
        AuditEvent.objects.bulk_create(batch, batch_size=5000)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--chains", type=int, default=20_000)
    args = parser.parse_args()
    scratch_database("delibre_bench_audit")
    # The cross-check expects a journaled act per chain; the bench checks the chains only.
    django_setup()
    from workflow import journal

    journal.JOURNALED_MODELS = ("deliberations.collectivite",)

    started = time.perf_counter()
    fill(args.events, args.chains)
    filled = time.perf_counter() - started
    from django.db import transaction

    from deliberations.models import Collectivite

    with transaction.atomic():
        journal.record_event(Collectivite.objects.get(), "collectivite.created", actor=None)
    journal.anchor_heads()

    started = time.perf_counter()
    result = journal.verify_journal()
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Machine: {machine()}")
    print(
        f"Journal: {result.events:,} events in {result.chains:,} chains, {result.anchors} anchor(s); filled in {filled:.1f} s"
    )
    print(
        f"audit_verify: {'intact' if result.ok else result.problem} in {elapsed:.2f} s "
        f"({result.events / elapsed:,.0f} events/s; target ≤ 15 s for 1,000,000); peak RSS {peak:.0f} MB"
    )


if __name__ == "__main__":
    main()
