"""Backup and restore of the database and the stored files (docs/deployment.md).

A backup is one folder::

    manifest.json        what it holds, when, from which database, SHA-256 of every file
    database.dump        PostgreSQL: ``pg_dump --format=custom``
    database.sqlite3     SQLite: a consistent copy made with SQLite's online backup API
    files/<name>         every file of the default storage (acts, signatures, flows…)

Files are read and written through Django's storage API, so a backup made from the local disk
restores into an object store and back. Before anything is written the journal's chain heads
are anchored (docs/adr/0001): the manifest records the last anchor, and a restore checks that
the database it brought back ends with it.

A restore checks every SHA-256 of the manifest first (a damaged backup changes nothing), then
refuses a database that already holds data unless ``force`` — the database is replaced, not
merged. The database of a restore must exist (PostgreSQL: ``createdb``); its tables are
created by the dump itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.files.base import File
from django.core.files.storage import Storage, default_storage
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from .exceptions import Conflict, InvalidInput
from .files import stored_names

FORMAT = 1
MANIFEST = "manifest.json"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
FILES = "files"
#: Tables ``migrate`` fills by itself: a database holding only these is empty.
BOOKKEEPING = {"contenttypes", "auth.permission", "sessions", "admin.logentry"}


class BackupError(InvalidInput):
    code = "backup_invalid"


class RestoreRefused(Conflict):
    code = "restore_refused"


@dataclass
class BackupReport:
    path: Path
    database: str
    files: int
    bytes: int
    manifest: dict[str, Any] = field(default_factory=dict)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _vendor() -> str:
    return connection.vendor


def _pg_environment() -> tuple[list[str], dict[str, str]]:
    """Connection arguments of pg_dump/pg_restore for the default database (password through
    the environment, never on the command line)."""
    db = connection.settings_dict
    arguments = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        arguments += ["--host", db["HOST"]]
    if db.get("PORT"):
        arguments += ["--port", str(db["PORT"])]
    if db.get("USER"):
        arguments += ["--username", db["USER"]]
    environment = {**os.environ}
    if db.get("PASSWORD"):
        environment["PGPASSWORD"] = db["PASSWORD"]
    return arguments, environment


def _run(command: list[str], environment: dict[str, str]) -> None:
    try:
        done = subprocess.run(command, env=environment, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise BackupError(
            _("%(tool)s is not installed (package postgresql-client).") % {"tool": command[0]}
        ) from exc
    if done.returncode != 0:
        raise BackupError(
            _("%(tool)s failed: %(error)s") % {"tool": command[0], "error": done.stderr.strip()}
        )


def _journal_head() -> dict[str, Any]:
    from workflow.journal import anchor_heads
    from workflow.models import AuditEvent, JournalAnchor

    anchor_heads()
    last = JournalAnchor.objects.order_by("-seq").first()
    return {
        "events": AuditEvent.objects.count(),
        "anchor_seq": last.seq if last else None,
        "anchor_hash": last.hash if last else None,
    }


def _migrations() -> dict[str, str]:
    from django.db.migrations.recorder import MigrationRecorder

    heads: dict[str, str] = {}
    for app, name in (
        MigrationRecorder(connection)
        .migration_qs.order_by("app", "name")
        .values_list("app", "name")
    ):
        heads[app] = name
    return heads


def make_backup(*, out: Path, storage: Storage | None = None) -> BackupReport:
    """Write a backup of the database and of every stored file into a new folder under ``out``
    (named after the time); return what it holds. Side effect: anchors the journal heads."""
    storage = storage or default_storage
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    target = Path(out) / stamp
    suffix = 1
    while target.exists():
        suffix += 1
        target = Path(out) / f"{stamp}-{suffix}"
    target.mkdir(parents=True)
    journal = _journal_head()
    vendor = _vendor()
    if vendor == "postgresql":
        arguments, environment = _pg_environment()
        database = PG_DUMP
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                *arguments,
                "--file",
                str(target / database),
            ],
            environment,
        )
    elif vendor == "sqlite":
        database = SQLITE_COPY
        connection.ensure_connection()
        with sqlite3.connect(target / database) as copy:
            connection.connection.backup(copy)
        copy.close()
    else:  # pragma: no cover - only the two supported databases
        raise BackupError(_("Backups support PostgreSQL and SQLite only."))
    entries: dict[str, dict[str, Any]] = {
        database: {
            "sha256": _sha256_file(target / database),
            "size": (target / database).stat().st_size,
        }
    }
    total = 0
    for name in stored_names(storage=storage):
        destination = target / FILES / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        with storage.open(name, "rb") as source, destination.open("wb") as copy:
            shutil.copyfileobj(source, copy, 1024 * 1024)
        size = destination.stat().st_size
        total += size
        entries[f"{FILES}/{name}"] = {"sha256": _sha256_file(destination), "size": size}
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "database": {"vendor": vendor, "file": database, "migrations": _migrations()},
        "journal": journal,
        "files": entries,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return BackupReport(
        path=target,
        database=vendor,
        files=len(entries) - 1,
        bytes=total,
        manifest=manifest,
    )


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of a backup folder, after checking every file against its SHA-256.

    Raises BackupError naming the first missing, damaged or unexpected file."""
    path = Path(path)
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(
            _("%(path)s is not a Délibre backup (no readable manifest.json).") % {"path": path}
        ) from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(_("This backup's format is not supported by this version."))
    for name, entry in sorted(manifest["files"].items()):
        file = path / name
        if not file.is_file():
            raise BackupError(_("The backup is incomplete: %(name)s is missing.") % {"name": name})
        if file.stat().st_size != entry["size"] or _sha256_file(file) != entry["sha256"]:
            raise BackupError(
                _("The backup is damaged: %(name)s does not match its SHA-256.") % {"name": name}
            )
    listed = set(manifest["files"]) | {MANIFEST}
    extra = sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file())
    unexpected = [name for name in extra if name not in listed]
    if unexpected:
        raise BackupError(
            _("The backup holds a file its manifest does not list: %(name)s.")
            % {"name": unexpected[0]}
        )
    return manifest


def database_is_empty() -> bool:
    """True when no table of the project's models holds a row (a database just migrated, or
    not migrated at all, is empty)."""
    tables = set(connection.introspection.table_names())
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label_lower
        if label in BOOKKEEPING or model._meta.app_label in {"contenttypes", "sessions"}:
            continue
        if model._meta.db_table in tables and model._base_manager.exists():
            return False
    return True


@dataclass
class RestoreReport:
    database: str
    files: int
    journal_events: int


def restore_backup(
    *, path: Path, force: bool = False, storage: Storage | None = None
) -> RestoreReport:
    """Replace the database and the stored files by those of a backup.

    Refused, with nothing changed: a backup missing a file or with a wrong SHA-256, a backup of
    the other database engine, a database holding data (unless ``force``). Files of the storage
    that the backup does not hold are left (``purge_orphan_files`` removes them)."""
    storage = storage or default_storage
    path = Path(path)
    manifest = read_manifest(path)
    vendor = _vendor()
    if manifest["database"]["vendor"] != vendor:
        raise BackupError(
            _("This backup is of a %(backup)s database; this server uses %(current)s.")
            % {"backup": manifest["database"]["vendor"], "current": vendor}
        )
    if not force and not database_is_empty():
        raise RestoreRefused(
            _(
                "The database already holds data: restoring replaces all of it. Restore into "
                "an empty database, or pass --force to replace it."
            )
        )
    database = path / manifest["database"]["file"]
    if vendor == "postgresql":
        arguments, environment = _pg_environment()
        connection.close()
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                *arguments,
                str(database),
            ],
            environment,
        )
    else:
        connection.ensure_connection()
        with sqlite3.connect(database) as source:
            source.backup(connection.connection)
        source.close()
    restored = 0
    for name in sorted(manifest["files"]):
        if not name.startswith(FILES + "/"):
            continue
        stored = name[len(FILES) + 1 :]
        if storage.exists(stored):
            storage.delete(stored)
        with (path / name).open("rb") as handle:
            saved = storage.save(stored, File(handle))
        if saved != stored:  # pragma: no cover - a storage that renames on its own
            raise BackupError(_("The storage renamed %(name)s.") % {"name": stored})
        restored += 1
    events = _check_journal(manifest)
    return RestoreReport(database=vendor, files=restored, journal_events=events)


def _check_journal(manifest: dict[str, Any]) -> int:
    from workflow.models import AuditEvent, JournalAnchor

    expected = manifest.get("journal", {})
    events = AuditEvent.objects.count()
    last = JournalAnchor.objects.order_by("-seq").first()
    found = (events, last.seq if last else None, last.hash if last else None)
    wanted = (expected.get("events"), expected.get("anchor_seq"), expected.get("anchor_hash"))
    if found != wanted:
        raise BackupError(
            _(
                "The restored journal does not end as the backup recorded (%(found)s, not %(wanted)s)."
            )
            % {"found": found, "wanted": wanted}
        )
    return events
