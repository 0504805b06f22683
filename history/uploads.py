"""The page's two steps (check, then import) need the uploaded files twice: they wait in the
private storage under ``history/pending/<token>/`` between the two requests, named in the
session, and are deleted after the import, when the user cancels, or after a day."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.core.files.storage import default_storage
from django.utils import timezone

from .files import NoFiles, ZipSource

FOLDER = "history/pending"
SESSION_KEY = "history_pending"
LIFETIME = dt.timedelta(days=1)
KINDS = ("manifest", "files", "officials", "classification")


def keep(session: Any, collectivite_id: int, uploads: dict[str, Any]) -> dict[str, Any]:
    """Store the uploaded files; remember them in the session (replacing an earlier upload)."""
    discard(session)
    purge_stale()
    token = secrets.token_hex(16)
    pending: dict[str, Any] = {
        "token": token,
        "collectivite": collectivite_id,
        "created": timezone.now().isoformat(),
        "names": {},
        "stored": {},
    }
    for kind in KINDS:
        upload = uploads.get(kind)
        if upload is None:
            continue
        pending["names"][kind] = upload.name
        pending["stored"][kind] = default_storage.save(f"{FOLDER}/{token}/{kind}", upload)
    session[SESSION_KEY] = pending
    return pending


def current(session: Any, collectivite_id: int) -> dict[str, Any] | None:
    pending = session.get(SESSION_KEY)
    if not pending or pending.get("collectivite") != collectivite_id:
        return None
    return pending


def read(pending: dict[str, Any], kind: str) -> bytes | None:
    name = pending["stored"].get(kind)
    if not name:
        return None
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def files_of(pending: dict[str, Any]):
    name = pending["stored"].get("files")
    if not name:
        return NoFiles()
    return ZipSource(default_storage.open(name, "rb"), label=pending["names"].get("files", ""))


def discard(session: Any) -> None:
    pending = session.pop(SESSION_KEY, None)
    if pending:
        for name in pending.get("stored", {}).values():
            default_storage.delete(name)


def purge_stale() -> None:
    """Forget uploads nobody confirmed within a day (best effort)."""
    try:
        tokens, _files = default_storage.listdir(FOLDER)
    except (FileNotFoundError, NotImplementedError, OSError):
        return
    limit = timezone.now() - LIFETIME
    for token in tokens:
        folder = f"{FOLDER}/{token}"
        try:
            _dirs, names = default_storage.listdir(folder)
            stale = all(default_storage.get_modified_time(f"{folder}/{n}") < limit for n in names)
        except (FileNotFoundError, NotImplementedError, OSError):
            continue
        if stale:
            for name in names:
                default_storage.delete(f"{folder}/{name}")
