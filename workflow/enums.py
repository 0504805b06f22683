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
