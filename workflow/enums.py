"""Vocabulary of approval circuits, delegations and notifications (docs/glossary.md)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CircuitPhase(models.TextChoices):
    """When a circuit runs in the life of an act."""

    #: Before the séance (deliberations: visas only) or, for acts that are not voted, the whole
    #: way from the draft to the signature (visas then signatures).
    PREPARATION = "preparation", _("Preparation (before the séance or the signature)")
    #: After the vote of a deliberation: its signatures (maire, secrétaire de séance…).
    SIGNATURE = "signature", _("Signature of an adopted deliberation")
    #: Treasury flows (PES V2): visas of the finance service, then the ordonnateur's signature
    #: of every bordereau of the flow (exports.pes).
    PES = "pes", _("Signature of treasury flows (PES)")


class StepKind(models.TextChoices):
    VISA = "visa", _("Visa")
    SIGNATURE = "signature", _("Signature")
    SEAL = "seal", _("Server seal")

    @property
    def signs(self) -> bool:
        return self is not StepKind.VISA


class StepMode(models.TextChoices):
    """i-Parapheur "OU" / "ET" steps."""

    ONE = "one", _("Any one of the assignees")
    ALL = "all", _("Each of the assignees")


class RunStatus(models.TextChoices):
    ACTIVE = "active", _("In progress")
    COMPLETED = "completed", _("Completed")
    RETURNED = "returned", _("Returned to the drafter")
    REJECTED = "rejected", _("Rejected")
    RECALLED = "recalled", _("Recalled by its sender")
    CANCELLED = "cancelled", _("Cancelled")


class StepStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the previous steps")
    ACTIVE = "active", _("Waiting for a decision")
    DONE = "done", _("Approved")
    SKIPPED = "skipped", _("Skipped")
    RETURNED = "returned", _("Rejected")
    #: Never decided: its run was recalled, rejected or cancelled before reaching it.
    CANCELLED = "cancelled", _("Not reached (circuit stopped)")


class DecisionAction(models.TextChoices):
    APPROVE = "approve", _("Approved")
    REJECT = "reject", _("Rejected")
    SKIP = "skip", _("Skipped")
    OPINION_REQUEST = "opinion_request", _("Asked for an opinion")
    OPINION_ANSWER = "opinion_answer", _("Gave an opinion")
    RECALL = "recall", _("Recalled")


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", _("A folder is waiting for you")
    REJECTED = "rejected", _("A folder was rejected")
    COMPLETED = "completed", _("A circuit is complete")
    OPINION_REQUESTED = "opinion_requested", _("Your opinion is asked")
    OPINION_ANSWERED = "opinion_answered", _("An opinion was given")
    REMINDER = "reminder", _("A folder is late")


class NotificationMode(models.TextChoices):
    IMMEDIATE = "immediate", _("One e-mail per notification")
    DAILY_DIGEST = "daily_digest", _("One e-mail a day with everything")


class DelegationScope(models.TextChoices):
    """What a delegation covers: acts (within its types and matières), treasury flows, or both.

    Signing bordereaux of mandats and titres is a distinct delegation of the ordonnateur
    (docs/adr/0005-pes-flows.md): an act delegation never covers PES flows by itself.
    """

    ACTS = "acts", _("Acts only")
    PES = "pes", _("Treasury flows (PES) only")
    ALL = "all", _("Acts and treasury flows (PES)")


class BordereauStatus(models.TextChoices):
    """Lifecycle of a PES bordereau (DESIGN.md "Lifecycles"); only workflow.lifecycles changes
    it. Defined here, below exports.pes, because completing a PES circuit signs the bordereaux."""

    IMPORTED = "imported", _("Imported")
    BUILT = "built", _("Built by Délibre")
    IN_CIRCUIT = "in_circuit", _("In signature circuit")
    RETURNED = "returned", _("Back with the finance service")
    SIGNED = "signed", _("Signed")
    SENT = "sent", _("Sent to the treasury")
    ACKNOWLEDGED = "acknowledged", _("Accepted by the treasury")
    REJECTED = "rejected", _("Rejected by the treasury")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class PesFlowStatus(models.TextChoices):
    """Summary of a flow's bordereaux, changed with them by workflow.lifecycles.PesFlowFlow."""

    IMPORTED = "imported", _("Imported")
    BUILT = "built", _("Built by Délibre")
    IN_CIRCUIT = "in_circuit", _("In signature circuit")
    RETURNED = "returned", _("Back with the finance service")
    SIGNED = "signed", _("Signed")
    SENT = "sent", _("Sent to the treasury")
    ACKNOWLEDGED = "acknowledged", _("Accepted by the treasury")
    PARTLY_ACCEPTED = "partly_accepted", _("Partly accepted by the treasury")
    REJECTED = "rejected", _("Rejected by the treasury")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class TransmissionStatus(models.TextChoices):
    """A flow's sending to the treasury (folder drop or S2LOW Hélios)."""

    QUEUED = "queued", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
