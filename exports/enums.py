"""Vocabulary of the rendered documents (DESIGN.md decision 5, issue 4)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    """What a rendered document is; the target it belongs to follows from the kind."""

    ACT = "act", _("Act")
    PROOF = "proof", _("Signature proof sheet")
    CONVOCATION = "convocation", _("Convocation")
    AGENDA = "agenda", _("Agenda")
    SYNTHESIS = "synthesis", _("Explanatory note")
    MINUTES = "minutes", _("Minutes")
    DELIBERATION_LIST = "deliberation_list", _("List of deliberations")
    PACK = "pack", _("Séance pack")

    @property
    def is_act_document(self) -> bool:
        return self in (DocumentKind.ACT, DocumentKind.PROOF)


#: Documents of an act, and of a séance, in the order the panels show them.
ACT_KINDS = (DocumentKind.ACT, DocumentKind.PROOF)
SEANCE_KINDS = (
    DocumentKind.CONVOCATION,
    DocumentKind.AGENDA,
    DocumentKind.SYNTHESIS,
    DocumentKind.MINUTES,
    DocumentKind.DELIBERATION_LIST,
    DocumentKind.PACK,
)

#: The registered PDF template of each kind (exports/documents/SNAPSHOTS.md).
TEMPLATES = {
    DocumentKind.ACT: "pdf/act.html",
    DocumentKind.PROOF: "pdf/proof.html",
    DocumentKind.CONVOCATION: "pdf/seance/convocation.html",
    DocumentKind.AGENDA: "pdf/seance/agenda.html",
    DocumentKind.SYNTHESIS: "pdf/seance/synthesis.html",
    DocumentKind.MINUTES: "pdf/seance/minutes.html",
    DocumentKind.DELIBERATION_LIST: "pdf/seance/deliberation_list.html",
    DocumentKind.PACK: "pdf/pack/cover.html",
}


class DocumentStatus(models.TextChoices):
    PENDING = "pending", _("Rendering")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class AnnexMode(models.TextChoices):
    """How the annexes of an act go into its PDF: drawn after the act, or attached to it."""

    APPENDED = "appended", _("Annexes after the act")
    BUNDLED = "bundled", _("Annexes attached to the file")
