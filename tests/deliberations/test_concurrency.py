"""Two people acting at once: no duplicate number, no gap, no double vote, no lost update.

Real threads, each with its own PostgreSQL connection, released together by a barrier.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from core.exceptions import DelibreError
from deliberations import services
from deliberations.enums import ActStatus, ActType, AttendanceStatus, Role, VoteMode
from deliberations.models import Act, Counter, Vote
from tests.factories import CollectiviteFactory, NumberingSchemeFactory, council, member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(workers: list[Callable[[], object]]) -> list[object]:
    """Run callables in threads released at the same instant; return results or exceptions."""
    barrier = threading.Barrier(len(workers))
    results: list[object] = [None] * len(workers)

    def run(index: int, work: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = work()
        except DelibreError as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    close_old_connections()
    return results


@pytest.fixture
def setting():
    collectivite = CollectiviteFactory()
    clerk = member(collectivite, Role.CLERK, username="clerk")
    validator = member(collectivite, Role.VALIDATOR, username="validator")
    return collectivite, clerk, validator


def test_concurrent_numbering_has_no_duplicate_and_no_gap(setting):
    collectivite, clerk, validator = setting
    NumberingSchemeFactory(
        collectivite=collectivite,
        act_type=ActType.ARRETE,
        pattern="AR{YYYY}_{SEQ:4}",
        counter_name="ar",
    )
    acts = []
    for index in range(40):
        act = services.create_project(
            collectivite=collectivite, actor=clerk, act_type=ActType.ARRETE, objet=f"Arrêté {index}"
        )
        acts.append(services.validate_project(act=act, actor=validator))
    day = dt.date(2026, 6, 1)

    def worker(chunk):
        return lambda: [services.assign_number(act=a, actor=clerk, on=day).number for a in chunk]

    results = race([worker(acts[i::8]) for i in range(8)])
    assert all(isinstance(r, list) for r in results)
    numbers = sorted(Act.objects.filter(collectivite=collectivite).values_list("number", flat=True))
    assert numbers == [f"AR2026_{n:04d}" for n in range(1, 41)]
    assert Counter.objects.get(collectivite=collectivite, name="ar", year=2026).last_value == 40


def test_two_clerks_recording_the_same_vote_count_once(setting):
    collectivite, clerk, validator = setting
    other_clerk = member(collectivite, Role.CLERK, username="clerk2")
    assembly, mandates = council(collectivite, 9)
    NumberingSchemeFactory(collectivite=collectivite)
    act = services.validate_project(
        act=services.create_project(
            collectivite=collectivite,
            actor=clerk,
            act_type=ActType.DELIBERATION,
            objet="Budget",
            assembly=assembly,
        ),
        actor=validator,
    )
    seance = services.create_seance(
        collectivite=collectivite,
        actor=clerk,
        assembly=assembly,
        date=timezone.now() + dt.timedelta(days=7),
        place="Mairie",
        president=mandates[0],
    )
    item = services.add_to_agenda(seance=seance, actor=clerk, act=act)
    services.record_roll_call(
        seance=seance,
        actor=clerk,
        entries=[services.AttendanceEntry(m.pk, AttendanceStatus.PRESENT) for m in mandates],
    )
    services.open_seance(seance=seance, actor=clerk)

    results = race(
        [
            lambda: services.record_vote(
                item=item, actor=clerk, mode=VoteMode.TOTALS, counts={"for": 9}
            ),
            lambda: services.record_vote(
                item=item, actor=other_clerk, mode=VoteMode.TOTALS, counts={"against": 9}
            ),
        ]
    )
    winners = [r for r in results if isinstance(r, Vote)]
    losers = [r for r in results if isinstance(r, DelibreError)]
    assert (len(winners), len(losers)) == (1, 1)
    assert str(losers[0]) == "This item has already been voted."
    assert Vote.objects.filter(item=item).count() == 1
    act.refresh_from_db()
    expected = ActStatus.ADOPTED if winners[0].for_count == 9 else ActStatus.REJECTED
    assert act.status == expected
    assert act.number == f"DEL{timezone.localtime(seance.date).year}_0001"


def test_concurrent_edits_of_one_project_lose_no_update(setting):
    collectivite, clerk, _validator = setting
    colleague = member(collectivite, Role.CLERK, username="colleague")
    act = services.create_project(
        collectivite=collectivite, actor=clerk, act_type=ActType.DELIBERATION, objet="Original"
    )
    results = race(
        [
            lambda: services.update_project(act=act, actor=clerk, revision=1, objet="Version A"),
            lambda: services.update_project(
                act=act, actor=colleague, revision=1, objet="Version B"
            ),
        ]
    )
    saved = [r for r in results if isinstance(r, Act)]
    refused = [r for r in results if isinstance(r, DelibreError)]
    assert (len(saved), len(refused)) == (1, 1)
    act.refresh_from_db()
    assert (act.objet, act.revision) == (saved[0].objet, 2)
