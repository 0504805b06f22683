"""Digesting each Bordereau of a flow while streaming, as an enveloped XAdES reference sees it.

A bordereau signature references ``#<Bordereau/@Id>`` with the transforms enveloped-signature
then exclusive C14N. Canonicalising a whole 10,000-pièce bordereau as one lxml subtree would
hold ~150 MB of tree; :func:`walk_bordereaux` instead feeds the hash child by child during an
``iterparse`` pass: the start tag (canonicalised from a childless copy), each finished child
(``etree.tostring(child, method="c14n", exclusive=True)``), the text between children, the end
tag. Exclusive C14N renders namespaces where they are used, so a child canonicalised alone
gives the same bytes as inside its bordereau; comments are dropped by the parser, as C14N
without comments drops them. The ``ds:Signature`` child is skipped (the enveloped-signature
transform) but its tail is kept. Tests compare the result with lxml's whole-tree C14N.

:class:`MarkupScanner` finds, in the raw bytes of the same read, where each ``<Bordereau``
start tag name ends and where each ``</Bordereau>`` begins (skipping comments, CDATA and
processing instructions), so a signer can insert bytes without re-serialising the file.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from lxml import etree

from ._xmlio import SAFE_ITERPARSE_OPTIONS, BoundedReader, check_no_doctype, refuse, syntax_error
from .exceptions import PesFileRefused
from .model import Kind
from .schemas import Guard

NS_ALLER = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
ROOT_TAG = f"{{{NS_ALLER}}}PES_Aller"
SIGNATURE_TAG = f"{{{NS_DS}}}Signature"
_KINDS: dict[str, Kind] = {"PES_DepenseAller": "depense", "PES_RecetteAller": "recette"}
_TAGS = (
    "Bordereau",
    "BlocBordereau",
    "Piece",
    SIGNATURE_TAG,
    "EnTeteDepense",
    "EnTeteRecette",
    "PES_DepenseAller",
    "PES_RecetteAller",
    "PES_PJ",
    "PES_Facture",
    "PES_Marche",
    "PJ",
)


_BLOCKS = ("PES_DepenseAller", "PES_RecetteAller", "PES_PJ", "PES_Facture", "PES_Marche")


def canonical_text(text: str | None) -> bytes:
    """Character data as C14N writes it (UTF-8; &, <, > and CR escaped)."""
    if not text:
        return b""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\r", "&#xD;")
        .encode("utf-8")
    )


def exc_c14n(element: etree._Element) -> bytes:
    """Exclusive C14N 1.0 without comments. A subtree that C14N forbids (a relative namespace
    URI, for one) is refused as a file error."""
    try:
        return etree.tostring(element, method="c14n", exclusive=True, with_comments=False)
    except (etree.C14NError, ValueError) as exc:
        raise _cannot_canonicalise(element) from exc


def _cannot_canonicalise(element: etree._Element) -> PesFileRefused:
    return refuse(
        "FILE_NOT_XML",
        _("The element at line %(line)s cannot be canonicalised (is a namespace URI relative?).")
        % {"line": element.sourceline},
        line=element.sourceline,
    )


class _Hashes:
    def __init__(self, algorithms: Iterable[str]):
        self.hashes = {name: hashlib.new(name) for name in algorithms}

    def update(self, data: bytes) -> None:
        for h in self.hashes.values():
            h.update(data)

    def digests(self) -> dict[str, bytes]:
        return {name: h.digest() for name, h in self.hashes.items()}


@dataclass(slots=True)
class WalkedBordereau:
    """A bordereau as seen by a signer or a verifier."""

    kind: Kind
    index: int  # 1-based in its domain block
    position: int  # 1-based among all bordereaux of the file
    element_id: str | None
    id_added: bool = False  # the Id came from ``extra_id``, not from the file
    exercice: str | None = None
    id_bord: str | None = None
    mt_cumul_annuel: str | None = None
    line: int | None = None
    digests: dict[str, bytes] = field(default_factory=dict)
    signatures: list[etree._Element] = field(default_factory=list)  # detached copies


@dataclass(slots=True)
class WalkResult:
    domains: dict[Kind, dict[str, str | None]] = field(default_factory=dict)
    bordereaux: list[WalkedBordereau] = field(default_factory=list)
    has_global_signature: bool = False
    root_id: str | None = None
    ids: set[str] = field(default_factory=set)


class _Current:
    def __init__(self, walked: WalkedBordereau, element: etree._Element, hashes: _Hashes):
        self.walked = walked
        self.element = element
        self.hashes = hashes
        self.end_tag = b""
        self.started = False


def walk_bordereaux(
    reader: BoundedReader,
    *,
    algorithms: Iterable[str],
    extra_id: Callable[[Kind, etree._Element], str | None] | None = None,
    on_bordereau: Callable[[WalkedBordereau], None] | None = None,
) -> WalkResult:
    """One pass over a PES_Aller: the enveloped exc-C14N digest of every bordereau.

    ``extra_id(kind, bordereau_element)`` may return an Id to add to a bordereau that has none
    (the signer adds it to the file; the digest must include it). ``on_bordereau`` is called at
    each bordereau's end. Raises :class:`~exports.pes.exceptions.PesFileRefused` for input that
    is not well-formed or not a PES_Aller. Side effect: reads ``reader``.
    """
    algorithms = tuple(algorithms)
    result = WalkResult()
    counts: dict[Kind, int] = {"depense": 0, "recette": 0}
    current: _Current | None = None
    guard = Guard()
    reader.observers.append(guard)
    context = etree.iterparse(
        reader,
        events=("end",),
        tag=_TAGS,
        remove_comments=True,
        remove_pis=False,
        **SAFE_ITERPARSE_OPTIONS,
    )
    root_checked = False
    try:
        for _event, element in context:
            guard.mark_at = guard.tags
            parent = element.getparent()
            if current is not None and parent is current.element and element.tag == "Piece":
                # The hot path: 100,000 times for a 100,000-pièce flow.
                _flush(current, upto=element)
                continue
            if not root_checked:
                root_checked = True
                _check_root(element, result)
            tag = element.tag
            parent_tag = parent.tag if parent is not None else None
            if tag == "Bordereau" and parent_tag in _KINDS:
                if current is None or current.element is not element:
                    current = _start(element, parent_tag, counts, result, algorithms, extra_id)
                _flush(current, upto=None)
                current.hashes.update(current.end_tag)
                current.walked.digests = current.hashes.digests()
                result.bordereaux.append(current.walked)
                if on_bordereau is not None:
                    on_bordereau(current.walked)
                current = None
                _release(element)
            elif parent_tag == "Bordereau" and _parent_tag(parent) in _KINDS:
                if current is None or current.element is not parent:
                    current = _start(
                        parent, _parent_tag(parent), counts, result, algorithms, extra_id
                    )
                if tag == "BlocBordereau":
                    values = {c.tag: c.get("V") for c in element}
                    current.walked.exercice = values.get("Exer")
                    current.walked.id_bord = values.get("IdBord")
                    current.walked.mt_cumul_annuel = values.get("MtCumulAnnuel")
                elif tag == SIGNATURE_TAG:
                    current.walked.signatures.append(copy.deepcopy(element))
                _flush(current, upto=element)
            elif tag in ("EnTeteDepense", "EnTeteRecette") and parent_tag in _KINDS:
                result.domains[_KINDS[parent_tag]] = {c.tag: c.get("V") for c in element}
            elif tag == SIGNATURE_TAG and parent_tag == ROOT_TAG:
                result.has_global_signature = True
                _release(element)
            elif (tag in _BLOCKS and parent_tag == ROOT_TAG) or (
                tag == "PJ" and parent_tag == "PES_PJ"
            ):
                _release(element)
    except etree.XMLSyntaxError as exc:
        raise syntax_error(exc) from exc
    if not root_checked:
        raise refuse("FILE_ROOT", _("This is not a PES_Aller flow."))
    return result


def _check_root(element: etree._Element, result: WalkResult) -> None:
    root = element.getroottree().getroot()
    check_no_doctype(root)
    if root.tag != ROOT_TAG:
        raise refuse("FILE_ROOT", _("This is not a PES_Aller flow."), line=root.sourceline)
    result.root_id = root.get("Id")
    if result.root_id:
        result.ids.add(result.root_id)


def _parent_tag(element: etree._Element | None) -> str | None:
    parent = element.getparent() if element is not None else None
    return parent.tag if parent is not None else None  # type: ignore[return-value]


def _start(
    element: etree._Element,
    parent_tag: Any,
    counts: dict[Kind, int],
    result: WalkResult,
    algorithms: tuple[str, ...],
    extra_id: Callable[[Kind, etree._Element], str | None] | None,
) -> _Current:
    kind = _KINDS[parent_tag]
    counts[kind] += 1
    element_id = element.get("Id")
    attributes = dict(element.attrib)
    id_added = False
    if element_id is None and extra_id is not None:
        added = extra_id(kind, element)
        if added:
            attributes["Id"] = added
            element_id, id_added = added, True
    if element_id:
        result.ids.add(element_id)
    walked = WalkedBordereau(
        kind=kind,
        index=counts[kind],
        position=len(result.bordereaux) + 1,
        element_id=element_id,
        id_added=id_added,
        line=element.sourceline,
    )
    current = _Current(walked, element, _Hashes(algorithms))
    try:
        shallow = etree.Element(element.tag, attrib=attributes, nsmap=element.nsmap)
    except ValueError as exc:
        raise _cannot_canonicalise(element) from exc
    canonical = exc_c14n(shallow)
    split = canonical.rindex(b"</")
    current.hashes.update(canonical[:split])
    current.end_tag = canonical[split:]
    return current


def _flush(current: _Current, *, upto: etree._Element | None) -> None:
    """Hash the children of the bordereau that are complete (all before ``upto``; all of them
    when ``upto`` is None), with the text around them, then free them."""
    element = current.element
    hashes = current.hashes
    if not current.started:
        current.started = True
        hashes.update(canonical_text(element.text))
    while len(element):
        child = element[0]
        if child is upto:
            return
        if child.tag == SIGNATURE_TAG:
            pass  # enveloped-signature transform: the element goes, its tail stays
        elif isinstance(child, etree._ProcessingInstruction):
            hashes.update(_canonical_pi(child))
        else:
            hashes.update(exc_c14n(child))
        hashes.update(canonical_text(child.tail))
        del element[0]


def _canonical_pi(pi: etree._ProcessingInstruction) -> bytes:
    text = pi.text or ""
    return f"<?{pi.target}{' ' + text if text else ''}?>".encode()


def _release(element: etree._Element) -> None:
    element.clear(keep_tail=True)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


# --- raw byte positions -----------------------------------------------------------------------

_MARKUP = re.compile(
    rb"<(?:(!--)|(!\[CDATA\[)|(\?)|(/?)(Bordereau|EnTeteDepense|EnTeteRecette)(\s*/?>|\s))"
)
_CLOSERS = {1: b"-->", 2: b"]]>", 3: b"?>"}
_KEEP = 256  # bytes kept between reads so that a tag split by a read is still found
# Single bytes are found with memchr; "<!" would stop at every "<" of the flow.
_NEEDLES = (b"!", b"?", b"Bordereau", b"EnTete")


@dataclass(slots=True)
class Mark:
    name: str
    end_tag: bool
    start: int  # offset of "<"
    name_end: int  # offset just after the element name
    end: int | None  # offset after ">" when the match includes it


class MarkupScanner:
    """Observer of a :class:`~exports.pes._xmlio.BoundedReader`: records :class:`Mark` for the
    start and end tags of Bordereau, EnTeteDepense and EnTeteRecette."""

    def __init__(self) -> None:
        self.marks: list[Mark] = []
        self._carry = b""
        self._closer: bytes | None = None

    def __call__(self, chunk: bytes, offset: int) -> None:
        self._scan(chunk, offset, final=not chunk)

    def finish(self) -> None:
        self._scan(b"", None, final=True)

    def _scan(self, chunk: bytes, offset: int | None, *, final: bool) -> None:
        buffer = self._carry + chunk
        base = (offset if offset is not None else self._end) - len(self._carry)
        self._end = base + len(buffer)
        limit = len(buffer) if final else len(buffer) - _KEEP
        pos = 0
        while True:
            if self._closer is not None:
                found = buffer.find(self._closer, pos)
                if found < 0:
                    pos = max(pos, len(buffer) - len(self._closer) + 1)
                    break
                pos = found + len(self._closer)
                self._closer = None
                continue
            match = self._next_match(buffer, pos, limit)
            if match is None:
                # Keep two bytes before the limit: a "<" or "</" there may start a name that
                # only the next read completes.
                pos = max(pos, limit - 2)
                break
            for group, closer in _CLOSERS.items():
                if match.group(group):
                    self._closer = closer
                    break
            else:
                end_tag = match.group(4) == b"/"
                tail = match.group(6)
                if not end_tag or tail.endswith(b">"):
                    self.marks.append(
                        Mark(
                            name=match.group(5).decode("ascii"),
                            end_tag=end_tag,
                            start=base + match.start(),
                            name_end=base + match.end(5),
                            end=base + match.end() if tail.endswith(b">") else None,
                        )
                    )
            pos = match.end()
        self._carry = buffer[max(0, min(pos, len(buffer))) :]

    @staticmethod
    def _next_match(buffer: bytes, pos: int, limit: int) -> re.Match[bytes] | None:
        """The next markup of interest starting before ``limit``. ``bytes.find`` skips to the
        rare places worth a regex (a flow has millions of "<", a few dozen of these)."""
        while True:
            candidates = [buffer.find(needle, pos) for needle in _NEEDLES]
            found = [c for c in candidates if c >= 0]
            if not found:
                return None
            at = min(found)
            if buffer[at - 1 : at] == b"<":
                start = at - 1
            elif buffer[at - 2 : at] == b"</":
                start = at - 2
            else:  # in text or an attribute value, or a longer name (BlocBordereau)
                pos = at + 1
                continue
            if start >= limit:
                return None
            match = _MARKUP.match(buffer, start)
            if match is not None:
                return match
            pos = at + 1

    _end: int = 0
