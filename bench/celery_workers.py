"""Batch signing throughput on real Celery workers: 1 worker process, then 2 (issue 8).

Run:  .venv/bin/python bench/celery_workers.py [--batches 4] [--size 5] [--workers 1,2]

A scratch PostgreSQL database, the demo PKI with its TSA/OCSP/CRL server on loopback, the
commune of the signing tests (B-LT signatures of the maire's PKCS#12), a Redis database of its
own (11, locked while the bench runs). For each number of worker processes: ``--batches`` ×
``--size`` arrêtés waiting for the maire; the workers are started (``celery worker -Q signing
--concurrency 1`` each) and warmed up with one one-act batch each; then every batch is started
at once (``signing.services.start_batch``, queued after commit as in production) and the
clock runs until the last one is done. A batch is one task, so the batches are what spreads
over the workers. Prints signatures/s for each count and the scaling ratio; ``--json`` adds
one line ``RESULT {...}`` for bench/run_all.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, django_setup, machine, scratch_database

REDIS = os.environ.get("DELIBRE_BENCH_REDIS", "redis://127.0.0.1:6379/11")
LOCK = "delibre:bench-celery:lock"


def take_redis() -> None:
    import redis

    client = redis.Redis.from_url(REDIS)
    if not client.set(LOCK, str(os.getpid()), nx=True, ex=1800):
        raise SystemExit(f"{REDIS} is in use by another run of this bench")
    for key in client.scan_iter():
        if key != LOCK.encode():
            client.delete(key)


def release_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS).flushdb()


def start_worker(number: int, directory: Path, database_url: str) -> tuple[subprocess.Popen, Path]:
    log = directory / f"worker-{number}.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": REDIS,
        "DELIBRE_LOG_LEVEL": "WARNING",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                "1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-Q",
                "signing",
                "-n",
                f"bench{number}-{os.getpid()}@%h",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 120
    while " ready." not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"worker {number} did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.2)
    return process, log


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def run_batches(town, folders: list, size: int) -> list[int]:
    from signing import services
    from tests.signing.conftest import PASSWORD

    ids = []
    for start in range(0, len(folders), size):
        batch = services.start_batch(
            actor=town.maire,
            collectivite=town.collectivite,
            step_run_ids=[step.pk for _act, step, _doc in folders[start : start + size]],
            certificate=town.certificates["maire"],
            password=PASSWORD,
        )
        ids.append(batch.pk)
    return ids


def wait_done(ids: list[int], timeout: float) -> tuple[int, int]:
    from signing.models import SigningBatch

    deadline = time.monotonic() + timeout
    while True:
        rows = list(
            SigningBatch.objects.filter(pk__in=ids).values_list(
                "status", "signed_count", "failed_count"
            )
        )
        if all(status == "done" for status, _s, _f in rows):
            return sum(r[1] for r in rows), sum(r[2] for r in rows)
        if time.monotonic() > deadline:
            raise SystemExit(f"batches not done after {timeout:.0f} s: {rows}")
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=4, help="batches started at once")
    parser.add_argument("--size", type=int, default=5, help="acts per batch")
    parser.add_argument("--workers", default="1,2", help="worker processes, in turn")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    load_at_start = os.getloadavg()
    directory = Path(tempfile.mkdtemp(prefix="delibre-bench-celery-"))
    os.environ["DELIBRE_MEDIA_ROOT"] = str(directory / "media")
    os.environ["CELERY_BROKER_URL"] = REDIS  # start_batch queues to Redis, not in-process
    os.environ["DELIBRE_LOG_LEVEL"] = "WARNING"
    url = scratch_database("delibre_bench_celery")
    take_redis()
    django_setup()
    import logging

    logging.getLogger("delibre.security").setLevel(logging.WARNING)  # one line per key opened

    from signing.pki import PkiServer, bind_loopback_socket, generate_pki
    from tests.signing.conftest import PASSWORD, arrete_in_circuit, commune

    sock = bind_loopback_socket()
    pki = generate_pki(
        directory=directory / "pki",
        password=PASSWORD,
        port=sock.getsockname()[1],
        key_cache=Path(tempfile.gettempdir()) / "delibre-signing-pki-keys",
    )
    server = PkiServer(pki, sock=sock).start()
    town = commune.__wrapped__(db=None, pki=pki, pki_server=server)
    report: dict = {
        "batches": args.batches,
        "size": args.size,
        "load_at_start": load_at_start,
        "workers": {},
    }
    print(f"Machine: {machine()}")
    print(
        f"{args.batches} batches of {args.size} arrêtés (B-LT, PKCS#12, TSA/OCSP on loopback) "
        "started at once; workers: celery -Q signing --concurrency 1"
    )
    try:
        for count in counts:
            warm = [
                arrete_in_circuit(town, objet=f"Arrêté d'essai {count}-{n}") for n in range(count)
            ]
            folders = [
                arrete_in_circuit(town, objet=f"Arrêté de voirie {count}-{n}")
                for n in range(args.batches * args.size)
            ]
            workers = [start_worker(n + 1, directory, url) for n in range(count)]
            try:
                wait_done(run_batches(town, warm, 1), timeout=300)
                begin = time.perf_counter()
                ids = run_batches(town, folders, args.size)
                signed, failed = wait_done(ids, timeout=900)
                elapsed = time.perf_counter() - begin
            finally:
                for process, _log in workers:
                    stop(process)
            rate = signed / elapsed
            report["workers"][count] = {
                "signed": signed,
                "failed": failed,
                "seconds": round(elapsed, 2),
                "signatures_per_s": round(rate, 2),
            }
            print(
                f"  {count} worker process(es): {signed} signed, {failed} failed in "
                f"{elapsed:.1f} s = {rate:.2f} signatures/s"
            )
    finally:
        server.stop()
        release_redis()
        shutil.rmtree(directory, ignore_errors=True)
    rates = [report["workers"][n]["signatures_per_s"] for n in counts]
    if len(rates) >= 2 and rates[0]:
        report["scaling"] = round(rates[-1] / rates[0], 2)
        print(f"Scaling {counts[-1]} against {counts[0]} worker(s): {report['scaling']:.2f}×")
    if args.json:
        print("RESULT " + json.dumps(report))


if __name__ == "__main__":
    main()
