"""Integration tests with a real broker and real workers (issue 8, docs/adr/0008).

They need PostgreSQL (the worker processes share the test database: tests are transactional)
and Redis on 127.0.0.1:6379 (``DELIBRE_TEST_REDIS`` to change it); without them they are
skipped with the reason, or fail when ``DELIBRE_REQUIRE_REDIS=1`` (CI sets it, so that a missing
Redis cannot hide them). Each session takes a spare Redis database (12 to 15, the first whose
lock it gets), flushed before and after. Workers are ``celery -A config worker --pool prefork
--concurrency 1`` subprocesses started in their own process group, with the test database, the
test's MEDIA_ROOT and e-mails written to files; tasks are sent to them by the test process
through the same broker.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from django.conf import settings as django_settings

ROOT = Path(__file__).resolve().parents[2]
REDIS = os.environ.get("DELIBRE_TEST_REDIS", "redis://127.0.0.1:6379")
SPARE_DATABASES = (12, 13, 14, 15)
LOCK = "delibre:integration-tests:lock"
#: Redis hands a task of a killed worker to another one after this many seconds.
VISIBILITY_TIMEOUT = 4


def pytest_collection_modifyitems(config, items):
    """On SQLite, say why these are skipped (before the generic "needs PostgreSQL" reason)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(
        reason=(
            "real Celery workers need PostgreSQL: they are separate processes sharing the test "
            "database; runs in `make test` with DATABASE_URL=postgres://… and Redis"
        )
    )
    for item in items:
        if "integration" in item.keywords:
            item.add_marker(skip)


def _redis_reachable() -> bool:
    parts = urlsplit(REDIS)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis database of our own for this session, empty."""
    import redis

    if not _redis_reachable():
        reason = f"needs Redis at {REDIS} (the broker of the real Celery workers)"
        if os.environ.get("DELIBRE_REQUIRE_REDIS") == "1":
            pytest.fail(reason + "; DELIBRE_REQUIRE_REDIS=1 makes it mandatory")
        pytest.skip(reason)
    token = f"{socket.gethostname()}:{os.getpid()}"
    for number in SPARE_DATABASES:
        client = redis.Redis.from_url(f"{REDIS}/{number}")
        if client.set(LOCK, token, nx=True, ex=3600):
            break
    else:
        pytest.skip(f"every spare Redis database {SPARE_DATABASES} is in use by other test runs")
    for key in client.scan_iter():
        if key != LOCK.encode():
            client.delete(key)
    try:
        yield f"{REDIS}/{number}"
    finally:
        client.flushdb()
        client.close()


@pytest.fixture
def broker(redis_url: str) -> Iterator[str]:
    """The test process sends its tasks to Redis instead of running them in-process."""
    from config.celery import app

    saved = {
        key: app.conf[key]
        for key in ("broker_url", "task_always_eager", "broker_transport_options")
    }
    app.conf.update(
        broker_url=redis_url,
        task_always_eager=False,
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT},
    )
    _reset_pools(app)
    try:
        yield redis_url
    finally:
        app.conf.update(saved)
        _reset_pools(app)


def _reset_pools(app: Any) -> None:
    """Forget the connections to the previous broker (kombu keeps pools per connection)."""
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


def database_url() -> str:
    """The test database (pytest-django's), as the worker processes must reach it."""
    from django.db import connection

    db = connection.settings_dict
    auth = quote(db["USER"] or "postgres", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@dataclass
class Worker:
    process: subprocess.Popen
    log: Path
    started: float = field(default_factory=time.monotonic)

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes, as a lost machine would."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


class Workers:
    """Real Celery workers on the test database; all are stopped at the end of the test."""

    def __init__(self, broker: str, directory: Path):
        self.broker, self.directory = broker, directory
        self.mail_dir = directory / "mail"
        self.mail_dir.mkdir(parents=True)
        self.started: list[Worker] = []

    def start(
        self, *, queues: str = "default,signing", env: dict[str, str] | None = None
    ) -> Worker:
        number = len(self.started) + 1
        log = self.directory / f"worker-{number}.log"
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": self.broker,
            "DELIBRE_CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "DELIBRE_DATA_DIR": str(self.directory / "data"),
            "DELIBRE_MEDIA_ROOT": str(django_settings.MEDIA_ROOT),
            "DELIBRE_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "DELIBRE_EMAIL_FILE_PATH": str(self.mail_dir),
            **(env or {}),
        }
        command = [
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
            queues,
            "-n",
            f"test{number}-{os.getpid()}@%h",
            "--loglevel",
            "INFO",
        ]
        with log.open("wb") as out:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=environment,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed with its pool
            )
        worker = Worker(process=process, log=log)
        self.started.append(worker)
        deadline = time.monotonic() + 90
        while " ready." not in worker.text():
            if process.poll() is not None or time.monotonic() > deadline:
                worker.kill()
                pytest.fail(f"the Celery worker did not start:\n{worker.text()[-3000:]}")
            time.sleep(0.2)
        return worker

    def stop_all(self) -> None:
        for worker in self.started:
            worker.stop()


@pytest.fixture
def workers(broker, tmp_path) -> Iterator[Workers]:
    started = Workers(broker, tmp_path / "workers")
    try:
        yield started
    finally:
        started.stop_all()


def wait_for(
    predicate: Callable[[], Any], *, timeout: float, what: str, worker: Worker | None = None
) -> Any:
    """Poll ``predicate`` until it returns something true; fail with the worker's log."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            log = worker.text()[-4000:] if worker is not None else ""
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{log}")
        time.sleep(0.1)
