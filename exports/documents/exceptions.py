"""Refusals raised by the document renderer (messages are user-safe and translated).

The renderer is a pure function: when one of these is raised, nothing was stored or changed.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.exceptions import DelibreError, InvalidInput


class DocumentError(DelibreError):
    """Base of the document rendering errors."""

    code = "document"

    def default_message(self):
        return _("The document could not be rendered.")


class UnknownDocument(DocumentError, InvalidInput):
    """The template name is not one of the registered PDF documents."""

    code = "unknown_document"

    def default_message(self):
        return _("This kind of document does not exist.")


class InvalidSnapshot(DocumentError, InvalidInput):
    """The data snapshot lacks a field or has a value of the wrong type."""

    code = "invalid_snapshot"

    def default_message(self):
        return _("The data of the document is incomplete or malformed.")


class InvalidCustomisation(DocumentError, InvalidInput):
    """The collectivité's customisation has an unknown key or an unusable value."""

    code = "invalid_customisation"

    def default_message(self):
        return _("The document customisation of the collectivité is not valid.")


class MissingFile(DocumentError, InvalidInput):
    """A file named by its SHA-256 in the snapshot (logo, annex) was not supplied or differs."""

    code = "missing_file"

    def default_message(self):
        return _("A file needed by the document is missing or has changed.")


class InvalidAnnexPdf(DocumentError, InvalidInput):
    """An annex or pack part is not a readable, unencrypted PDF."""

    code = "invalid_annex_pdf"

    def default_message(self):
        return _("An attached PDF cannot be read (damaged or encrypted file).")


class SignaturePlaceholderMissing(DocumentError, InvalidInput):
    """A requested signature field has no placeholder box in the rendered layout."""

    code = "signature_placeholder_missing"

    def default_message(self):
        return _("The document template has no place for one of the requested signatures.")
