"""Refusals of the publication services (user-safe, translated; STYLE.md §9)."""

from __future__ import annotations

from core.exceptions import Conflict, DelibreError, Forbidden


class PublicationError(DelibreError):
    """Base of the publication errors."""


class PublicationRefused(PublicationError, Conflict):
    """The act or document cannot be published (or withdrawn) now; nothing changed."""

    code = "publication_refused"


class ConfidentialAct(PublicationError, Forbidden):
    """A confidential act is never put online."""

    code = "confidential_act"
