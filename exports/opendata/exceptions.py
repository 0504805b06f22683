"""Refusals raised by the open-data writers (messages are user-safe and translated)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.exceptions import DelibreError, InvalidInput

if TYPE_CHECKING:
    from .checks import ScdlError


class OpenDataError(DelibreError):
    """Base of the open-data errors."""


class InvalidOpenData(OpenDataError, InvalidInput):
    """Rows that break the published schema; ``errors`` lists them. Nothing was written."""

    code = "invalid_open_data"

    def __init__(self, message: object = "", *, errors: Sequence[ScdlError] = ()):
        super().__init__(message)
        self.errors = tuple(errors)
