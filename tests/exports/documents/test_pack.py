"""The séance pack: assembled from stored PDFs, with bookmarks and pack page numbers."""

from __future__ import annotations

import io

from pypdf import PdfReader

from exports.documents import SignatureFieldSpec, assemble_pack, render_pdf

from .conftest import load_snapshot, pdf_text


def _parts(files):
    agenda = render_pdf(
        template_name="pdf/seance/agenda.html", snapshot=load_snapshot("agenda"), files=files
    )
    act = render_pdf(
        template_name="pdf/act.html",
        snapshot=load_snapshot("act_deliberation"),
        signature_fields=[
            SignatureFieldSpec(name="Sig_Maire"),
            SignatureFieldSpec(name="Sig_Secretaire"),
        ],
        files=files,
    )
    arrete = render_pdf(
        template_name="pdf/act.html", snapshot=load_snapshot("act_arrete"), files=files
    )
    return [
        ("Ordre du jour", agenda),
        ("Délibération DEL2026_0042 — budget primitif", act),
        ("Arrêté ARR2026_0107", arrete),
    ]


def test_pack_has_cover_parts_bookmarks_and_page_numbers(fixture_files, french):
    parts = _parts(fixture_files)

    content = assemble_pack(
        cover_snapshot=load_snapshot("pack_cover"),
        parts=[(title, rendered.content) for title, rendered in parts],
        files=fixture_files,
    )

    reader = PdfReader(io.BytesIO(content))
    part_pages = sum(rendered.page_count for _, rendered in parts)
    cover_pages = len(reader.pages) - part_pages
    assert cover_pages == 2  # cover + table of contents
    outline = [item for item in reader.outline if not isinstance(item, list)]
    titles = [item.title for item in outline]
    assert titles == [
        "Sommaire",
        "1. Ordre du jour",
        "2. Délibération DEL2026_0042 — budget primitif",
        "3. Arrêté ARR2026_0107",
    ]
    starts = [reader.get_destination_page_number(item) for item in outline[1:]]
    assert starts == [2, 3, 3 + parts[1][1].page_count]
    pages = pdf_text(content)
    total = len(reader.pages)
    for number, page in enumerate(pages, start=1):
        assert f"Dossier de séance du 14 mars 2026 — page {number} / {total}" in page
    assert "DEL2026_0042" in pages[starts[1]]
    assert "ARR2026_0107" in pages[starts[2]]
    # The table of contents gives each part's first page number.
    assert "1. Ordre du jour" in pages[1] and f" {starts[2] + 1}" in pages[1]
    # The parts' own numbering is kept under the pack stamp.
    assert "Page 1 / 6" in pages[starts[1]]


def test_pack_is_reproducible_and_keeps_no_form(fixture_files):
    parts = [(title, rendered.content) for title, rendered in _parts(fixture_files)]

    first = assemble_pack(
        cover_snapshot=load_snapshot("pack_cover"), parts=parts, files=fixture_files
    )
    second = assemble_pack(
        cover_snapshot=load_snapshot("pack_cover"), parts=parts, files=fixture_files
    )

    assert first == second
    root = PdfReader(io.BytesIO(first)).trailer["/Root"]
    assert "/AcroForm" not in root
