"""Helpers shared by the signing modules: opening untrusted PDF bytes with pyHanko.

Imported lazily by the public modules (it imports pyHanko).
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

from django.utils.translation import gettext as _
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader

from .exceptions import InvalidDocument

log = logging.getLogger("delibre.signing")

T = TypeVar("T")

# What pyHanko's reader lets escape on damaged or hostile input (it parses lazily, so these
# can also surface later, while walking the document).
READ_ERRORS: tuple[type[BaseException], ...] = (
    PdfError,
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    AttributeError,
    AssertionError,
    RecursionError,
    OSError,
)


def unreadable(exc: BaseException | None = None) -> InvalidDocument:
    if exc is not None:
        log.info("PDF refused as unreadable: %s: %s", type(exc).__name__, exc)
    return InvalidDocument(_("This file cannot be read as a PDF document (damaged or not a PDF)."))


def open_reader(pdf: bytes) -> PdfFileReader:
    """Parse ``pdf`` or raise :class:`InvalidDocument`; encrypted documents are refused."""
    if not isinstance(pdf, bytes | bytearray | memoryview):
        raise TypeError("pdf must be bytes")
    if not bytes(pdf[:1024]).lstrip().startswith(b"%PDF-"):
        raise unreadable()
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        encrypted = reader.encrypted
        reader.root  # noqa: B018 - resolve the catalogue now: a broken one fails here
    except READ_ERRORS as exc:
        raise unreadable(exc) from exc
    if encrypted:
        raise InvalidDocument(
            _("This PDF is encrypted or protected by a password; it cannot be signed or checked.")
        )
    return reader


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run one top-level signing/validation coroutine from synchronous code.

    pyHanko is asyncio-based; its own sync wrappers also call ``asyncio.run``. From async code
    (ASGI views) call the ``async_*`` functions instead: this raises RuntimeError there.
    """
    return asyncio.run(coro)
