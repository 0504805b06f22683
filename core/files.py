"""Storing private files through Django's storage API (a shared object store can replace disk)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage


def store_bytes(prefix: str, content: bytes, *, extension: str) -> str:
    """Save bytes under a fresh unguessable name; return the storage name."""
    name = f"{prefix.rstrip('/')}/{uuid.uuid4().hex}.{extension.lstrip('.')}"
    return default_storage.save(name, ContentFile(content))


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
