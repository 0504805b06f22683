"""Vocabulary of the publication of acts and séance documents."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SeanceDocument(models.TextChoices):
    """The séance documents published online (CGCT L. 2121-15 and L. 2121-25)."""

    DELIBERATION_LIST = "deliberation_list", _("List of deliberations")
    MINUTES = "minutes", _("Minutes (procès-verbal)")


class Enforceability(models.TextChoices):
    """Whether an act is in force (« exécutoire »), and what it still waits for."""

    ENFORCEABLE = "enforceable", _("Enforceable")
    AWAITING_TRANSMISSION = (
        "awaiting_transmission",
        _("Waiting for the prefecture's acknowledgement"),
    )
    AWAITING_PUBLICATION = "awaiting_publication", _("Waiting for publication")
    AWAITING_BOTH = "awaiting_both", _("Waiting for transmission and publication")
    CANCELLED = "cancelled", _("Cancelled")
