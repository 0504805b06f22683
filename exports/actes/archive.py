"""tar.gz archives as S2LOW and Stela exchange them: written deterministically, read defensively.

Writing: USTAR headers, members in the given order, mode 0644, uid/gid 0 with empty owner names,
every mtime set from the caller's input (the sending date) and a gzip header without name or
time, so the same act always gives the same bytes (idempotent re-sends, golden tests, hashes).

Reading (prefecture returns): nothing touches the disk; members are read into memory after their
headers were checked: only regular files, relative names without ``..``, bounded count and sizes.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zlib
from collections.abc import Sequence
from pathlib import PurePosixPath

from django.utils.translation import gettext as _

from .exceptions import UnsafeArchive

MEGABYTE = 1024 * 1024
#: The ACTES limit for one transmission (Pastell, Stela ARCHIVE_TOO_LARGE; DESIGN.md decision 9).
MAX_TRANSMISSION_BYTES = 150 * MEGABYTE
MAX_MEMBERS = 500


def write_tar_gz(*, members: Sequence[tuple[str, bytes]], mtime: int) -> bytes:
    """Return a tar.gz holding ``members`` (name, content) in order. Pure function."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, content in members:
            info = tarfile.TarInfo(name=name)
            info.size = len(content)
            info.mtime = mtime
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.type = tarfile.REGTYPE
            tar.addfile(info, io.BytesIO(content))
    compressed = io.BytesIO()
    # filename="" and mtime=0 keep the gzip header free of anything that varies between runs.
    with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return compressed.getvalue()


def _check_name(name: str) -> None:
    path = PurePosixPath(name)
    if (
        not name
        or "\\" in name
        or "\x00" in name
        or path.is_absolute()
        or ".." in path.parts
        or (len(name) > 1 and name[1] == ":")
    ):
        raise UnsafeArchive(
            _(
                "The archive contains a file named %(name)s that points outside the archive. "
                "It was refused; ask the sender for a correct archive."
            )
            % {"name": repr(name)},
            code="path_traversal",
        )


def read_tar(
    *,
    content: bytes,
    max_members: int = MAX_MEMBERS,
    max_member_bytes: int = MAX_TRANSMISSION_BYTES,
    max_total_bytes: int = MAX_TRANSMISSION_BYTES,
) -> list[tuple[str, bytes]]:
    """Return the regular files of a (gzipped) tar as (name, content), in archive order.

    No side effects. Raises UnsafeArchive for links, devices, absolute or ``..`` names, duplicate
    names, too many members or members larger than the limits, and for unreadable archives.
    """
    members: list[tuple[str, bytes]] = []
    seen: set[str] = set()
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(content), mode="r:*") as tar:
            for member in tar:
                if len(members) >= max_members:
                    raise UnsafeArchive(
                        _(
                            "The archive holds more than %(count)d files; it was refused. Ask the sender to check it."
                        )
                        % {"count": max_members},
                        code="too_many_members",
                    )
                _check_name(member.name)
                if member.isdir():
                    continue
                if not member.isfile():
                    raise UnsafeArchive(
                        _(
                            "The archive contains %(name)s, which is a link or a special file. "
                            "Only ordinary files are accepted."
                        )
                        % {"name": repr(member.name)},
                        code="not_a_file",
                    )
                total += member.size
                if member.size > max_member_bytes or total > max_total_bytes:
                    raise UnsafeArchive(
                        _(
                            "The archive is larger than %(limit)d MB once unpacked; it was refused. Ask the sender to check it."
                        )
                        % {"limit": max_total_bytes // MEGABYTE},
                        code="too_large",
                    )
                name = member.name.removeprefix("./")
                if name in seen:
                    raise UnsafeArchive(
                        _(
                            "The archive contains %(name)s twice; it was refused. Ask the sender to check it."
                        )
                        % {"name": repr(name)},
                        code="duplicate_member",
                    )
                seen.add(name)
                handle = tar.extractfile(member)
                data = handle.read(member.size) if handle is not None else b""
                members.append((name, data))
    except (tarfile.TarError, EOFError, OSError, zlib.error, ValueError) as exc:
        raise UnsafeArchive(
            _("The file is not a readable tar or tar.gz archive. Download it again and retry."),
            code="unreadable_archive",
        ) from exc
    return members
