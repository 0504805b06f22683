"""HTTP pages under load on PostgreSQL (issue 8): p95 ≤ 150 ms with 16 clients, and a number of
SQL queries per page that does not depend on the number of rows.

Run:  .venv/bin/python bench/http_pages.py [--sizes 2000,20000] [--clients 16] [--seconds 20]

Seeds a scratch database with a commune, its users, a visa circuit holding ``--inbox``
folders waiting for the validator, then published acts (bulk inserts, as a commune would hold
after years: number, decision date, publication row) up to each size in turn. At each size:

- the SQL queries of each page, counted in-process (Django test client,
  ``CaptureQueriesContext``);
- ``--clients`` threads (keep-alive ``http.client`` connections on loopback, no new
  dependency) requesting the pages in turn for ``--seconds`` against a gunicorn started here
  (``--workers`` sync workers, persistent database connections as in production), after a
  warm-up; p50/p95 per page and requests/s.

Pages: the validator's inbox (/inbox/), the clerk's act list (/acts/, paginated), an act page
(/acts/<pk>/) and the public portal list (/actes/<slug>/). Prints a table and, with ``--json``,
one JSON line ``RESULT {...}`` for bench/run_all.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from _common import (
    ROOT,
    django_setup,
    machine,
    median,
    percentile,
    scratch_database,
)

INBOX = 40


def seed_base() -> dict:
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
    clerk = User.objects.create(username="clerk", first_name="Romain", last_name="Petit")
    delib.grant_role(collectivite=collectivite, actor=admin, user=clerk, role=Role.CLERK)
    validator = User.objects.create(username="valideur", first_name="Valérie", last_name="Moreau")
    delib.grant_role(collectivite=collectivite, actor=admin, user=validator, role=Role.VALIDATOR)
    circuit = circuits.create_circuit(
        collectivite=collectivite,
        actor=admin,
        name="Visa",
        phase=CircuitPhase.PREPARATION,
        act_types=[ActType.ARRETE],
        is_default=True,
        steps=[
            circuits.StepSpec(
                kind=StepKind.VISA, label="Visa du DGS", mode=StepMode.ONE, users=[validator]
            )
        ],
    )
    waiting = []
    for index in range(INBOX):
        act = delib.create_project(
            collectivite=collectivite,
            actor=clerk,
            act_type=ActType.ARRETE,
            objet=f"Arrêté portant occupation du domaine public n° {index}",
            articles=["L'occupation est autorisée du 1er au 31 juillet."],
        )
        runs.start_circuit(act=act, actor=clerk, circuit=circuit)
        waiting.append(act)
    return {"collectivite": collectivite, "clerk": clerk, "validator": validator, "act": waiting[0]}


def seed_published(base: dict, upto: int) -> None:
    """Published acts (with their publication rows) until the commune holds ``upto`` acts."""
    from django.db import transaction
    from django.utils import timezone

    from deliberations.enums import ActesNature, ActStatus, ActType
    from deliberations.models import Act
    from exports.publication.models import Publication

    collectivite, clerk = base["collectivite"], base["clerk"]
    have = Act.objects.filter(collectivite=collectivite).count()
    start = Publication.objects.count()
    now = timezone.now()
    day0 = dt.date(2015, 1, 1)
    chunk = 2000
    while have < upto:
        count = min(chunk, upto - have)
        with transaction.atomic():
            acts = Act.objects.bulk_create(
                [
                    Act(
                        collectivite=collectivite,
                        act_type=ActType.ARRETE,
                        nature=ActesNature.INDIVIDUAL,
                        objet=f"Arrêté de voirie n° {start + i + 1} : stationnement rue {i % 97}",
                        articles=["Le stationnement est réglementé."],
                        drafter=clerk,
                        status=ActStatus.PUBLISHED,
                        number=f"AR{start + i + 1:08d}",
                        number_year=(day0 + dt.timedelta(days=(start + i) // 6)).year,
                        numbered_at=now,
                        decision_date=day0 + dt.timedelta(days=(start + i) // 6),
                    )
                    for i in range(count)
                ],
                batch_size=1000,
            )
            Publication.objects.bulk_create(
                [
                    Publication(
                        collectivite=collectivite,
                        act=act,
                        identifier=act.number,
                        published_at=now,
                        published_by=clerk,
                        author_name="Marie Dupont",
                        author_quality="Le Maire",
                        file=f"publications/{collectivite.pk}/{act.number}.pdf",
                        file_sha256="0" * 64,
                        file_size=1000,
                        pdf_source="signed",
                        search_text=f"{act.number.lower()} arrete de voirie stationnement",
                    )
                    for act in acts
                ],
                batch_size=1000,
            )
        start += count
        have += count
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def pages(base: dict) -> dict[str, tuple[str, str]]:
    """page name → (path, user)"""
    return {
        "inbox": ("/inbox/", "validator"),
        "act list": ("/acts/", "clerk"),
        "act page": (f"/acts/{base['act'].pk}/", "clerk"),
        "portal list": (f"/actes/{base['collectivite'].slug}/", ""),
    }


def sessions(base: dict) -> dict[str, str]:
    from django.test import Client

    cookies = {"": ""}
    for who in ("clerk", "validator"):
        client = Client()
        client.force_login(base[who])
        cookies[who] = client.cookies["sessionid"].value
    return cookies


def count_queries(base: dict, cookies: dict[str, str]) -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for name, (path, who) in pages(base).items():
        client = Client()
        if who:
            client.cookies["sessionid"] = cookies[who]
        client.get(path)  # warm caches (content types, templates)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        counts[name] = len(captured.captured_queries)
    return counts


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, workers: int, database_url: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DELIBRE_DEBUG": "0",
        "DELIBRE_DB_CONN_MAX_AGE": "600",
        "DELIBRE_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--backlog",
            "256",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError as exc:
            if process.poll() is not None:
                output = process.stderr.read().decode() if process.stderr else "gunicorn"
                raise SystemExit(output) from exc
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start")


def load(
    port: int, targets: dict[str, tuple[str, str]], cookies: dict, clients: int, seconds: float
):
    """``clients`` threads, each with its own keep-alive connection, cycling over the pages."""
    results: dict[str, list[float]] = {name: [] for name in targets}
    errors: list[str] = []
    lock = threading.Lock()
    names = list(targets)
    barrier = threading.Barrier(clients)
    stop_at = [0.0]

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: dict[str, list[float]] = {name: [] for name in names}
        turn = index
        barrier.wait()
        while time.monotonic() < stop_at[0]:
            name = names[turn % len(names)]
            turn += 1
            path, who = targets[name]
            headers = {"Cookie": f"sessionid={cookies[who]}"} if who else {}
            begin = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    errors.append(f"{name}: {exc}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            elapsed = time.perf_counter() - begin
            if response.status != 200:
                with lock:
                    errors.append(f"{name}: HTTP {response.status}")
                continue
            mine[name].append(elapsed)
        conn.close()
        with lock:
            for name, values in mine.items():
                results[name].extend(values)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    stop_at[0] = time.monotonic() + seconds + 1
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000", help="acts in the database, in turn")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--json", action="store_true", help="print RESULT {json} at the end")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    load_at_start = os.getloadavg()
    url = scratch_database("delibre_bench_http")
    django_setup()

    started = time.perf_counter()
    base = seed_base()
    cookies = sessions(base)
    targets = pages(base)
    port = free_port()
    server = start_gunicorn(port, args.workers, url)
    report: dict = {
        "clients": args.clients,
        "seconds": args.seconds,
        "gunicorn_workers": args.workers,
        "load_at_start": load_at_start,
        "sizes": {},
    }
    print(f"Machine: {machine()}")
    print(
        f"{args.clients} clients on loopback, gunicorn {args.workers} sync workers, "
        f"{args.seconds:g} s per size; target p95 ≤ 150 ms, queries independent of rows"
    )
    try:
        for size in sizes:
            seed_published(base, size)
            seeded = time.perf_counter() - started
            queries = count_queries(base, cookies)
            load(port, targets, cookies, args.clients, args.warmup)
            # One client alone first: the time a page costs the server, without queueing.
            alone, _ = load(port, targets, cookies, 1, max(2.0, args.seconds / 4))
            results, errors = load(port, targets, cookies, args.clients, args.seconds)
            total = sum(len(v) for v in results.values())
            figures = {
                name: {
                    "requests": len(values),
                    "p50_ms": round(median(values) * 1000, 1),
                    "p95_ms": round(percentile(values, 95) * 1000, 1),
                    "queries": queries[name],
                    "alone_p50_ms": round(median(alone[name]) * 1000, 1),
                }
                for name, values in results.items()
            }
            report["sizes"][size] = {
                "pages": figures,
                "requests_per_s": round(total / args.seconds, 1),
                "errors": len(errors),
                "seeded_after_s": round(seeded, 1),
            }
            print(f"\n{size:,} acts ({total / args.seconds:.0f} requests/s, {len(errors)} errors)")
            print(
                f"  {'page':<12} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} "
                f"{'1 client p50':>13}"
            )
            for name, figure in figures.items():
                print(
                    f"  {name:<12} {figure['requests']:>8} {figure['p50_ms']:>8.1f} "
                    f"{figure['p95_ms']:>8.1f} {figure['queries']:>8} {figure['alone_p50_ms']:>13.1f}"
                )
            for error in errors[:5]:
                print(f"  error: {error}")
            started = time.perf_counter()  # seeding time of the next size only
    finally:
        server.terminate()
        server.wait(timeout=30)
    counts = [
        tuple(report["sizes"][size]["pages"][name]["queries"] for name in targets) for size in sizes
    ]
    report["queries_independent"] = len(set(counts)) == 1
    print(
        "\nQueries per page "
        + ("identical at every size" if report["queries_independent"] else "CHANGE with the size")
    )
    if args.json:
        print("RESULT " + json.dumps(report))


if __name__ == "__main__":
    main()
