"""Document rendering engine: data snapshots to archival PDF (DESIGN.md decision 5, issue 4).

Public API:

- :func:`render_pdf` — one registered document (``templates/pdf/…``) from its snapshot;
- :func:`render_html` — the same document as HTML, for a screen preview (no WeasyPrint);
- :func:`assemble_pack` — a séance pack assembled from stored PDFs;
- :class:`SignatureFieldSpec`, :class:`PlacedSignatureField`, :class:`RenderedPdf`.

Snapshot schemas: ``exports/documents/SNAPSHOTS.md``. WeasyPrint is imported on first render.
"""

from .pack import assemble_pack
from .renderer import document_templates, render_html, render_pdf
from .specs import PlacedSignatureField, RenderedPdf, SignatureFieldSpec

__all__ = [
    "PlacedSignatureField",
    "RenderedPdf",
    "SignatureFieldSpec",
    "assemble_pack",
    "document_templates",
    "render_html",
    "render_pdf",
]
