"""What the PES services share: who may act, locking a flow, storing files, temporary copies."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from deliberations.enums import Role
from deliberations.models import Collectivite
from deliberations.permissions import has_role, require_role

from ..enums import FINANCE_ROLES
from ..exceptions import PesFileRefused
from ..issues import PesIssue
from ..models import PesFlow

#: Who may read flows (the visionneuse): the above, the validators and signers who sit in PES
#: circuits, and the treasury (signed flows only, see selectors.visible_flows).
READER_ROLES = (*FINANCE_ROLES, Role.VALIDATOR, Role.SIGNER, Role.TREASURY)
CHUNK = 1 << 20


def require_finance(actor: Any, collectivite: Collectivite) -> None:
    require_role(actor, collectivite, *FINANCE_ROLES)


def is_finance(actor: Any, collectivite_id: int) -> bool:
    return has_role(actor, collectivite_id, *FINANCE_ROLES)


def lock_flow(flow_id: int) -> PesFlow:
    """The flow row, locked until the end of the transaction."""
    return PesFlow.objects.select_for_update().select_related("collectivite").get(pk=flow_id)


def max_bytes() -> int:
    return int(settings.DELIBRE_PES_MAX_BYTES)


@contextmanager
def spooled(
    source: IO[bytes] | bytes | str | Path, *, limit: int | None = None
) -> Iterator[tuple[Path, str, int]]:
    """Copy an upload (file object, bytes or path) into a private temporary file, reading at
    most ``limit`` + 1 bytes; yield (path, sha256, size) and delete the copy afterwards.

    Raises PesFileRefused (FILE_TOO_LARGE) past the limit, before the rest is read.
    """
    limit = max_bytes() if limit is None else limit
    digest = hashlib.sha256()
    size = 0
    handle, name = tempfile.mkstemp(prefix="delibre-pes-", suffix=".xml")
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            if isinstance(source, bytes | bytearray):
                reader: IO[bytes] = _BytesReader(bytes(source))
            elif isinstance(source, str | Path):
                reader = Path(source).open("rb")  # noqa: SIM115 - closed below
            else:
                reader = source
            try:
                while chunk := reader.read(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise too_large(limit)
                    digest.update(chunk)
                    out.write(chunk)
            finally:
                if isinstance(source, str | Path):
                    reader.close()
        yield path, digest.hexdigest(), size
    finally:
        path.unlink(missing_ok=True)


class _BytesReader:
    def __init__(self, data: bytes):
        self.data, self.position = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.position + size
        chunk = self.data[self.position : end]
        self.position += len(chunk)
        return chunk


def too_large(limit: int) -> PesFileRefused:
    message = _("The file is larger than %(limit)d MB: Délibre does not accept it.") % {
        "limit": limit // (1024 * 1024)
    }
    return PesFileRefused(message, issues=[PesIssue(code="FILE_TOO_LARGE", message=message)])


def store_file(prefix: str, path: Path, *, extension: str = "xml") -> str:
    """Save a local file through the storage API under a fresh unguessable name."""
    with path.open("rb") as handle:
        return default_storage.save(
            f"{prefix.rstrip('/')}/{uuid.uuid4().hex}.{extension}", File(handle)
        )


@contextmanager
def stored_copy(name: str) -> Iterator[Path]:
    """A local temporary copy of a stored file (the library reads paths twice, streaming)."""
    handle, temporary = tempfile.mkstemp(prefix="delibre-pes-", suffix=".xml")
    path = Path(temporary)
    try:
        with os.fdopen(handle, "wb") as out, default_storage.open(name, "rb") as stored:
            shutil.copyfileobj(stored, out, CHUNK)
        yield path
    finally:
        path.unlink(missing_ok=True)


@contextmanager
def temporary_path(suffix: str = ".xml") -> Iterator[Path]:
    """A private temporary file, deleted afterwards."""
    handle, name = tempfile.mkstemp(prefix="delibre-pes-", suffix=suffix)
    os.close(handle)
    path = Path(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def file_digest(path: Path) -> tuple[str, int]:
    """SHA-256 and size of a local file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def issue_dicts(issues: list[PesIssue]) -> list[dict[str, Any]]:
    """Issues as JSON-ready dicts (stored warnings, API answers)."""
    return [
        {
            "code": i.code,
            "severity": i.severity,
            "line": i.line,
            "path": i.path,
            "message": str(i.message),
        }
        for i in issues
    ]
