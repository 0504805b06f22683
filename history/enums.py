"""Vocabulary of the history import (docs/adr/0009-history-import.md)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SignatureCheck(models.TextChoices):
    """What the validation of an imported PDF's signatures found (signing.validation)."""

    VALID = "valid", _("Valid signatures")
    INVALID = "invalid", _("Invalid or modified after signing")
    UNTRUSTED = "untrusted", _("Intact, but the signer is not trusted")
    UNSIGNED = "unsigned", _("Not signed electronically")


class Severity(models.TextChoices):
    """An error stops the import; a warning is shown and the import goes on."""

    ERROR = "error", _("Error")
    WARNING = "warning", _("Warning")


class RowOutcome(models.TextChoices):
    """What the import does with one act of the manifest."""

    NEW = "new", _("To import")
    UNCHANGED = "unchanged", _("Already imported, unchanged")
    CONFLICT = "conflict", _("Already imported with other values")
    INVALID = "invalid", _("Has errors")
