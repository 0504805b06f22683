"""Refusals of the history import (messages are shown to users as they are)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.exceptions import InvalidInput

if TYPE_CHECKING:
    from .report import ImportReport


class HistoryError(InvalidInput):
    """Base of the history import errors."""

    code = "history"


class ManifestUnreadable(HistoryError):
    """The manifest (or a file it names) cannot be read at all: nothing was checked."""

    code = "manifest_unreadable"


class ImportRefused(HistoryError):
    """The checks found errors: nothing was written. ``report`` lists every problem."""

    code = "history_refused"

    def __init__(self, message: Any = "", *, report: ImportReport, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.report = report
