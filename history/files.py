"""Where the files a manifest names are read from: a folder of the server or an uploaded zip.

Paths in a manifest are relative, with ``/`` separators. Absolute paths and paths going up
(``..``) are refused, so a manifest can only name files inside what the administrator gave.
Every file is bounded (``DELIBRE_MAX_ANNEX_BYTES``), and a zip also as a whole
(``DELIBRE_HISTORY_MAX_BYTES`` uncompressed, a bounded number of members and compression
ratio), so that a crafted archive cannot fill the memory or the disk.
"""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path
from typing import IO, Protocol

from django.conf import settings
from django.utils.translation import gettext as _

from .exceptions import ManifestUnreadable

MAX_MEMBERS = 100_000
#: A member expanding more than this many times its compressed size is refused (zip bomb).
MAX_RATIO = 200


class FileProblem(Exception):
    """A file named by the manifest cannot be used; ``code`` and message go in the report."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def file_limit() -> int:
    return int(settings.DELIBRE_MAX_ANNEX_BYTES)


def clean_path(path: str) -> str:
    """The manifest path normalised (``a/./b`` → ``a/b``); raise FileProblem when it leaves the
    folder or the archive."""
    text = (path or "").strip().replace("\\", "/")
    if not text:
        raise FileProblem(_("No file is named."), "file_missing")
    if text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        raise FileProblem(
            _("Give the path relative to the files folder, not an absolute path."), "file_path"
        )
    normal = posixpath.normpath(text)
    if normal == ".." or normal.startswith("../"):
        raise FileProblem(
            _("The path goes outside the files folder (..): give it from inside the folder."),
            "file_path",
        )
    return normal


class FileSource(Protocol):
    label: str

    def read(self, path: str) -> bytes:
        """The file's bytes; raise FileProblem (missing, too large, path refused)."""
        ...


class NoFiles:
    """No folder nor archive was given: every file named is missing."""

    label = ""

    def read(self, path: str) -> bytes:
        clean_path(path)
        raise FileProblem(
            _("No files folder or archive was given, so this file cannot be read."),
            "file_missing",
        )


class DirectorySource:
    """Files in a folder of the server (the command's ``--files DIR``)."""

    def __init__(self, root: Path | str):
        self.root = Path(root).resolve()
        self.label = str(self.root)
        if not self.root.is_dir():
            raise ManifestUnreadable(
                _("The files folder %(folder)s does not exist.") % {"folder": self.root}
            )

    def read(self, path: str) -> bytes:
        target = (self.root / clean_path(path)).resolve()
        if not target.is_relative_to(self.root):
            raise FileProblem(
                _("The path leads outside the files folder (a link?): it is refused."),
                "file_path",
            )
        if not target.is_file():
            raise FileProblem(_("This file is not in the files folder."), "file_missing")
        if target.stat().st_size > file_limit():
            raise _too_large()
        return target.read_bytes()


def _too_large() -> FileProblem:
    return FileProblem(
        _("The file is larger than %(limit)d MB: compress it or split it.")
        % {"limit": file_limit() // (1024 * 1024)},
        "file_too_large",
    )


class ZipSource:
    """Files in a zip archive (uploaded on the page or through the API)."""

    def __init__(self, stream: IO[bytes], *, label: str = ""):
        self.label = label
        try:
            self.archive = zipfile.ZipFile(stream)
            members = self.archive.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise ManifestUnreadable(
                _("The files archive is not a readable zip file: %(reason)s") % {"reason": exc}
            ) from exc
        if len(members) > MAX_MEMBERS:
            raise ManifestUnreadable(
                _("The archive holds more than %(count)d files: split the import.")
                % {"count": MAX_MEMBERS}
            )
        total = sum(member.file_size for member in members)
        if total > int(settings.DELIBRE_HISTORY_MAX_BYTES):
            raise ManifestUnreadable(
                _("The archive expands to more than %(limit)d MB: split the import.")
                % {"limit": int(settings.DELIBRE_HISTORY_MAX_BYTES) // (1024 * 1024)}
            )
        self.members: dict[str, zipfile.ZipInfo] = {}
        for member in members:
            if member.is_dir():
                continue
            name = posixpath.normpath(member.filename.replace("\\", "/"))
            if name.startswith("../") or name.startswith("/"):
                continue  # never reachable from a manifest path either
            self.members[name] = member
        # A zip of a folder: "export/manifest.csv", "export/pdf/…" — paths may omit the folder.
        roots = {name.split("/", 1)[0] for name in self.members}
        self.prefix = (
            next(iter(roots)) + "/"
            if len(roots) == 1 and all("/" in name for name in self.members)
            else ""
        )

    def _member(self, path: str) -> zipfile.ZipInfo:
        name = clean_path(path)
        member = self.members.get(name) or self.members.get(self.prefix + name)
        if member is None:
            raise FileProblem(_("This file is not in the archive."), "file_missing")
        return member

    def read(self, path: str) -> bytes:
        member = self._member(path)
        if member.file_size > file_limit():
            raise _too_large()
        if member.compress_size and member.file_size / member.compress_size > MAX_RATIO:
            raise FileProblem(
                _("This file expands abnormally (compression bomb?): it is refused."),
                "file_refused",
            )
        try:
            with self.archive.open(member) as handle:
                content = handle.read(file_limit() + 1)
        except (zipfile.BadZipFile, OSError, ValueError, RuntimeError) as exc:
            raise FileProblem(
                _("This file cannot be read from the archive: %(reason)s") % {"reason": exc},
                "file_unreadable",
            ) from exc
        if len(content) > file_limit():
            raise _too_large()
        return content
