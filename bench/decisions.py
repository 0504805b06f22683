"""Circuit decisions per second on PostgreSQL (issue 8).

Run:  .venv/bin/python bench/decisions.py [--clients 8] [--folders 40] [--steps 10] [--races 50]

(a) distinct folders: ``--clients`` threads, each approving the visa steps of its own folders
    (one chain and one run per folder), every approval a full ``approve_step`` transaction with
    its delegation check, decision row, step update and hash-chained journal event;
(b) racing: ``--clients`` threads released together on the same ``one`` step, ``--races``
    times: exactly one decision must count, the others get "already decided".

Prints decisions/s, the median latency, SQL queries per decision and the number of duplicates.
Target: ≥ 250 decisions/s with 8 clients, ≤ 10 queries per decision, zero duplicates.
"""

from __future__ import annotations

import argparse
import threading
import time

from _common import django_setup, machine, median, percentile, scratch_database


def build(clients: int, folders: int, steps: int):
    from deliberations import services as delib
    from deliberations.enums import ActType, Role
    from deliberations.models import Membership, User
    from workflow.enums import CircuitPhase, StepKind, StepMode
    from workflow.services import circuits, runs

    platform = User.objects.create(username="plateforme", is_superuser=True, is_staff=True)
    collectivite = delib.create_collectivite(
        actor=platform,
        name="Commune de Banc d'Essai",
        slug="banc",
        kind="commune",
        siren="213401722",
        departement="034",
    )
    admin = User.objects.create(username="admin")
    Membership.objects.create(user=admin, collectivite=collectivite, role=Role.ADMIN)
    clerk = User.objects.create(username="clerk")
    delib.grant_role(collectivite=collectivite, actor=admin, user=clerk, role=Role.CLERK)
    validators = []
    for index in range(clients):
        user = User.objects.create(username=f"valideur{index}")
        delib.grant_role(collectivite=collectivite, actor=admin, user=user, role=Role.VALIDATOR)
        validators.append(user)
    desk = circuits.create_group(
        collectivite=collectivite, actor=admin, name="Visas", members=validators
    )
    circuit = circuits.create_circuit(
        collectivite=collectivite,
        actor=admin,
        name="Banc",
        phase=CircuitPhase.PREPARATION,
        act_types=[ActType.ARRETE],
        is_default=True,
        steps=[
            circuits.StepSpec(
                kind=StepKind.VISA, label=f"Visa {n}", mode=StepMode.ONE, groups=[desk]
            )
            for n in range(steps)
        ],
    )
    started = []
    for index in range(clients * folders):
        act = delib.create_project(
            collectivite=collectivite, actor=clerk, act_type=ActType.ARRETE, objet=f"Arrêté {index}"
        )
        started.append(runs.start_circuit(act=act, actor=clerk, circuit=circuit))
    return validators, started


def active_step(run_id: int):
    from workflow.enums import StepStatus
    from workflow.models import StepRun

    return StepRun.objects.filter(run_id=run_id, status=StepStatus.ACTIVE).first()


def _client(args: tuple) -> list[float]:
    """One client process: approve the visa steps of its own folders, one transaction each."""
    user_id, run_ids, rounds = args
    from django.db import connection

    from deliberations.models import User
    from workflow.services import runs

    user = User.objects.get(pk=user_id)
    latencies = []
    try:
        for _ in range(rounds):
            for run_id in run_ids:
                step = active_step(run_id)
                begin = time.perf_counter()
                runs.approve_step(step_run=step, actor=user)
                latencies.append(time.perf_counter() - begin)
    finally:
        connection.close()
    return latencies


def distinct_folders(validators, started, steps: int) -> tuple[int, float, list[float]]:
    """Each client is a process of its own (as web workers are), with its own connection."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from django.db import connections

    clients = len(validators)
    work = [
        (validators[i].pk, [run.pk for run in started[i::clients]], steps - 1)
        for i in range(clients)
    ]
    connections.close_all()
    with ProcessPoolExecutor(
        max_workers=clients, mp_context=multiprocessing.get_context("fork")
    ) as pool:
        begin = time.perf_counter()
        results = list(pool.map(_client, work))
        elapsed = time.perf_counter() - begin
    latencies = [value for result in results for value in result]
    return len(latencies), elapsed, latencies


def racing(validators, started, races: int) -> tuple[int, int, int]:
    from django.db import connection

    from core.exceptions import DelibreError
    from workflow.services import runs

    wins = refusals = duplicates = 0
    for run in started[:races]:
        step = active_step(run.pk)
        barrier = threading.Barrier(len(validators))
        outcomes: list[str] = []
        lock = threading.Lock()

        def work(user, step=step, barrier=barrier, outcomes=outcomes, lock=lock) -> None:
            try:
                barrier.wait()
                runs.approve_step(step_run=step, actor=user)
                outcome = "win"
            except DelibreError:
                outcome = "refused"
            finally:
                connection.close()
            with lock:
                outcomes.append(outcome)

        threads = [threading.Thread(target=work, args=(user,)) for user in validators]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wins += outcomes.count("win")
        refusals += outcomes.count("refused")
        duplicates += max(0, outcomes.count("win") - 1)
    return wins, refusals, duplicates


def queries_per_decision(validators, started) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workflow.services import runs

    run = started[-1]
    step = active_step(run.pk)
    with CaptureQueriesContext(connection) as captured:
        runs.approve_step(step_run=step, actor=validators[0])
    return len(captured.captured_queries)


def profile(decisions: int) -> None:
    """One client approving ``decisions`` non-final visa steps, under cProfile, with the time
    spent in SQL (measured around each query on the client side: network round trip included)."""
    import cProfile
    import io
    import pstats
    from collections import Counter

    from django.db import connection

    from workflow.services import runs

    validators, started = build(1, decisions, 2)
    steps = [active_step(run.pk) for run in started]
    sql_time = [0.0]
    statements: Counter[str] = Counter()

    def timed(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        begin = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_time[0] += time.perf_counter() - begin
            statements[sql.split(" ", 1)[0] + " " + _table(sql)] += 1

    runs.approve_step(step_run=steps[0], actor=validators[0])  # warm-up
    profiler = cProfile.Profile()
    with connection.execute_wrapper(timed):
        begin = time.perf_counter()
        profiler.enable()
        for step in steps[1:]:
            runs.approve_step(step_run=step, actor=validators[0])
        profiler.disable()
        wall = time.perf_counter() - begin
    count = len(steps) - 1
    print(f"Machine: {machine()}")
    print(
        f"One client, {count} decisions: {wall / count * 1000:.2f} ms per decision "
        f"({count / wall:.0f}/s), of which SQL {sql_time[0] / count * 1000:.2f} ms "
        f"({sql_time[0] / wall * 100:.0f} %), Python {(wall - sql_time[0]) / count * 1000:.2f} ms"
    )
    print(
        "Statements per decision: "
        + ", ".join(f"{name} {n / count:g}" for name, n in statements.most_common())
    )
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative")
    stats.print_stats(25)
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:6000])


def _table(sql: str) -> str:
    import re

    match = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql)
    return match.group(1) if match else ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--folders", type=int, default=40, help="folders per client")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--races", type=int, default=50)
    parser.add_argument(
        "--profile", type=int, default=0, help="profile this many decisions of one client"
    )
    args = parser.parse_args()
    scratch_database("delibre_bench_decisions")
    django_setup()
    from django.conf import settings

    # Notifications are queued after commit to the broker; with none running here they stay
    # queued in memory, so the figures measure the decision transaction itself.
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    app.conf.broker_url = "memory://"
    if args.profile:
        profile(args.profile)
        return
    validators, started = build(args.clients, args.folders, args.steps)
    queries = queries_per_decision(validators, started)
    count, elapsed, latencies = distinct_folders(validators, started[:-1], args.steps)
    wins, refusals, duplicates = racing(
        validators, started[-args.races - 1 : -1], min(args.races, len(started) - 1)
    )
    print(f"Machine: {machine()}")
    print(
        f"Distinct folders: {count} decisions by {args.clients} clients in {elapsed:.2f} s = "
        f"{count / elapsed:.0f} decisions/s (target ≥ 250); latency median {median(latencies) * 1000:.1f} ms, "
        f"p95 {percentile(latencies, 95) * 1000:.1f} ms"
    )
    print(f"Queries per decision (non-final visa, desk member): {queries} (target ≤ 10)")
    print(
        f"Racing: {args.clients} clients × {wins + duplicates and (wins + refusals) // args.clients} steps: "
        f"{wins} decisions counted, {refusals} refused as already decided, {duplicates} duplicates (target 0)"
    )


if __name__ == "__main__":
    main()
