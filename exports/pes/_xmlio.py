"""Opening untrusted PES files for streaming parsers (DESIGN.md decision 9).

A source is bytes, a path or a binary file object. :func:`open_source` refuses, before the XML
parser sees anything: files over the size limit (a path is refused on its size alone, without
reading it), empty files, byte-order marks and declarations of encodings that are not
ASCII-compatible single-byte/UTF-8 (PES is ISO-8859-1), and any DOCTYPE (so no entity can be
declared, hence no expansion and no external entity). The returned reader counts the bytes it
hands out and stops at the limit, for streams whose size is unknown.

The lxml options mirror :func:`core.xml.safe_parser` (entities, DTD and network off, huge trees
off: depth ≤ 256 and text nodes ≤ 10 MB); ``iterparse`` takes keywords, not a parser object.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _
from lxml import etree

from .exceptions import PesFileRefused
from .issues import PesIssue

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
READ_SIZE = 64 * 1024
# A PES prolog is an XML declaration and maybe a comment; more is suspicious, and bounding it
# keeps the DOCTYPE check cheap.
MAX_PROLOG = 64 * 1024

Source = bytes | bytearray | memoryview | str | os.PathLike[str] | IO[bytes]

SAFE_ITERPARSE_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "attribute_defaults": False,
    "recover": False,
}

_ENCODINGS = {
    "ISO-8859-1": "ISO-8859-1",
    "ISO8859-1": "ISO-8859-1",
    "ISO_8859-1": "ISO-8859-1",
    "ISO-8859-1:1987": "ISO-8859-1",
    "LATIN1": "ISO-8859-1",
    "LATIN-1": "ISO-8859-1",
    "L1": "ISO-8859-1",
    "UTF-8": "UTF-8",
    "UTF8": "UTF-8",
    "US-ASCII": "US-ASCII",
    "ASCII": "US-ASCII",
}

_XML_DECL = re.compile(
    rb"<\?xml\s+version\s*=\s*([\"'])1\.[0-9]+\1"
    rb"(?:\s+encoding\s*=\s*([\"'])([A-Za-z][A-Za-z0-9._:\-]*)\2)?"
    rb"(?:\s+standalone\s*=\s*([\"'])(?:yes|no)\4)?\s*\?>"
)
_MISC = re.compile(rb"\s+|<!--.*?-->|<\?.*?\?>", re.S)
_NAME_START = re.compile(rb"<[A-Za-z_:\x80-\xff]")


@dataclass(frozen=True, slots=True)
class Prolog:
    """What the first bytes of the file say."""

    encoding: str  # normalised: ISO-8859-1, UTF-8 or US-ASCII
    declared_encoding: str | None  # as written in the XML declaration (None: no declaration)
    bom: bool


def refuse(code: str, message: str, *, line: int | None = None, **params: Any) -> PesFileRefused:
    issue = PesIssue(code=code, message=message, line=line, params=params)
    return PesFileRefused(message, issues=[issue], code=code.lower())


def _too_large(max_bytes: int) -> PesFileRefused:
    return refuse(
        "FILE_TOO_LARGE",
        _("The file is larger than the limit of %(limit)s MB.")
        % {"limit": f"{max_bytes / (1024 * 1024):g}"},
        limit=max_bytes,
    )


class BoundedReader:
    """A read-only file object over ``raw`` that refuses to go past ``max_bytes``.

    ``observers`` are called with every chunk handed out and its offset in the file (used to
    scan markup positions during the same read). Side effect: reads ``raw``.
    """

    def __init__(
        self,
        raw: IO[bytes],
        *,
        max_bytes: int,
        head: bytes = b"",
        observers: list[Callable[[bytes, int], None]] | None = None,
    ):
        self._raw = raw
        self._head = head
        self._max = max_bytes
        self.offset = 0
        self.reads = 0
        self.observers = observers if observers is not None else []

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = READ_SIZE
        if self._head:
            data, self._head = self._head[:size], self._head[size:]
        else:
            # One byte more than allowed tells a file of exactly max_bytes from a larger one.
            data = self._raw.read(min(size, self._max - self.offset + 1))
        if self.offset + len(data) > self._max:
            raise _too_large(self._max)
        for observe in self.observers:
            observe(data, self.offset)
        self.offset += len(data)
        self.reads += 1
        return data


def _check_prolog(head: bytes) -> Prolog:
    if not head:
        raise refuse("FILE_EMPTY", _("The file is empty."))
    bom = False
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\x00\x00\x00<")):
        raise refuse(
            "FILE_ENCODING",
            _("The file is encoded in UTF-16 or UTF-32; PES files must be ISO-8859-1."),
        )
    pos = 0
    if head.startswith(b"\xef\xbb\xbf"):
        bom, pos = True, 3
    declared: str | None = None
    decl = _XML_DECL.match(head, pos)
    if decl:
        if decl.group(3):
            declared = decl.group(3).decode("ascii")
        pos = decl.end()
    elif head.startswith(b"<?xml", pos):
        raise refuse("FILE_NOT_XML", _("The XML declaration of the file is malformed."))
    encoding = _ENCODINGS.get((declared or "UTF-8").upper())
    if encoding is None or (bom and encoding != "UTF-8"):
        raise refuse(
            "FILE_ENCODING",
            _("The encoding %(encoding)s is not supported; PES files must be ISO-8859-1.")
            % {"encoding": declared},
            encoding=declared,
        )
    while True:
        misc = _MISC.match(head, pos)
        if not misc:
            break
        pos = misc.end()
    if head.startswith(b"<!DOCTYPE", pos) or head.startswith(b"<!ENTITY", pos):
        raise refuse(
            "FILE_DTD",
            _("XML files with a DOCTYPE or entity declarations are refused."),
        )
    if not _NAME_START.match(head, pos):
        if len(head) >= MAX_PROLOG:
            raise refuse(
                "FILE_NOT_XML",
                _("The file does not start with an XML element in its first %(size)d kB.")
                % {"size": MAX_PROLOG // 1024},
            )
        raise refuse("FILE_NOT_XML", _("The file is not an XML document."))
    return Prolog(encoding=encoding, declared_encoding=declared, bom=bom)


@contextmanager
def open_source(
    source: Source, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[tuple[BoundedReader, Prolog, int | None]]:
    """Open ``source`` for reading and check its prolog.

    Yields the bounded reader (positioned at the start of the file), the prolog facts and the
    size when known. Raises :class:`PesFileRefused`. Side effect: opens the file when given a
    path, and closes it afterwards; a file object given by the caller is not closed.
    """
    size: int | None
    if isinstance(source, bytes | bytearray | memoryview):
        size = len(source)
        if size > max_bytes:
            raise _too_large(max_bytes)
        raw: IO[bytes] = io.BytesIO(source)
        owned = False
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            stat = path.stat()
            # Refuse on the declared size alone: a 2 GB (or sparse) file is never read.
            size = stat.st_size if path.is_file() else None
            if size is not None and size > max_bytes:
                raise _too_large(max_bytes)
            raw = path.open("rb")
        except OSError as exc:
            raise refuse(
                "FILE_UNREADABLE",
                _("The file cannot be read: %(reason)s") % {"reason": exc.strerror or exc},
            ) from exc
        owned = True
    else:
        raw, size, owned = source, None, False
    try:
        try:
            head = raw.read(MAX_PROLOG)
        except OSError as exc:
            raise refuse(
                "FILE_UNREADABLE",
                _("The file cannot be read: %(reason)s") % {"reason": exc.strerror or exc},
            ) from exc
        if len(head) > max_bytes:
            raise _too_large(max_bytes)
        prolog = _check_prolog(head)
        yield BoundedReader(raw, max_bytes=max_bytes, head=head), prolog, size
    finally:
        if owned:
            raw.close()


def syntax_error(exc: etree.XMLSyntaxError) -> PesFileRefused:
    """Turn a libxml2 well-formedness error into a refusal with its line."""
    line = exc.lineno or None
    reason = exc.msg or str(exc)
    if "Excessive depth" in reason:
        message = _("The XML elements are nested too deeply (line %(line)s).") % {"line": line}
    elif "Text node too long" in reason or "huge text node" in reason:
        message = _(
            "The file holds a text value larger than 10 MB (line %(line)s); "
            "such values are refused."
        ) % {"line": line}
    else:
        message = _("The file is not well-formed XML (line %(line)s): %(reason)s") % {
            "line": line,
            "reason": reason,
        }
    return refuse("FILE_NOT_XML", message, line=line, reason=reason)


def check_no_doctype(root: etree._Element) -> None:
    """Second guard after the prolog scan: the parsed document has no DTD at all."""
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise refuse(
            "FILE_DTD",
            _("XML files with a DOCTYPE or entity declarations are refused."),
        )
