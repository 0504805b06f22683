"""Délibre served on loopback for the browser tests, as real processes (like ``make run``).

In a throw-away directory:

- a dedicated SQLite database (whatever ``DATABASE_URL`` the suite uses), migrated once and
  kept in a cache directory (keyed by the migration files), then ``manage.py demo --pki``;
- the demo PKI's TSA/OCSP/CRL server (``python -m signing.pki serve``), the élus' PKCS#12 files
  and the server seal (``DELIBRE_SEAL_PKCS12``);
- the stand-in S2LOW (exports.actes.standin) over mutual TLS, set up as the demo
  commune's transmission connector (its files in ``DELIBRE_ACTES_DIR/<slug>/s2low``);
- ``manage.py runserver --noreload`` on a free loopback port (Celery runs eagerly, no broker).

``python -m tests.e2e.server [DIR]`` starts it all and waits (Ctrl-C stops): handy to write a
browser test against a running app (``DELIBRE_E2E_URL`` and ``DELIBRE_E2E_DIR`` then make the
``app`` fixture reuse it instead of starting its own).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "demo"  # deliberations.demo.DEMO_PASSWORD
P12_PASSWORD = "demo"  # signing.demo.DEMO_CERTIFICATE_PASSWORD
#: Demo username → the file name of their PKCS#12 in the demo PKI (signing.demo.DEMO_SIGNERS).
P12_FILES = {"maire": "marie-dupont", "adjointe": "sophie-lefevre", "secretaire": "jean-martin"}
#: Demo username → display name (deliberations.demo.DEMO_USERS).
DEMO_USERS = {
    "admin": "Alice Bernard",
    "redacteur": "Romain Petit",
    "valideur": "Valérie Moreau",
    "maire": "Marie Dupont",
    "adjointe": "Sophie Lefèvre",
    "secretaire": "Jean Martin",
    "ordonnateur": "Olivier Garnier",
    "tresorerie": "Thomas Roux",
}


@dataclass
class App:
    """A running Délibre: its URL, its data directory and the demo's logins and keys."""

    base_url: str
    directory: Path
    slug: str
    password: str = PASSWORD
    p12_password: str = P12_PASSWORD
    users: dict[str, str] = field(default_factory=lambda: dict(DEMO_USERS))
    env: dict[str, str] = field(default_factory=dict, repr=False)

    def url(self, path: str) -> str:
        return self.base_url + path

    def p12(self, username: str) -> Path:
        """The PKCS#12 file of a demo élu (maire, adjointe, secretaire)."""
        return self.directory / "pki" / "p12" / f"{P12_FILES[username]}.p12"

    def log(self, name: str = "server") -> str:
        """What one of the processes (server, pki, standin, setup) wrote so far."""
        return (self.directory / f"{name}.log").read_text(errors="replace")

    def manage(self, *args: str) -> str:
        """Run a management command against this app (e.g. the periodic ``poll_tdt``)."""
        return _run(["manage.py", *args], self.env, self.directory / "setup.log")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(directory: Path, port: int) -> dict[str, str]:
    """The app's environment: everything under ``directory``, no broker, no real e-mail."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DELIBRE_") and k not in ("DATABASE_URL", "CELERY_BROKER_URL")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DELIBRE_ENV="development",
        DELIBRE_DATA_DIR=str(directory),
        DATABASE_URL=f"sqlite:///{directory / 'delibre.sqlite3'}",
        DELIBRE_PUBLIC_URL=f"http://127.0.0.1:{port}",
        DELIBRE_EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        DELIBRE_EMAIL_FILE_PATH=str(directory / "mail"),
        DELIBRE_SEAL_PKCS12=str(directory / "pki" / "p12" / "seal.p12"),
        DELIBRE_SEAL_PASSWORD=P12_PASSWORD,
        PYTHONUNBUFFERED="1",
    )
    return env


def _run(args: list[str], env: dict[str, str], log: Path, timeout: float = 300) -> str:
    with log.open("a") as out:
        result = subprocess.run(
            [sys.executable, *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=out,
            text=True,
            timeout=timeout,
        )
        out.write(result.stdout)
    if result.returncode:
        raise RuntimeError(f"{args[:2]} failed ({result.returncode}); see {log}")
    return result.stdout


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("a") as out:
        return subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def _wait_tcp(port: int, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the process for port {port} stopped; see {log}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port} after {timeout} s; see {log}")


def _wait_http(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server stopped; see {log}")
        try:
            urllib.request.urlopen(url, timeout=5)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s; see {log}")


def _migrations_key() -> str:
    digest = hashlib.sha256()
    paths = sorted(ROOT.glob("*/migrations/*.py")) + sorted(ROOT.glob("*/*/migrations/*.py"))
    for path in paths:
        digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _migrated_database(cache: Path, env: dict[str, str], directory: Path, log: Path) -> None:
    """Copy a migrated empty database from the cache, or migrate and keep a copy there."""
    cache.mkdir(parents=True, exist_ok=True)
    cached = cache / f"migrated-{_migrations_key()}.sqlite3"
    target = directory / "delibre.sqlite3"
    if cached.exists():
        shutil.copyfile(cached, target)
        return
    _run(["manage.py", "migrate", "--noinput"], env, log)
    for old in cache.glob("migrated-*.sqlite3"):
        old.unlink()
    partial = cached.with_suffix(".partial")
    shutil.copyfile(target, partial)
    partial.replace(cached)


#: Run in the app's environment once the demo is loaded: the stand-in S2LOW becomes the demo
#: commune's connector (its files lie in DELIBRE_ACTES_DIR/<slug>/, as the settings require).
CONFIGURE_TDT = """
import sys, django
django.setup()
from deliberations.demo import DEMO_SLUG
from deliberations.models import Collectivite, User
from exports.actes.connectors import scope
from exports.actes.services import update_tdt_settings
from exports.actes.standin.pki import make_test_pki
collectivite = Collectivite.objects.get(slug=DEMO_SLUG)
root, _prefix = scope(collectivite)
(root / "s2low").mkdir(parents=True, exist_ok=True)
pki = make_test_pki(directory=root / "s2low")
update_tdt_settings(
    collectivite=collectivite,
    actor=User.objects.get(username="admin"),
    connector="s2low",
    s2low_url="https://127.0.0.1:" + sys.argv[1],
    client_cert=str(pki.client_cert),
    client_key=str(pki.client_key),
    ca_file=str(pki.ca),
    timeout_seconds=10,
    return_emails=["actes@saint-exemple.test"],
    referent_name="Service des assemblées",
)
current = collectivite.classification_versions.get(is_current=True)
print(collectivite.slug, collectivite.siren, collectivite.departement, current.version_date)
print(pki.server_cert, pki.server_key, pki.ca)
"""


def default_cache() -> Path:
    return Path(tempfile.gettempdir()) / "delibre-e2e-db"


@contextmanager
def serve(directory: Path, *, cache: Path | None = None) -> Iterator[App]:
    """Set up and serve Délibre with the demo data in ``directory``; stop everything after."""
    directory.mkdir(parents=True, exist_ok=True)
    port, pki_port, standin_port = free_port(), free_port(), free_port()
    env = environment(directory, port)
    setup_log = directory / "setup.log"
    processes: list[subprocess.Popen] = []
    try:
        _migrated_database(cache or default_cache(), env, directory, setup_log)
        pki_dir = str(directory / "pki")
        _run(["manage.py", "demo", "--pki", pki_dir, "--pki-port", str(pki_port)], env, setup_log)
        pki_log = directory / "pki.log"
        pki = _start(["-m", "signing.pki", "serve", "--dir", pki_dir], env, pki_log)
        processes.append(pki)
        lines = _run(["-c", CONFIGURE_TDT, str(standin_port)], env, setup_log).splitlines()
        slug, siren, departement, classification_date = lines[0].split()
        server_cert, server_key, ca = lines[1].split()
        standin_log = directory / "standin.log"
        standin = _start(
            [
                *("-m", "exports.actes.standin", "--port", str(standin_port)),
                *("--cert", server_cert, "--key", server_key, "--ca", ca),
                *("--siren", siren, "--departement", departement),
                # The classification the demo holds: the stand-in's default is newer, and every
                # transmission after the first acknowledgement would be refused as stale.
                *("--classification-date", classification_date),
            ],
            env,
            standin_log,
        )
        processes.append(standin)
        server_log = directory / "server.log"
        address = f"127.0.0.1:{port}"
        server = _start(["manage.py", "runserver", "--noreload", address], env, server_log)
        processes.append(server)
        _wait_tcp(pki_port, pki, pki_log)
        _wait_tcp(standin_port, standin, standin_log)
        _wait_http(f"http://{address}/login/", server, server_log)
        yield App(base_url=f"http://{address}", directory=directory, slug=slug, env=env)
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def running(base_url: str, directory: Path) -> App:
    """An app already served (``python -m tests.e2e.server``), to reuse between test runs."""
    port = base_url.rsplit(":", 1)[1].rstrip("/")
    return App(
        base_url=base_url.rstrip("/"),
        directory=directory,
        slug="saint-exemple",
        env=environment(directory, int(port)),
    )


def main() -> None:
    # Stop the children on SIGTERM too (kill <pid>), not only on Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(0))
    directory = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="delibre-e2e-"))
    with serve(directory.resolve()) as app:
        print(
            f"Délibre with the demo data on {app.base_url}/ (data in {app.directory}).\n"
            f"Reuse it in the browser tests:\n"
            f"  DELIBRE_E2E_URL={app.base_url} DELIBRE_E2E_DIR={app.directory} make e2e",
            flush=True,
        )
        try:
            while True:
                time.sleep(3600)
        except (KeyboardInterrupt, SystemExit):
            pass


if __name__ == "__main__":
    main()
