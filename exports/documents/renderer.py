"""``render_pdf``: a data snapshot in, archival PDF bytes out (DESIGN.md decision 5).

Pipeline, all in one process and one PDF revision:

1. the document's builder checks the snapshot and prepares the template context (dates and
   amounts formatted under the snapshot's language, French by default);
2. Django renders ``templates/pdf/<document>.html`` under ``translation.override``;
3. WeasyPrint lays it out with the shared font configuration and the cached stylesheets of
   the document family, plus a small generated stylesheet (customisation colour, translated
   margin strings, sizes of foreign pages);
4. just before the file is written (WeasyPrint ``finisher``), foreign pages (appended annexes)
   are drawn under their placeholder pages and the empty signature fields are created over the
   placeholder boxes found in the layout;
5. WeasyPrint writes PDF/A-3b, tagged, with creation dates taken from ``snapshot["rendered_at"]``
   and a file identifier derived from the input and engine hashes: the same snapshot always
   gives the same bytes.

Nothing is ever added to a document after it is returned: signatures go into the fields
created here (notes/signing.md §1.4).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from . import engine
from .context import Customisation, parse_customisation, parse_datetime, req
from .exceptions import InvalidSnapshot, SignaturePlaceholderMissing, UnknownDocument
from .graft import ForeignPage, Grafter
from .hashing import canonical_json, sha256_hex, template_sha256
from .specs import PlacedSignatureField, RenderedPdf, SignatureFieldSpec

#: CSS pixels to PDF points (WeasyPrint lays out at 96 px per inch, PDF counts 72 pt).
PX_TO_PT = 0.75
FIELD_ID_PREFIX = "delibre-sig-"
FOREIGN_ID_PREFIX = "delibre-foreign-"


@dataclass(frozen=True)
class BundledFile:
    """A file embedded in the PDF as a PDF/A-3 associated file (``/AF``)."""

    filename: str
    description: str
    content: bytes


@dataclass
class Prepared:
    """What a document builder hands to the renderer."""

    context: dict[str, Any]
    family: str
    title: str
    header_text: str = ""
    page_label: str = ""
    foreign_pages: list[ForeignPage] = field(default_factory=list)
    foreign_label: str = ""
    foreign_stamp_at_top: bool = False
    bundled: list[BundledFile] = field(default_factory=list)


Builder = Callable[[Mapping[str, Any], Mapping[str, bytes], Customisation], Prepared]


def _registry() -> dict[str, Builder]:
    from . import acts, proofs, seances

    return {
        "pdf/act.html": acts.build_act,
        "pdf/seance/convocation.html": seances.build_convocation,
        "pdf/seance/agenda.html": seances.build_agenda,
        "pdf/seance/synthesis.html": seances.build_synthesis,
        "pdf/seance/minutes.html": seances.build_minutes,
        "pdf/seance/deliberation_list.html": seances.build_deliberation_list,
        "pdf/proof.html": proofs.build_proof,
    }


#: Every registered PDF document template.
def document_templates() -> tuple[str, ...]:
    return tuple(_registry())


def render_pdf(
    *,
    template_name: str,
    snapshot: Mapping[str, Any],
    signature_fields: Sequence[SignatureFieldSpec] = (),
    customisation: Mapping[str, Any] | None = None,
    files: Mapping[str, bytes] | None = None,
) -> RenderedPdf:
    """Render one registered document from its data snapshot to PDF/A-3b bytes.

    ``files`` maps the SHA-256 of each file the snapshot names (logo, annexes) to its bytes;
    each is checked against its hash. ``signature_fields`` lists the empty visible signature
    fields to create; the template must have drawn a placeholder box for each.

    Pure: no database, no storage, no network; reads only the templates, stylesheets and fonts
    shipped with the code. Raises a :class:`~exports.documents.exceptions.DocumentError`
    subclass for unusable input.
    """
    builder = _registry().get(template_name)
    if builder is None:
        raise UnknownDocument(field="template_name")
    if not isinstance(snapshot, Mapping):
        raise InvalidSnapshot()
    fields = tuple(signature_fields)
    if len({spec.name for spec in fields}) != len(fields):
        raise InvalidSnapshot(
            _("Two signature fields have the same name."), field="signature_fields"
        )
    custom = parse_customisation(customisation)
    snapshot_sha256 = sha256_hex(
        canonical_json(
            {
                "snapshot": snapshot,
                "customisation": dict(customisation or {}),
                "signature_fields": [[spec.name, spec.label] for spec in fields],
            }
        )
    )
    language = snapshot.get("language") or "fr"
    with translation.override(language):
        prepared = builder(snapshot, files or {}, custom)
    return render_prepared(
        template_name=template_name,
        prepared=prepared,
        snapshot=snapshot,
        snapshot_sha256=snapshot_sha256,
        custom=custom,
        fields=fields,
    )


def render_html(
    *,
    template_name: str,
    snapshot: Mapping[str, Any],
    customisation: Mapping[str, Any] | None = None,
    files: Mapping[str, bytes] | None = None,
) -> tuple[str, str]:
    """The document's HTML and its family (``act``, ``seance``, ``proof``), for a screen preview.

    Same checks and context as :func:`render_pdf`, without WeasyPrint: cheap enough for a web
    request. Appended annexes are only listed (their pages are drawn in the PDF).
    """
    builder = _registry().get(template_name)
    if builder is None:
        raise UnknownDocument(field="template_name")
    if not isinstance(snapshot, Mapping):
        raise InvalidSnapshot()
    custom = parse_customisation(customisation)
    language = snapshot.get("language") or "fr"
    with translation.override(language):
        prepared = builder(snapshot, files or {}, custom)
        prepared.context["foreign_pages"] = []
        return render_to_string(template_name, prepared.context), prepared.family


def render_prepared(
    *,
    template_name: str,
    prepared: Prepared,
    snapshot: Mapping[str, Any],
    snapshot_sha256: str,
    custom: Customisation,
    fields: Sequence[SignatureFieldSpec] = (),
) -> RenderedPdf:
    """Render an already prepared context (used by :func:`render_pdf` and the pack)."""
    engine_sha256 = template_sha256()
    language = snapshot.get("language") or "fr"
    with translation.override(language):
        html = render_to_string(template_name, prepared.context)
        generated_css = _generated_css(prepared, custom)
    rendered_at = parse_datetime(req(snapshot, "rendered_at", "snapshot"), "snapshot.rendered_at")
    content, page_count, placed = _write(
        html=html,
        prepared=prepared,
        generated_css=generated_css,
        fields=fields,
        identifier=sha256_hex(f"{engine_sha256}:{snapshot_sha256}".encode())[:32].encode(),
        rendered_at=rendered_at,
    )
    return RenderedPdf(
        content=content,
        template_sha256=engine_sha256,
        snapshot_sha256=snapshot_sha256,
        page_count=page_count,
        signature_fields=placed,
    )


def _css_string(text: str) -> str:
    escaped = "".join(
        "\\\\" if char == "\\" else '\\"' if char == '"' else "\\A " if char == "\n" else char
        for char in str(text)
        if char == "\n" or char >= " "
    )
    return f'"{escaped}"'


def _generated_css(prepared: Prepared, custom: Customisation) -> str:
    """Per-render rules: colour, translated margin strings, foreign page sizes."""
    page_label = prepared.page_label or str(_("Page"))
    numbering = f"content: {_css_string(page_label)} ' ' counter(page) ' / ' counter(pages);"
    rules = [f":root {{ --primary: {custom.primary_colour}; }}", "@page {"]
    if prepared.foreign_stamp_at_top:
        # Packs: the pack number goes at the top on every page, clear of the parts' own footers.
        rules.append(f"  @top-right {{ {numbering} }} @bottom-right {{ content: none; }}")
    else:
        rules.append(f"  @bottom-right {{ {numbering} }}")
        if prepared.header_text:
            rules.append(f"  @top-right {{ content: {_css_string(prepared.header_text)}; }}")
    if custom.footer_text:
        rules.append(f"  @bottom-left {{ content: {_css_string(custom.footer_text)}; }}")
    rules.append("}")
    if prepared.foreign_stamp_at_top:
        rules.append(f"@page :first {{ @top-right {{ {numbering} }} }}")
    foreign_label = prepared.foreign_label or page_label
    stamp = f"content: {_css_string(foreign_label)} ' ' counter(page) ' / ' counter(pages);"
    for index, (width, height) in enumerate(_foreign_sizes(prepared.foreign_pages)):
        if prepared.foreign_stamp_at_top:
            margin = "5mm 6mm 0 6mm"
            boxes = f"@top-right {{ {stamp} vertical-align: middle; padding: 0; width: 70%; }} @bottom-right {{ content: none; }}"
        else:
            margin = "0 6mm 5mm 6mm"
            boxes = f"@bottom-right {{ {stamp} vertical-align: middle; padding: 0; width: 70%; }} @top-right {{ content: none; }}"
        rules.append(
            f"@page foreign-{index} {{ size: {width:.3f}pt {height:.3f}pt; margin: {margin}; "
            f"font-size: 7pt; color: #3d434a; @bottom-left {{ content: none; }} {boxes} }}"
        )
        rules.append(f".foreign-{index} {{ page: foreign-{index}; }}")
    return "\n".join(rules)


def _foreign_sizes(pages: Sequence[ForeignPage]) -> list[tuple[float, float]]:
    sizes: list[tuple[float, float]] = []
    for page in pages:
        size = (round(page.width, 3), round(page.height, 3))
        if size not in sizes:
            sizes.append(size)
    return sizes


def foreign_page_classes(pages: Sequence[ForeignPage]) -> list[dict[str, str]]:
    """Template entries for the placeholder pages: their HTML id and size class, in order."""
    sizes = _foreign_sizes(pages)
    return [
        {
            "id": f"{FOREIGN_ID_PREFIX}{number}",
            "css_class": f"foreign-{sizes.index((round(page.width, 3), round(page.height, 3)))}",
        }
        for number, page in enumerate(pages)
    ]


def _write(
    *,
    html: str,
    prepared: Prepared,
    generated_css: str,
    fields: Sequence[SignatureFieldSpec],
    identifier: bytes,
    rendered_at: dt.datetime,
) -> tuple[bytes, int, tuple[PlacedSignatureField, ...]]:
    from weasyprint import HTML, Attachment

    with engine.RENDER_LOCK:
        stylesheets = [
            engine.stylesheet("base.css"),
            engine.stylesheet(f"{prepared.family}.css"),
            engine.string_stylesheet(generated_css),
        ]
        document = HTML(
            string=html, base_url=str(engine.CSS_DIR), url_fetcher=engine.url_fetcher()
        ).render(font_config=engine.font_config(), stylesheets=stylesheets)

        anchors: dict[str, tuple[int, tuple[float, ...]]] = {}
        for index, page in enumerate(document.pages):
            for name, position in page.anchors.items():
                anchors.setdefault(name, (index, tuple(position)))
        placeholder_pages = _placeholder_pages(anchors, len(prepared.foreign_pages))
        placed = tuple(_place_field(spec, anchors, document.pages) for spec in fields)

        def finisher(_document: Any, pdf: Any) -> None:
            if "AF" in pdf.catalog:
                # WeasyPrint 70 lists each associated file twice in /AF (from the name tree and
                # from the file specifications): keep one entry each.
                pdf.catalog["AF"][:] = list(dict.fromkeys(pdf.catalog["AF"]))
            if prepared.foreign_pages:
                grafter = Grafter(pdf)
                for page_index, foreign in zip(
                    placeholder_pages, prepared.foreign_pages, strict=True
                ):
                    grafter.underlay(page_index, foreign)
            if placed:
                _add_signature_fields(pdf, placed)

        utc = rendered_at.astimezone(dt.UTC).replace(tzinfo=None)
        attachments = [
            Attachment(
                file_obj=io.BytesIO(item.content),
                name=item.filename,
                description=item.description,
                created=utc,
                modified=utc,
                relationship="Supplement",
            )
            for item in prepared.bundled
        ]
        content = document.write_pdf(
            pdf_variant="pdf/a-3b",
            pdf_tags=True,
            pdf_identifier=identifier,
            attachments=attachments or None,
            finisher=finisher,
        )
        return content, len(document.pages), placed


def _placeholder_pages(
    anchors: Mapping[str, tuple[int, tuple[float, ...]]], count: int
) -> list[int]:
    pages = []
    for number in range(count):
        located = anchors.get(f"{FOREIGN_ID_PREFIX}{number}")
        if located is None or (pages and located[0] <= pages[-1]):
            # The template must print one empty placeholder per foreign page, each on its page.
            raise InvalidSnapshot(_("The document template cannot hold the attached pages."))
        pages.append(located[0])
    return pages


def _place_field(
    spec: SignatureFieldSpec,
    anchors: Mapping[str, tuple[int, tuple[float, ...]]],
    pages: Sequence[Any],
) -> PlacedSignatureField:
    start = anchors.get(f"{FIELD_ID_PREFIX}{spec.name}")
    end = anchors.get(f"{FIELD_ID_PREFIX}{spec.name}-end")
    if start is None or end is None or start[0] != end[0]:
        raise SignaturePlaceholderMissing(field=spec.name)
    page_index = start[0]
    page_height = pages[page_index].height * PX_TO_PT
    # Anchors are (x, y[, …]) in CSS px from the top-left corner: the start anchor is the box's
    # top-left corner, the zero-size end marker its bottom-right one.
    x1, top = start[1][0] * PX_TO_PT, start[1][1] * PX_TO_PT
    x2, bottom = end[1][0] * PX_TO_PT, end[1][1] * PX_TO_PT
    box = (round(x1, 2), round(page_height - bottom, 2), round(x2, 2), round(page_height - top, 2))
    if box[2] - box[0] < 10 or box[3] - box[1] < 10:
        raise SignaturePlaceholderMissing(field=spec.name)
    return PlacedSignatureField(name=spec.name, label=spec.label, page=page_index, box=box)


def _add_signature_fields(pdf: Any, placed: Sequence[PlacedSignatureField]) -> None:
    """Create empty visible signature fields, as pyHanko's ``append_signature_field`` does.

    Same structure as pyHanko's (merged field and widget, print + locked flags, an empty
    appearance stream for PDF/A), but in the first revision, so that no incremental update
    precedes the first signature.
    """
    import pydyf

    form_fields = pydyf.Array()
    for spec in placed:
        page_number = pdf.pages["Kids"][spec.page * 3]
        page = pdf.objects[page_number]
        width, height = spec.box[2] - spec.box[0], spec.box[3] - spec.box[1]
        appearance = pydyf.Stream(
            [],
            pydyf.Dictionary(
                {"Type": "/XObject", "Subtype": "/Form", "BBox": pydyf.Array([0, 0, width, height])}
            ),
        )
        pdf.add_object(appearance)
        widget = pydyf.Dictionary(
            {
                "FT": "/Sig",
                "T": pydyf.String(spec.name),
                "Type": "/Annot",
                "Subtype": "/Widget",
                # print (4) + locked (128): printed, never moved or deleted by a viewer.
                "F": 132,
                "Rect": pydyf.Array(list(spec.box)),
                "P": f"{page_number} 0 R".encode(),
                "AP": pydyf.Dictionary({"N": appearance.reference}),
            }
        )
        if spec.label:
            widget["TU"] = pydyf.String(spec.label)
        pdf.add_object(widget)
        page.setdefault("Annots", pydyf.Array()).append(widget.reference)
        form_fields.append(widget.reference)
    acroform = pydyf.Dictionary({"Fields": form_fields, "SigFlags": 1})
    pdf.add_object(acroform)
    pdf.catalog["AcroForm"] = acroform.reference
