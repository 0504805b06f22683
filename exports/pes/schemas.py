"""The DGFiP PES V2 schemas vendored in ``schemas/`` and streaming validation against them.

* v5.17 is the complete DGFiP set (the reference, as in S2LOW and the i-Parapheur);
* v5.30 is the current set, partial: its ``PES_Aller.xsd`` cannot compile, so flows are checked
  through the local, non-DGFiP wrapper ``local/PES_Aller_sans_Marche_Facture.xsd``
  (Dépense, Recette, PJ and signatures only). See ``schemas/SOURCES.md``.

Validation streams: libxml2 validates while parsing (lxml ``iterparse(schema=...)``) and the
tree is cleared as it goes, so memory stays flat (~20 MB of tree for a 74 MB flow, measured).
Two things that mode does not do, measured with lxml 6.1 / libxml2 2.14, and what we do:

* it does not know line numbers: when a file fails, :func:`locate_schema_errors` validates
  again in small reads and ties each error to its element (line and path);
* it hides well-formedness errors (a truncated file even passes): a pass is trusted only if it
  saw the root element end, and a failing file is parsed once more without the schema
  (:func:`check_validation`) to report the real error with its line.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from django.utils.translation import gettext as _
from lxml import etree

from core.xml import safe_parser

from ._xmlio import (
    DEFAULT_MAX_BYTES,
    SAFE_ITERPARSE_OPTIONS,
    BoundedReader,
    Source,
    open_source,
    refuse,
    syntax_error,
)
from .exceptions import PesFileRefused
from .issues import XSD, PesIssue, clean_path

SchemaVersion = Literal["5.17", "5.30"]

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
_V517 = SCHEMA_DIR / "schemas_pes_v5.17" / "PES_V2"

SCHEMA_FILES: dict[str, Path] = {
    "aller-5.17": _V517 / "Rev0" / "PES_Aller.xsd",
    "aller-5.30": SCHEMA_DIR / "local" / "PES_Aller_sans_Marche_Facture.xsd",
    "acquit-5.17": _V517 / "Rev0" / "PES_V2_Acquit_Autonome_V2.xsd",
    "retour-5.17": _V517 / "RETOUR" / "Rev0" / "PES_Retour.xsd",
}

SCHEMA_VERSIONS: tuple[SchemaVersion, ...] = ("5.17", "5.30")

NS_DS = "http://www.w3.org/2000/09/xmldsig#"

#: Beyond this many schema errors a pass stops: the rest would only repeat them, and an
#: invalid structure must not make the tree grow.
MAX_SCHEMA_ERRORS = 500
#: Elements parsed between two handled elements (a line, a pièce, an attachment...). A real
#: pièce line has ~40; more means a structure built to exhaust memory.
MAX_ELEMENTS_BETWEEN_EVENTS = 100_000

#: Elements after which the tree is freed: the repeated blocks of a PES file.
RELEASE_TAGS = (
    "Piece",
    "LigneDePiece",
    "PJ",
    "Bordereau",
    f"{{{NS_DS}}}Signature",
    "PES_DepenseAller",
    "PES_RecetteAller",
    "PES_PJ",
    "PES_Facture",
    "PES_Marche",
    "ElementACQUIT",
)
#: The roots of the documents we read: their end event proves the parse reached the end.
ROOT_TAGS = (
    "{http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller}PES_Aller",
    "{http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/retour/v2}PES_ACQUIT",
    "{http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/retour}PES_Retour",
)


class NotWellFormed(Exception):
    """Internal: a validating pass stopped without schema errors to explain it.

    When libxml2 validates while parsing (lxml ``iterparse(schema=...)``), well-formedness
    errors are not reported as such (measured with lxml 6.1 / libxml2 2.14): a truncated file
    even ends without any error, and a bad character gives "no element found" with an empty
    log. A validating pass is therefore trusted only when it saw the root element end;
    otherwise, or when it found schema errors, :func:`well_formedness_refusal` parses again
    without the schema to tell what is wrong, with its line.
    """


class TooManyErrors(Exception):
    """Internal: stops a pass once :data:`MAX_SCHEMA_ERRORS` is reached."""


class Guard:
    """Observer of the bytes read (see :class:`~exports.pes._xmlio.BoundedReader`): refuses a
    flood of elements between two handled events (the tree would keep them all), and stops the
    pass once the schema error count passes its cap."""

    def __init__(self, error_count: Callable[[], int] | None = None):
        self.tags = 0
        self.mark_at = 0
        self.error_count = error_count

    def __call__(self, chunk: bytes, offset: int) -> None:
        self.tags += chunk.count(b"<")
        if self.tags - self.mark_at > MAX_ELEMENTS_BETWEEN_EVENTS:
            raise refuse(
                "FILE_STRUCTURE",
                _(
                    "An element of the file holds more than %(limit)d sub-elements; the file is "
                    "refused."
                )
                % {"limit": MAX_ELEMENTS_BETWEEN_EVENTS},
            )
        if self.error_count is not None and self.error_count() > MAX_SCHEMA_ERRORS:
            raise TooManyErrors

    def mark(self) -> None:
        self.mark_at = self.tags


@functools.cache
def load_schema(name: str) -> etree.XMLSchema:
    """Compile one of :data:`SCHEMA_FILES` once per process.

    The compiled schema is read-only; each validation gets its own libxml2 validation context,
    so the cached object may be shared by threads. Side effect: reads the XSD files once.
    """
    path = SCHEMA_FILES[name]
    return etree.XMLSchema(etree.parse(str(path), parser=safe_parser()))


def aller_schema(version: SchemaVersion) -> etree.XMLSchema:
    return load_schema(f"aller-{version}")


class _SmallReads:
    """Hands the parser small chunks so that each schema error can be tied to a few elements."""

    def __init__(self, reader: BoundedReader, size: int):
        self._reader = reader
        self._size = size

    @property
    def reads(self) -> int:
        return self._reader.reads

    def read(self, size: int = -1) -> bytes:
        return self._reader.read(self._size)


_ELEMENT = re.compile(r"Element '(?:\{[^}]*\})?([^']+)'")
_ATTRIBUTE = re.compile(r"attribute '([^']+)'")
_VALUE = re.compile(r"(?:The value |\]: |: )'([^']*)'")


def localname(tag: Any) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def schema_issue(
    message: str, *, line: int | None = None, path: str | None = None, version: str = "5.17"
) -> PesIssue:
    return PesIssue(
        code=XSD,
        message=_("Not valid against the DGFiP schema v%(version)s: %(detail)s")
        % {"version": version, "detail": message},
        line=line,
        path=path,
        params={"detail": message, "version": version},
    )


def _split_log(log: Any) -> tuple[list[Any], list[Any]]:
    schema, parser = [], []
    for entry in log:
        if entry.domain_name == "SCHEMASV":
            schema.append(entry)
        elif entry.level_name in ("ERROR", "FATAL"):
            parser.append(entry)
    return schema, parser


def validate_stream(reader: BoundedReader, schema: etree.XMLSchema) -> list[str]:
    """Parse ``reader`` once, validating as it goes and freeing the repeated blocks.

    Returns the schema error messages (empty: valid; at most :data:`MAX_SCHEMA_ERRORS` + 1,
    the last one saying the pass stopped). Raises :class:`NotWellFormed` when the pass did not
    reach the end of the document (see there), :class:`PesFileRefused` when elements flood.
    Side effect: reads ``reader``.
    """
    context: Any = None
    guard = Guard(lambda: len(context.error_log) if context is not None else 0)
    reader.observers.append(guard)
    context = etree.iterparse(
        reader,
        events=("end",),
        tag=RELEASE_TAGS + ROOT_TAGS,
        schema=schema,
        remove_comments=True,
        remove_pis=True,
        **SAFE_ITERPARSE_OPTIONS,
    )
    root_closed = False
    try:
        for _event, element in context:
            guard.mark()
            if element.getparent() is None:
                root_closed = True
            _release(element)
    except TooManyErrors:
        messages = [e.message for e in context.error_log if e.domain_name == "SCHEMASV"]
        stopped = _("more than %(count)d errors; the rest of the file was not checked.") % {
            "count": MAX_SCHEMA_ERRORS
        }
        return [*messages[:MAX_SCHEMA_ERRORS], stopped]
    except etree.XMLSyntaxError as exc:
        schema_errors, _parser_errors = _split_log(context.error_log)
        if not schema_errors:
            raise NotWellFormed from exc
        return [e.message for e in schema_errors]
    if not root_closed:
        raise NotWellFormed
    return []


def well_formedness_refusal(source: Source, *, max_bytes: int) -> PesFileRefused | None:
    """Parse ``source`` without schema; the refusal describing its first well-formedness
    error (with its line), or None when it is well-formed. A source that cannot be read again
    (a file object) gets a refusal without details. Side effect: reads the source."""
    if hasattr(source, "read"):
        return refuse("FILE_NOT_XML", _("The file is not well-formed XML."))
    with open_source(source, max_bytes=max_bytes) as (reader, _prolog, _size):
        guard = Guard()
        reader.observers.append(guard)
        context = etree.iterparse(
            reader,
            events=("end",),
            tag=RELEASE_TAGS + ROOT_TAGS,
            remove_comments=True,
            remove_pis=True,
            **SAFE_ITERPARSE_OPTIONS,
        )
        try:
            for _event, element in context:
                guard.mark()
                _release(element)
        except etree.XMLSyntaxError as exc:
            return syntax_error(exc)
    return None


def check_validation(source: Source, messages: list[str] | None, *, max_bytes: int) -> None:
    """After a validating pass: raise the well-formedness refusal if there is one.

    ``messages`` None means the pass raised :class:`NotWellFormed`. Side effect: reads the
    source again when the pass was not clean.
    """
    if messages == []:
        return
    refusal = well_formedness_refusal(source, max_bytes=max_bytes)
    if refusal is not None:
        raise refusal
    if messages is None:
        raise refuse("FILE_NOT_XML", _("The file is not well-formed XML."))


def _release(element: etree._Element) -> None:
    """Free a finished element and its earlier siblings (the classic iterparse pattern)."""
    element.clear(keep_tail=True)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def locate_schema_errors(
    reader: BoundedReader,
    schema: etree.XMLSchema,
    *,
    version: str,
    limit: int = 500,
    read_size: int = 2048,
) -> list[PesIssue]:
    """Validate again in small reads and tie each error to an element: line and path.

    Slower than :func:`validate_stream` (every element goes through Python), used only once a
    file is known to fail. An error that cannot be tied to an element keeps the line where its
    read started. Side effect: reads ``reader``.
    """
    small = _SmallReads(reader, read_size)
    context = etree.iterparse(
        small,
        events=("start", "end"),
        schema=schema,
        remove_comments=True,
        remove_pis=True,
        **SAFE_ITERPARSE_OPTIONS,
    )
    issues: list[PesIssue] = []
    stack: list[str] = []
    counters: list[dict[str, int]] = [{}]
    seen = 0
    batch_reads = -1
    batch: list[tuple[str, str, dict[str, str], int, str]] = []
    pending: list[str] = []

    def flush() -> None:
        used: set[int] = set()
        for message in pending:
            issues.append(_attach(message, batch, used, version))
        pending.clear()

    def on_error_batch() -> bool:
        return bool(pending)

    try:
        for event, element in context:
            if small.reads != batch_reads:
                flush()
                if len(issues) >= limit:
                    break
                batch.clear()
                batch_reads = small.reads
                log = context.error_log
                if len(log) > seen:
                    schema_errors, _parser = _split_log(list(log)[seen:])
                    pending.extend(e.message for e in schema_errors)
                    seen = len(log)
            name = localname(element.tag)
            if event == "start":
                counts = counters[-1]
                counts[name] = counts.get(name, 0) + 1
                stack.append(f"{name}[{counts[name]}]")
                counters.append({})
                if on_error_batch():
                    batch.append(
                        (
                            "start",
                            name,
                            dict(element.attrib),
                            element.sourceline or 0,
                            "/" + "/".join(stack),
                        )
                    )
            else:
                if on_error_batch():
                    batch.append(
                        (
                            "end",
                            name,
                            dict(element.attrib),
                            element.sourceline or 0,
                            "/" + "/".join(stack),
                        )
                    )
                stack.pop()
                counters.pop()
                _release(element)
    except etree.XMLSyntaxError:
        log = list(context.error_log)[seen:]
        schema_errors, _parser = _split_log(log)
        pending.extend(e.message for e in schema_errors)
    flush()
    return issues


def _attach(
    message: str,
    batch: list[tuple[str, str, dict[str, str], int, str]],
    used: set[int],
    version: str,
) -> PesIssue:
    name_match = _ELEMENT.search(message)
    attribute = _ATTRIBUTE.search(message)
    value = _VALUE.search(message)
    best: int | None = None
    if name_match:
        name = name_match.group(1)
        for index, (_event, candidate, attrs, _line, _path) in enumerate(batch):
            if candidate != name or index in used:
                continue
            if attribute and value and attrs.get(attribute.group(1)) != value.group(1):
                if best is None:
                    best = index
                continue
            best = index
            break
    if best is not None:
        used.add(best)
        _event, _name, _attrs, line, path = batch[best]
        return schema_issue(message, line=line or None, path=clean_path(path), version=version)
    read_line = batch[0][3] if batch else None
    return schema_issue(message, line=read_line or None, version=version)


def validate_xsd(
    source: Source,
    *,
    version: SchemaVersion = "5.17",
    max_bytes: int = DEFAULT_MAX_BYTES,
    locate: bool = True,
) -> list[PesIssue]:
    """Validate a PES_Aller against the DGFiP XSD, streaming; return the problems found.

    An empty list means valid. With ``locate`` (default) a failing file is read a second time
    to give each error its line and element path. Raises :class:`PesFileRefused` for files that
    are not acceptable XML (size, DTD, encoding, well-formedness). Side effect: reads the source.
    """
    schema = aller_schema(version)
    messages: list[str] | None
    with open_source(source, max_bytes=max_bytes) as (reader, _prolog, _size):
        try:
            messages = validate_stream(reader, schema)
        except NotWellFormed:
            messages = None
    check_validation(source, messages, max_bytes=max_bytes)
    if not messages:
        return []
    if locate and _rereadable(source):
        with open_source(source, max_bytes=max_bytes) as (reader, _prolog, _size):
            located = locate_schema_errors(reader, schema, version=version)
        if len(located) == len(messages):
            return located
    return [schema_issue(message, version=version) for message in messages]


def _rereadable(source: Source) -> bool:
    return not hasattr(source, "read")
