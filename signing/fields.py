"""Visible signature fields, created when a document is rendered, before any signature.

DESIGN.md decision 6: every field a circuit will fill exists before the first signature; a
field added later is an incremental change that validators may hold against the earlier
signatures (and after a certification signature pyHanko does). So the PDF renderer calls
:func:`add_signature_fields` and the circuits only ever fill existing fields.

Coordinates are PDF points (1/72 inch) from the bottom-left corner of the page; pages are
counted from 0.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .exceptions import SignatureFieldError

Box = tuple[float, float, float, float]

# A field's partial name may not contain a period (ISO 32000-1 §12.7.3.2); we also keep
# names printable and short because they appear in validation reports and pdfsig output.
_FIELD_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class FieldSpec:
    """A visible signature field to create: ``box`` is (x1, y1, x2, y2) in points."""

    name: str
    page_index: int
    box: Box


@dataclass(frozen=True)
class SignatureFieldInfo:
    """A signature field found in a document."""

    name: str
    page_index: int | None
    box: Box | None
    signed: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "page_index": self.page_index,
            "box": list(self.box) if self.box else None,
            "signed": self.signed,
        }


def add_signature_fields(pdf: bytes, specs: Sequence[FieldSpec | tuple[str, int, Box]]) -> bytes:
    """Return ``pdf`` with empty visible signature fields added, in one incremental update.

    ``specs`` are :class:`FieldSpec` or ``(name, page_index, (x1, y1, x2, y2))`` tuples. Refused
    (:class:`SignatureFieldError`) if a name is invalid or taken, a page does not exist, a box
    is empty or off the page, or the document already carries a signature (fields must exist
    before the first one). Pure function: no side effect.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields as pyhanko_fields

    from ._pdf import READ_ERRORS, open_reader, unreadable

    wanted = [s if isinstance(s, FieldSpec) else FieldSpec(s[0], s[1], tuple(s[2])) for s in specs]  # type: ignore[arg-type]
    if not wanted:
        return pdf
    reader = open_reader(pdf)
    existing = list_signature_fields(pdf)
    if any(f.signed for f in existing):
        raise SignatureFieldError(
            _(
                "This document is already signed: signature fields must all be created before "
                "the first signature."
            )
        )
    taken = {f.name for f in existing}
    try:
        page_boxes = [_page_box(page) for page in _pages(reader)]
    except READ_ERRORS as exc:
        raise unreadable(exc) from exc
    for spec in wanted:
        _check_spec(spec, taken=taken, page_boxes=page_boxes)
        taken.add(spec.name)

    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        for spec in wanted:
            pyhanko_fields.append_signature_field(
                writer,
                pyhanko_fields.SigFieldSpec(
                    sig_field_name=spec.name,
                    on_page=spec.page_index,
                    box=tuple(round(v) for v in spec.box),  # type: ignore[arg-type]
                ),
            )
        out = io.BytesIO()
        writer.write(out)
    except READ_ERRORS as exc:
        raise unreadable(exc) from exc
    return out.getvalue()


def _check_spec(spec: FieldSpec, *, taken: set[str], page_boxes: list[Box]) -> None:
    if not _FIELD_NAME.match(spec.name):
        raise SignatureFieldError(
            _(
                "“%(name)s” is not a valid signature field name (letters, digits, - and _, "
                "at most 64)."
            )
            % {"name": spec.name},
            field="name",
        )
    if spec.name in taken:
        raise SignatureFieldError(
            _("The document already has a field named “%(name)s”.") % {"name": spec.name},
            field="name",
        )
    if not 0 <= spec.page_index < len(page_boxes):
        raise SignatureFieldError(
            _("Page %(page)d does not exist: the document has %(count)d pages.")
            % {"page": spec.page_index + 1, "count": len(page_boxes)},
            field="page_index",
        )
    x1, y1, x2, y2 = spec.box
    px1, py1, px2, py2 = page_boxes[spec.page_index]
    if x2 - x1 < 10 or y2 - y1 < 10 or x1 < px1 or y1 < py1 or x2 > px2 or y2 > py2:
        raise SignatureFieldError(
            _("The box of field “%(name)s” is empty or outside its page.") % {"name": spec.name},
            field="box",
        )


def _pages(reader):  # type: ignore[no-untyped-def]
    root_pages = reader.root["/Pages"]
    count = int(root_pages["/Count"])
    for index in range(count):
        yield reader.find_page_for_modification(index)[0].get_object()


def _page_box(page) -> Box:  # type: ignore[no-untyped-def]
    x1, y1, x2, y2 = (float(v) for v in page["/MediaBox"])
    return (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))


def list_signature_fields(pdf: bytes) -> list[SignatureFieldInfo]:
    """The document's signature fields, in form order (no side effect).

    Raises :class:`~signing.exceptions.InvalidDocument` for unreadable input.
    """
    from pyhanko.sign import fields as pyhanko_fields

    from ._pdf import READ_ERRORS, open_reader, unreadable

    reader = open_reader(pdf)
    try:
        # Widgets are found through the pages' /Annots: /P on a widget is optional.
        annot_pages: dict[tuple[int, int], int] = {}
        for index, page in enumerate(_pages(reader)):
            for annot in page.get("/Annots", ()):
                if hasattr(annot, "idnum"):
                    annot_pages[(annot.idnum, annot.generation)] = index
        found = []
        for name, value, field_ref in pyhanko_fields.enumerate_sig_fields(reader):
            widget_ref = field_ref
            widget = field_ref.get_object()
            if "/Kids" in widget:  # field with separate widget annotations: use the first
                widget_ref = widget.raw_get("/Kids")[0]
                widget = widget_ref.get_object()
            rect = widget.get("/Rect")
            box = tuple(float(v) for v in rect) if rect is not None else None
            found.append(
                SignatureFieldInfo(
                    name=str(name),
                    page_index=annot_pages.get((widget_ref.idnum, widget_ref.generation)),
                    box=box if box and any(box) else None,  # type: ignore[arg-type]
                    signed=value is not None,
                )
            )
    except READ_ERRORS as exc:
        raise unreadable(exc) from exc
    return found
