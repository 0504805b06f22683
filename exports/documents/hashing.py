"""Hashes that make a rendered document reproducible: one for the inputs, one for the engine.

``snapshot_sha256`` is the SHA-256 of :func:`canonical_json` of the render inputs (snapshot,
customisation, requested signature fields). Files (logo, annexes) enter the snapshot by their
SHA-256, which the renderer checks against the bytes it is given, so the hash covers them too.

``template_sha256`` is the SHA-256 of everything else that decides the bytes: the PDF templates,
the stylesheets, the fonts, the Python code of this package and the versions of WeasyPrint,
pydyf and pypdf. Same pair of hashes, same bytes (tests/exports/documents checks it).
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .exceptions import InvalidSnapshot

#: Bump when the rendering pipeline changes in a way the file hashes would not show.
RENDERER_REVISION = "1"

_lock = threading.Lock()
_cache: dict[str, Any] = {"signature": None, "digest": ""}


def canonical_json(value: Any) -> bytes:
    """Sorted, compact UTF-8 JSON; refuses anything JSON cannot represent exactly."""
    try:
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode("utf-8")
    except (TypeError, ValueError) as error:
        raise InvalidSnapshot(_("The document data must be plain JSON values.")) from error


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _engine_files() -> list[Path]:
    package = Path(__file__).resolve().parent
    roots = [
        Path(settings.BASE_DIR) / "templates" / "pdf",
        package,
        package.parent / "fonts",
    ]
    files: list[Path] = []
    for root in roots:
        files.extend(
            path
            for path in root.rglob("*")
            if path.is_file()
            and "__pycache__" not in path.parts
            and path.suffix in {".html", ".css", ".ttf", ".py"}
        )
    return sorted(files)


def template_sha256() -> str:
    """Fingerprint of the rendering engine; recomputed only when a file changed (mtime/size)."""
    from .engine import versions

    files = _engine_files()
    base = Path(settings.BASE_DIR)
    signature = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    with _lock:
        if _cache["signature"] == signature:
            return _cache["digest"]
        digest = hashlib.sha256()
        digest.update(canonical_json({"revision": RENDERER_REVISION, "versions": versions()}))
        for path in files:
            relative = path.relative_to(base) if path.is_relative_to(base) else path.name
            digest.update(str(relative).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        _cache["signature"], _cache["digest"] = signature, digest.hexdigest()
        return _cache["digest"]
