"""The séance pack: stored PDFs assembled behind a cover and a table of contents.

Laying out a 150-page pack again with WeasyPrint takes ~30 s; assembling the stored PDFs takes
a fraction of that. WeasyPrint only lays out the cover, the table of contents and one empty
placeholder page per page of the parts (the page-number stamp lives in its margin box), and
the parts' pages are drawn under the placeholders (see :mod:`.graft`). The table of contents
gets its page numbers from the layout (``target-counter``), the outline one bookmark per part.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from .acts import seance_context
from .context import common_context, opt, parse_customisation, req
from .exceptions import InvalidSnapshot
from .graft import foreign_pages, open_pdf
from .hashing import canonical_json, sha256_hex
from .renderer import Prepared, foreign_page_classes, render_prepared


def assemble_pack(
    *,
    cover_snapshot: Mapping[str, Any],
    parts: Sequence[tuple[str, bytes]],
    customisation: Mapping[str, Any] | None = None,
    files: Mapping[str, bytes] | None = None,
) -> bytes:
    """One PDF: cover, table of contents, then every part, with bookmarks and pack page numbers.

    ``parts`` are ``(title, pdf_bytes)`` in order (agenda, note de synthèse, each project and
    its annexes…); ``files`` holds the cover's files by SHA-256 (logo). Their pages are copied unchanged under a light "pack page X / Y" stamp;
    visible signatures are kept as drawings (a pack is a reading copy, not a signed act).
    Pure and reproducible like :func:`render_pdf`; raises ``InvalidAnnexPdf`` for an
    unreadable part.
    """
    if not parts:
        raise InvalidSnapshot(_("A séance pack needs at least one document."), field="parts")
    custom = parse_customisation(customisation)
    digest_input = {
        "snapshot": cover_snapshot,
        "customisation": dict(customisation or {}),
        "parts": [[title, hashlib.sha256(data).hexdigest()] for title, data in parts],
    }
    snapshot_sha256 = sha256_hex(canonical_json(digest_input))
    pages = []
    entries = []
    for index, (title, data) in enumerate(parts):
        if not isinstance(title, str) or not title:
            raise InvalidSnapshot(field=f"parts[{index}]")
        part_pages = foreign_pages(open_pdf(data))
        if not part_pages:
            raise InvalidSnapshot(field=f"parts[{index}]")
        entries.append({"title": title, "first": len(pages), "page_count": len(part_pages)})
        pages.extend(part_pages)

    language = cover_snapshot.get("language") or "fr"
    with translation.override(language):
        seance = seance_context(req(cover_snapshot, "seance", "snapshot", dict), "snapshot.seance")
        title = opt(cover_snapshot, "title", "snapshot", str, "") or _("Séance pack")
        full_title = _("%(title)s — %(assembly)s of %(date)s") % {
            "title": title,
            "assembly": seance["assembly"],
            "date": seance["date"],
        }
        context = common_context(cover_snapshot, files or {}, custom, title=full_title)
        placeholders = foreign_page_classes(pages)
        for number, entry in enumerate(entries, start=1):
            placeholder = placeholders[entry["first"]]
            placeholder["bookmark"] = f"{number}. {entry['title']}"
            entry["anchor"] = placeholder["id"]
        context.update(
            {
                "seance": seance,
                "pack_title": title,
                "note": opt(cover_snapshot, "note", "snapshot", str, ""),
                "entries": entries,
                "total_part_pages": len(pages),
                "foreign_pages": placeholders,
            }
        )
        stamp = _("%(title)s of %(date)s — page") % {"title": title, "date": seance["date"]}
        prepared = Prepared(
            context=context,
            family="pack",
            title=full_title,
            page_label=stamp,
            foreign_pages=pages,
            foreign_label=stamp,
            foreign_stamp_at_top=True,
        )
    return render_prepared(
        template_name="pdf/pack/cover.html",
        prepared=prepared,
        snapshot=cover_snapshot,
        snapshot_sha256=snapshot_sha256,
        custom=custom,
    ).content
