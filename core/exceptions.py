"""The root of every domain error.

Each app derives its own small hierarchy from `DelibreError` (STYLE.md §9). Messages are
user-safe and translated; interfaces turn them into form errors, flash messages or API 4xx
through `kind`, never by catching bare `Exception`.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DelibreError(Exception):
    """A refusal the user can understand. Nothing was changed when it is raised."""

    #: How interfaces should present the error: "invalid" (400), "forbidden" (403),
    #: "not_found" (404), "conflict" (409: illegal state, concurrent decision, stale data),
    #: "unavailable" (503: a trust service, the prefecture's or treasury's platform is down;
    #: nothing was changed and the action can be retried).
    kind = "invalid"
    code = "error"

    def __init__(self, message: Any = "", *, code: str | None = None, field: str | None = None):
        super().__init__(str(message))
        self.message = message or self.default_message()
        if code:
            self.code = code
        self.field = field

    def default_message(self) -> Any:
        return _("The request was refused.")

    def __str__(self) -> str:
        return str(self.message)


class InvalidInput(DelibreError):
    kind = "invalid"
    code = "invalid"


class Forbidden(DelibreError):
    kind = "forbidden"
    code = "forbidden"


class NotFound(DelibreError):
    kind = "not_found"
    code = "not_found"


class Conflict(DelibreError):
    kind = "conflict"
    code = "conflict"


class Unavailable(DelibreError):
    kind = "unavailable"
    code = "unavailable"
