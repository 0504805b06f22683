"""Refusals of the document services (user-safe, translated; STYLE.md §9).

The renderer's own refusals (bad snapshot, missing file…) are in exports.documents.exceptions.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.exceptions import Conflict, DelibreError, InvalidInput, NotFound


class DocumentServiceError(DelibreError):
    """Base of the errors of exports.services."""

    code = "document_service"


class DocumentUnavailable(DocumentServiceError, Conflict):
    """The document cannot be made now (e.g. minutes before the séance is closed)."""

    code = "document_unavailable"

    def default_message(self):
        return _("This document cannot be rendered yet.")


class DocumentFrozen(DocumentServiceError, Conflict):
    """A signed (frozen) document is never replaced by a new render."""

    code = "document_frozen"

    def default_message(self):
        return _(
            "This document has been signed: it can no longer be rendered again. Its signed "
            "version stays the reference."
        )


class DocumentNotReady(DocumentServiceError, Conflict):
    code = "document_not_ready"

    def default_message(self):
        return _("This document is not rendered yet.")


class UnknownDocumentRequest(DocumentServiceError, InvalidInput):
    code = "unknown_document_kind"

    def default_message(self):
        return _("This kind of document does not exist for this object.")


class DocumentMissing(DocumentServiceError, NotFound):
    code = "document_not_found"

    def default_message(self):
        return _("This document does not exist.")


class InvalidDocumentSettings(DocumentServiceError, InvalidInput):
    code = "invalid_document_settings"

    def default_message(self):
        return _("These document settings are not valid.")
