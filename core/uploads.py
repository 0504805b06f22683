"""Checks on untrusted uploads (DESIGN.md decision 9): a file is accepted only once parsed."""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.utils.translation import gettext as _

from .exceptions import InvalidInput

log = logging.getLogger("delibre.security")

_ACTIVE_CONTENT_KEYS = ("/JS", "/JavaScript", "/Launch", "/EmbeddedFile", "/RichMedia", "/XFA")


class InvalidPdf(InvalidInput):
    code = "invalid_pdf"


@dataclass(frozen=True)
class PdfFacts:
    content: bytes
    sha256: str
    size: int
    page_count: int


def read_limited(stream: IO[bytes], limit: int) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise InvalidPdf(
            _("The file is larger than %(limit)d MB: split it or compress it, then try again.")
            % {"limit": limit // (1024 * 1024)}
        )
    return data


def _has_active_content(obj: object, depth: int = 0, seen: set[int] | None = None) -> bool:
    """Walk the document catalogue looking for scripts, launch actions or embedded files."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    seen = seen if seen is not None else set()
    if depth > 40:
        return False
    if isinstance(obj, IndirectObject):
        key = (obj.idnum << 16) + obj.generation
        if key in seen:
            return False
        seen.add(key)
        obj = obj.get_object()
    if isinstance(obj, DictionaryObject):
        for key, value in obj.items():
            if key in _ACTIVE_CONTENT_KEYS:
                return True
            if key == "/S" and value in ("/JavaScript", "/Launch"):
                return True
            if key in ("/Parent", "/P"):
                continue
            if _has_active_content(value, depth + 1, seen):
                return True
    elif isinstance(obj, ArrayObject):
        return any(_has_active_content(item, depth + 1, seen) for item in obj)
    return False


def inspect_pdf(stream: IO[bytes], *, max_bytes: int | None = None) -> PdfFacts:
    """Read and check an uploaded PDF; raise InvalidPdf with a reason the user can act on.

    Refused: not a PDF (whatever its extension), truncated or unreadable structure, encrypted,
    carrying JavaScript, launch actions or embedded files, larger than the limit, no pages.
    """
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError

    limit = max_bytes or settings.DELIBRE_MAX_ANNEX_BYTES
    content = read_limited(stream, limit)
    if not content.lstrip()[:5] == b"%PDF-":
        raise InvalidPdf(
            _("This file is not a PDF document. Export it as PDF and upload it again.")
        )
    if b"%%EOF" not in content[-2048:]:
        raise InvalidPdf(
            _(
                "This PDF is truncated (its end is missing). Download or export it again, then retry."
            )
        )
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            raise InvalidPdf(
                _(
                    "This PDF is protected by a password or encrypted. Remove the protection and retry."
                )
            )
        page_count = len(reader.pages)
        for page in reader.pages:
            page.mediabox  # noqa: B018 - forces each page object to be resolved
        active = _has_active_content(reader.trailer["/Root"])
    except InvalidPdf:
        raise
    except (
        PdfReadError,
        PyPdfError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        RecursionError,
        OSError,
        IndexError,
        AssertionError,
    ) as exc:
        log.info("PDF upload refused as unreadable: %s", exc)
        raise InvalidPdf(
            _("This PDF cannot be read (damaged structure). Export it again as PDF and retry.")
        ) from exc
    if page_count == 0:
        raise InvalidPdf(_("This PDF has no page."))
    if active:
        log.warning("PDF upload refused: active content (JavaScript, launch action or attachment)")
        raise InvalidPdf(
            _(
                "This PDF contains JavaScript, launch actions or attached files, which are not "
                "accepted for acts. Print it to PDF again without them and retry."
            )
        )
    return PdfFacts(
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        page_count=page_count,
    )
