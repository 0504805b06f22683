"""Value objects exchanged with the renderer: signature field requests and rendering results."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from .exceptions import InvalidSnapshot

#: PDF field partial names may not contain a period; we also keep them to ASCII identifiers so
#: that they are valid HTML ids and readable in every signing tool.
FIELD_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,62}$")


@dataclass(frozen=True, slots=True)
class SignatureFieldSpec:
    """An empty visible signature field to create at render time, e.g. ``Sig_Maire``.

    The template draws a placeholder box with the HTML id ``delibre-sig-<name>``; the field is
    created exactly over that box. ``label`` becomes the field's tooltip (``/TU``).
    """

    name: str
    label: str = ""

    def __post_init__(self) -> None:
        if not FIELD_NAME_RE.match(self.name):
            raise InvalidSnapshot(
                _("A signature field name may only hold letters, digits, _ and -."),
                field="signature_fields",
            )


@dataclass(frozen=True, slots=True)
class PlacedSignatureField:
    """Where a signature field was created.

    ``page`` is 0-based (as pyHanko's ``SigFieldSpec.on_page``); ``box`` is
    ``(x1, y1, x2, y2)`` in PDF points from the bottom-left corner of the page.
    """

    name: str
    label: str
    page: int
    box: tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class RenderedPdf:
    """The result of :func:`exports.documents.render_pdf`.

    ``template_sha256`` covers everything but the data that decides the bytes (templates,
    stylesheets, fonts, renderer and library versions); ``snapshot_sha256`` covers the data
    (snapshot, customisation, requested signature fields and the files they name). Two renders
    with the same pair of hashes give the same bytes.
    """

    content: bytes
    template_sha256: str
    snapshot_sha256: str
    page_count: int
    signature_fields: tuple[PlacedSignatureField, ...] = field(default=())

    @property
    def content_sha256(self) -> str:
        import hashlib

        return hashlib.sha256(self.content).hexdigest()
