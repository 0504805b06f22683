"""Drawing the pages of other PDFs (annexes, stored acts) under pages that WeasyPrint laid out.

Appended annexes and séance packs need foreign pages numbered "page X / Y" with Délibre's own
embedded font, in the same single revision as the rest of the document (no incremental update
that a later signature would have to explain). So the layout contains one empty *placeholder
page* per foreign page, of the same size, whose margin boxes carry the page numbers; just
before WeasyPrint writes the file, :class:`Grafter` copies each foreign page into the PDF as a
form XObject and draws it *under* its placeholder.

Copying objects as raw bytes (streams keep their filters) costs little and never parses
content streams. Widget appearances (visible signatures of stored acts) are flattened into the
page, since a pack carries no form; URI links are kept; other annotations, the foreign outline
and structure tree are dropped.

A foreign page that is not PDF/A (fonts not embedded, say) makes the result claim a PDF/A
conformance that it does not have: annexes should be checked or converted on upload.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from .exceptions import InvalidAnnexPdf

Matrix = tuple[float, float, float, float, float, float]

# Annotation flags (ISO 32000-1, 12.5.3).
_HIDDEN, _PRINT, _NO_VIEW = 2, 4, 32


@dataclass(frozen=True, slots=True)
class ForeignPage:
    """One page of a foreign PDF and its displayed size in points (after /Rotate)."""

    reader: Any
    page: Any
    width: float
    height: float


def open_pdf(data: bytes) -> Any:
    """Parse PDF bytes with pypdf; refuse encrypted or unreadable files."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise InvalidAnnexPdf()
        _ = len(reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError) as error:
        raise InvalidAnnexPdf() from error
    return reader


def foreign_pages(reader: Any) -> list[ForeignPage]:
    """The pages of ``reader`` with their displayed sizes."""
    pages = []
    for page in reader.pages:
        box = page.cropbox
        width, height = float(box.width), float(box.height)
        if _rotation(page) in (90, 270):
            width, height = height, width
        pages.append(ForeignPage(reader=reader, page=page, width=width, height=height))
    return pages


def _rotation(page: Any) -> int:
    return int(page.get("/Rotate", 0) or 0) % 360


def _display_matrix(page: Any) -> Matrix:
    """Maps the foreign page's user space to a (0, 0, width, height) displayed page."""
    box = page.cropbox
    x0, y0 = float(box.left), float(box.bottom)
    cw, ch = float(box.width), float(box.height)
    a, b, c, d, e, f = {
        0: (1, 0, 0, 1, 0, 0),
        90: (0, -1, 1, 0, 0, cw),
        180: (-1, 0, 0, -1, cw, ch),
        270: (0, 1, -1, 0, ch, 0),
    }[_rotation(page)]
    return (a, b, c, d, e - a * x0 - c * y0, f - b * x0 - d * y0)


def _multiply(first: Matrix, then: Matrix) -> Matrix:
    """The matrix applying ``first`` then ``then`` (PDF row-vector convention)."""
    a1, b1, c1, d1, e1, f1 = first
    a2, b2, c2, d2, e2, f2 = then
    return (
        a1 * a2 + b1 * c2,
        a1 * b2 + b1 * d2,
        c1 * a2 + d1 * c2,
        c1 * b2 + d1 * d2,
        e1 * a2 + f1 * c2 + e2,
        e1 * b2 + f1 * d2 + f2,
    )


def _transform_rect(matrix: Matrix, rect: tuple[float, ...]) -> tuple[float, float, float, float]:
    a, b, c, d, e, f = matrix
    x1, y1, x2, y2 = rect
    points = [(a * x + c * y + e, b * x + d * y + f) for x in (x1, x2) for y in (y1, y2)]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


def _number(value: float) -> bytes:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return (text if text not in ("", "-0") else "0").encode("ascii")


def _cm(matrix: Matrix) -> bytes:
    return b" ".join(_number(v) for v in matrix) + b" cm"


class Grafter:
    """Copies pypdf objects into a pydyf PDF that WeasyPrint is about to write."""

    def __init__(self, pdf: Any) -> None:
        self.pdf = pdf
        self._memo: dict[tuple[int, int, int], bytes] = {}
        self._names = 0
        resources_ref = pdf.objects[pdf.pages["Kids"][0]]["Resources"]
        self._resources = pdf.objects[int(resources_ref.split()[0])]
        self._xobjects = self._resources.setdefault("XObject", _pydyf().Dictionary())

    # Copy ------------------------------------------------------------------------------------

    def _serialise(self, obj: Any) -> bytes:
        buffer = io.BytesIO()
        obj.write_to_stream(buffer)
        return buffer.getvalue()

    def copy(self, obj: Any, reader: Any) -> Any:
        """A pydyf value (object or raw bytes) equal to the pypdf value ``obj``."""
        from pypdf import generic

        pydyf = _pydyf()
        if isinstance(obj, generic.IndirectObject):
            key = (id(reader), obj.idnum, obj.generation)
            if key in self._memo:
                return self._memo[key]
            target = obj.get_object()
            if isinstance(target, generic.DictionaryObject) and target.get("/Type") in (
                "/Page",
                "/Pages",
            ):
                # A back link (annotation /P, structure /Pg…): never drag the foreign page
                # tree in.
                return b"null"
            if isinstance(target, generic.StreamObject):
                new: Any = pydyf.Stream([], pydyf.Dictionary())
            elif isinstance(target, generic.DictionaryObject):
                new = pydyf.Dictionary()
            elif isinstance(target, generic.ArrayObject):
                new = pydyf.Array()
            else:
                return self.copy(target, reader)
            self.pdf.add_object(new)
            # Registered before filling, so that reference cycles end.
            self._memo[key] = new.reference
            self._fill(new, target, reader)
            return new.reference
        if isinstance(obj, generic.StreamObject):
            stream = pydyf.Stream([], pydyf.Dictionary())
            self._fill(stream, obj, reader)
            self.pdf.add_object(stream)
            return stream.reference
        if isinstance(obj, generic.DictionaryObject):
            new = pydyf.Dictionary()
            self._fill(new, obj, reader)
            return new
        if isinstance(obj, generic.ArrayObject):
            new = pydyf.Array()
            self._fill(new, obj, reader)
            return new
        return self._serialise(obj)

    def _fill(self, new: Any, source: Any, reader: Any) -> None:
        from pypdf import generic

        if isinstance(source, generic.StreamObject):
            for key in source:
                if key != "/Length":
                    new.extra[self._serialise(generic.NameObject(key))[1:].decode()] = self.copy(
                        source.raw_get(key), reader
                    )
            # Raw (still encoded) bytes: the filters are copied with the dictionary.
            new.stream = [source._data]
        elif isinstance(source, generic.DictionaryObject):
            for key in source:
                new[self._serialise(generic.NameObject(key))[1:].decode()] = self.copy(
                    source.raw_get(key), reader
                )
        else:
            new.extend(self.copy(item, reader) for item in source)

    # Drawing ---------------------------------------------------------------------------------

    def _register(self, reference: bytes) -> str:
        self._names += 1
        name = f"DlbF{self._names}"
        self._xobjects[name] = reference
        return name

    def _page_xobject(self, foreign: ForeignPage) -> bytes:
        from pypdf import generic

        pydyf = _pydyf()
        page, reader = foreign.page, foreign.reader
        box = page.cropbox
        extra = pydyf.Dictionary(
            {
                "Type": "/XObject",
                "Subtype": "/Form",
                "BBox": pydyf.Array(
                    [_number(float(v)) for v in (box.left, box.bottom, box.right, box.top)]
                ),
            }
        )
        if "/Resources" in page:
            extra["Resources"] = self.copy(page.raw_get("/Resources"), reader)
        if "/Group" in page:
            extra["Group"] = self.copy(page.raw_get("/Group"), reader)
        contents = page.get("/Contents")
        streams: list[Any]
        if contents is None:
            streams = []
        elif isinstance(contents, generic.ArrayObject):
            streams = [item.get_object() for item in contents]
        else:
            streams = [contents]
        if len(streams) == 1:
            # Fast path: keep the encoded bytes and their filter.
            source = streams[0]
            for key in ("/Filter", "/DecodeParms"):
                if key in source:
                    extra[key[1:]] = self.copy(source.raw_get(key), reader)
            stream = pydyf.Stream([source._data], extra)
        else:
            data = b"\n".join(item.get_data() for item in streams)
            stream = pydyf.Stream([data], extra, compress=True)
        self.pdf.add_object(stream)
        return stream.reference

    def _widget_drawings(self, foreign: ForeignPage, display: Matrix) -> list[bytes]:
        """Content operators that paint the printable widget appearances (flattening)."""
        from pypdf import generic

        drawings = []
        for annot_ref in foreign.page.get("/Annots") or []:
            annot = annot_ref.get_object()
            flags = int(annot.get("/F", 0))
            if annot.get("/Subtype") != "/Widget" or not flags & _PRINT or flags & _HIDDEN:
                continue
            appearance = (annot.get("/AP") or {}).get("/N")
            if isinstance(appearance, generic.DictionaryObject) and not isinstance(
                appearance, generic.StreamObject
            ):
                appearance = appearance.get(annot.get("/AS", "/Off"))
            if not isinstance(appearance, generic.StreamObject):
                continue
            ap_ref = annot["/AP"].raw_get("/N")
            if not isinstance(ap_ref, generic.IndirectObject):
                continue
            matrix = tuple(float(v) for v in appearance.get("/Matrix", (1, 0, 0, 1, 0, 0)))
            bx1, by1, bx2, by2 = _transform_rect(
                matrix, tuple(float(v) for v in appearance["/BBox"])
            )
            rx1, ry1, rx2, ry2 = (float(v) for v in annot["/Rect"])
            if bx2 - bx1 <= 0 or by2 - by1 <= 0:
                continue
            sx, sy = (rx2 - rx1) / (bx2 - bx1), (ry2 - ry1) / (by2 - by1)
            fit = (sx, 0.0, 0.0, sy, rx1 - sx * bx1, ry1 - sy * by1)
            name = self._register(self.copy(ap_ref, foreign.reader))
            drawings.append(b"q " + _cm(_multiply(fit, display)) + b" /" + name.encode() + b" Do Q")
        return drawings

    def _links(self, foreign: ForeignPage, display: Matrix) -> list[Any]:
        pydyf = _pydyf()
        links = []
        for annot_ref in foreign.page.get("/Annots") or []:
            annot = annot_ref.get_object()
            action = annot.get("/A")
            if annot.get("/Subtype") != "/Link" or not action or action.get("/S") != "/URI":
                continue
            rect = _transform_rect(display, tuple(float(v) for v in annot["/Rect"]))
            link = pydyf.Dictionary(
                {
                    "Type": "/Annot",
                    "Subtype": "/Link",
                    "Rect": pydyf.Array([_number(v) for v in rect]),
                    "Border": pydyf.Array([0, 0, 0]),
                    "F": _PRINT,
                    "A": pydyf.Dictionary({"S": "/URI", "URI": self._serialise(action["/URI"])}),
                }
            )
            self.pdf.add_object(link)
            links.append(link.reference)
        return links

    def underlay(self, page_index: int, foreign: ForeignPage) -> None:
        """Draw ``foreign`` under the WeasyPrint page ``page_index`` (same size)."""
        pydyf = _pydyf()
        page = self.pdf.objects[self.pdf.pages["Kids"][page_index * 3]]
        media = [float(v) for v in page["MediaBox"]]
        display = _display_matrix(foreign.page)
        # WeasyPrint pages start at (0, 0) unless bleed is set; follow their origin anyway.
        display = _multiply(display, (1, 0, 0, 1, media[0], media[1]))
        name = self._register(self._page_xobject(foreign))
        operators = [b"q " + _cm(display) + b" /" + name.encode() + b" Do Q"]
        operators += self._widget_drawings(foreign, display)
        underlay = pydyf.Stream([b"\n".join(operators)], pydyf.Dictionary())
        self.pdf.add_object(underlay)
        contents = page["Contents"]
        page["Contents"] = pydyf.Array([underlay.reference, contents])
        links = self._links(foreign, display)
        if links:
            page.setdefault("Annots", pydyf.Array()).extend(links)


def _pydyf() -> Any:
    import pydyf

    return pydyf
