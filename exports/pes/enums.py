"""Vocabulary of the treasury flows (docs/glossary.md: bordereau, mandat, titre, acquit…).

The statuses of flows, bordereaux and transmissions live in ``workflow.enums`` (the workflow
app owns every lifecycle and completes PES circuits); they are re-exported here.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from deliberations.enums import Role
from workflow.enums import BordereauStatus, PesFlowStatus, TransmissionStatus


class FlowSource(models.TextChoices):
    IMPORTED = "imported", _("Imported from the finance software")
    BUILT = "built", _("Built by Délibre")


class BordereauKind(models.TextChoices):
    DEPENSE = "depense", _("Expenditure (mandats)")
    RECETTE = "recette", _("Revenue (titres)")


class Connector(models.TextChoices):
    """How a signed flow reaches the treasury."""

    FOLDER = "folder", _("Folder drop")
    S2LOW_HELIOS = "s2low_helios", _("S2LOW (Hélios)")


class ReturnSource(models.TextChoices):
    UPLOAD = "upload", _("Uploaded")
    FOLDER = "folder", _("Watched folder")
    CONNECTOR = "connector", _("Transmission platform")
    COMMAND = "command", _("Command line")


class ImportStatus(models.TextChoices):
    """A large PES_Aller imported in the background (exports.pes.services.jobs)."""

    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Refused")


class CounterKind(models.TextChoices):
    BORDEREAU = "bordereau", _("Bordereau number (IdBord)")
    PIECE = "piece", _("Pièce number (IdPce)")


#: Statuses of a flow the treasury may see (signed and after).
TREASURY_STATUSES = (
    PesFlowStatus.SIGNED,
    PesFlowStatus.SENT,
    PesFlowStatus.ACKNOWLEDGED,
    PesFlowStatus.PARTLY_ACCEPTED,
    PesFlowStatus.REJECTED,
)

#: Who imports, builds and sends flows and imports what the treasury sends back: the finance
#: service (clerks), the ordonnateur and administrators.
FINANCE_ROLES = (Role.CLERK, Role.ORDONNATEUR, Role.ADMIN)

__all__ = [
    "FINANCE_ROLES",
    "TREASURY_STATUSES",
    "BordereauKind",
    "BordereauStatus",
    "Connector",
    "CounterKind",
    "FlowSource",
    "ImportStatus",
    "PesFlowStatus",
    "ReturnSource",
    "TransmissionStatus",
]
