"""Storing private files through Django's storage API (a shared object store can replace disk)."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.db import models
from django.utils import timezone

log = logging.getLogger("delibre.files")


def store_bytes(prefix: str, content: bytes, *, extension: str) -> str:
    """Save bytes under a fresh unguessable name; return the storage name.

    A failed write (disk full, an object store refusing) raises, and what it may have left of
    the file is deleted at once: nobody refers to a fresh name yet.
    """
    name = f"{prefix.rstrip('/')}/{uuid.uuid4().hex}.{extension.lstrip('.')}"
    try:
        return default_storage.save(name, ContentFile(content))
    except OSError:
        with contextlib.suppress(OSError):  # else the purge of orphan files removes it later
            default_storage.delete(name)
        raise


@contextmanager
def removed_on_error(*names: str) -> Iterator[list[str]]:
    """Delete the listed (and later appended) stored files if the block raises.

    Use around the database writes that reference freshly stored files, so that a refused or
    failed change never leaves an orphan file behind.
    """
    created = list(names)
    try:
        yield created
    except BaseException:
        for name in created:
            default_storage.delete(name)
        raise


def read_bytes(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


# --- Orphan files (docs/adr/0008-background-work.md) -------------------------------------------
#
# A file is stored *before* the transaction that records the row referring to it (the file must
# exist when the row commits). A process killed between the two (SIGKILL, OOM, a machine lost)
# leaves a file nobody refers to; a file half written by a killed process is one of those too.
# They are removed by ``purge_orphan_files`` (command and daily beat task) once older than a
# grace period far longer than any store-then-commit window. Only names this module gives (a
# 32-hex-digit UUID and an extension) are ever candidates: a file put in the storage by hand or
# by another naming scheme (logos) is never touched.

ORPHAN_CANDIDATE = re.compile(r"^[0-9a-f]{32}\.[0-9a-z]+(\.[0-9a-z]+)?$")


@dataclass
class PurgeReport:
    scanned: int = 0
    candidates: int = 0
    removed: list[str] = field(default_factory=list)
    kept_recent: int = 0


def stored_names(prefix: str = "", *, storage: Storage | None = None) -> Iterator[str]:
    """Every file name under ``prefix`` in the storage, recursively (local disk or object
    store: only ``listdir`` is used)."""
    storage = storage or default_storage
    try:
        directories, files = storage.listdir(prefix)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{prefix}/{name}" if prefix else name
    for directory in sorted(directories):
        yield from stored_names(f"{prefix}/{directory}" if prefix else directory, storage=storage)


def referenced_names() -> set[str]:
    """The names held by every FileField of every installed model (one query per field)."""
    names: set[str] = set()
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, models.FileField):
                values = (
                    model._base_manager.exclude(**{model_field.attname: ""})
                    .exclude(**{f"{model_field.attname}__isnull": True})
                    .values_list(model_field.attname, flat=True)
                )
                names.update(values.iterator(chunk_size=5000))
    return names


def purge_orphan_files(
    *, grace: dt.timedelta, dry_run: bool = False, storage: Storage | None = None
) -> PurgeReport:
    """Remove the stored files that no row refers to and that are older than ``grace``.

    The candidates are listed *before* the references are read: a file stored and committed
    meanwhile is either too recent to be a candidate or already referenced. ``grace`` must be
    longer than the longest time between storing a file and committing its row (seconds in
    practice; one day by default). Side effect: deletes files (none with ``dry_run``).
    """
    storage = storage or default_storage
    limit = timezone.now() - grace
    report = PurgeReport()
    candidates: list[str] = []
    for name in stored_names(storage=storage):
        report.scanned += 1
        if not ORPHAN_CANDIDATE.match(name.rsplit("/", 1)[-1]):
            continue
        if grace and storage.get_modified_time(name) > limit:
            report.kept_recent += 1
            continue
        candidates.append(name)
    report.candidates = len(candidates)
    if not candidates:
        return report
    referenced = referenced_names()
    for name in candidates:
        if name in referenced:
            continue
        if not dry_run:
            storage.delete(name)
            log.info("removed orphan file %s", name)
        report.removed.append(name)
    return report
