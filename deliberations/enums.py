"""Vocabulary of a collectivité's deliberative life (see docs/glossary.md for the French terms)."""

from __future__ import annotations

import re

from django.db import models
from django.utils.translation import gettext_lazy as _

#: NumeroInterne rule that satisfies S2LOW, Pastell and the ACTES XSD (DESIGN.md, rules of the trade).
ACT_NUMBER_RE = re.compile(r"^[0-9A-Z][0-9A-Z_]{0,13}[0-9A-Z]$")
OBJET_MAX_LENGTH = 499


class CollectiviteKind(models.TextChoices):
    COMMUNE = "commune", _("Commune")
    EPCI = "epci", _("EPCI (intercommunality)")
    DEPARTEMENT = "departement", _("Département")
    REGION = "region", _("Région")
    SYNDICAT = "syndicat", _("Syndicate")
    OTHER = "other", _("Other public body")


class Role(models.TextChoices):
    """What a user may do inside one collectivité (a user may hold several)."""

    ADMIN = "admin", _("Administrator")
    CLERK = "clerk", _("Clerk")
    VALIDATOR = "validator", _("Validator")
    SIGNER = "signer", _("Signer")
    SECRETARY = "secretary", _("Sitting secretary")
    ORDONNATEUR = "ordonnateur", _("Authorising officer")
    TREASURY = "treasury", _("Treasury")


class AssemblyKind(models.TextChoices):
    COUNCIL = "council", _("Council")
    BUREAU = "bureau", _("Bureau")
    COMMISSION = "commission", _("Commission")


class MandateRole(models.TextChoices):
    MAYOR = "mayor", _("Mayor")
    DEPUTY_MAYOR = "deputy_mayor", _("Deputy mayor")
    PRESIDENT = "president", _("President")
    VICE_PRESIDENT = "vice_president", _("Vice-president")
    DELEGATE_COUNCILLOR = "delegate_councillor", _("Delegate councillor")
    COUNCILLOR = "councillor", _("Councillor")


class ActType(models.TextChoices):
    DELIBERATION = "deliberation", _("Deliberation")
    ARRETE = "arrete", _("Order (arrêté)")
    DECISION = "decision", _("Decision")
    CONTRACT = "contract", _("Contract")
    OTHER = "other", _("Other act")

    @property
    def is_voted(self) -> bool:
        return self is ActType.DELIBERATION


class ActesNature(models.IntegerChoices):
    """ACTES CodeNatureActe (1–6) with its two-letter abbreviation."""

    DELIBERATION = 1, _("Deliberations")
    REGULATORY = 2, _("Regulatory acts")
    INDIVIDUAL = 3, _("Individual acts")
    CONTRACT = 4, _("Contracts, agreements and amendments")
    BUDGET = 5, _("Budget and financial documents")
    OTHER = 6, _("Other")

    @property
    def abbreviation(self) -> str:
        return {1: "DE", 2: "AR", 3: "AI", 4: "CC", 5: "BF", 6: "AU"}[int(self.value)]


#: The ACTES nature suggested for a new project of each type.
DEFAULT_NATURE = {
    ActType.DELIBERATION: ActesNature.DELIBERATION,
    ActType.ARRETE: ActesNature.INDIVIDUAL,
    ActType.DECISION: ActesNature.OTHER,
    ActType.CONTRACT: ActesNature.CONTRACT,
    ActType.OTHER: ActesNature.OTHER,
}


class ActStatus(models.TextChoices):
    """Lifecycle of an act (DESIGN.md "Lifecycles"); only workflow.lifecycles changes it."""

    DRAFT = "draft", _("Draft")
    IN_CIRCUIT = "in_circuit", _("In approval circuit")
    RETURNED = "returned", _("Returned to the drafter")
    VALIDATED = "validated", _("Validated")
    SCHEDULED = "scheduled", _("On a séance agenda")
    POSTPONED = "postponed", _("Postponed")
    ADOPTED = "adopted", _("Adopted")
    REJECTED = "rejected", _("Rejected by the assembly")
    SIGNED = "signed", _("Signed")
    TRANSMITTED = "transmitted", _("Transmitted to the prefecture")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged by the prefecture")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CANCELLED = "cancelled", _("Cancelled")


#: Statuses in which the content of a project may still be edited by its drafter.
EDITABLE_STATUSES = frozenset({ActStatus.DRAFT, ActStatus.RETURNED})


class SeanceStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    CONVENED = "convened", _("Convened")
    OPEN = "open", _("In progress")
    CLOSED = "closed", _("Closed")


class AgendaItemStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    VOTED = "voted", _("Voted")
    POSTPONED = "postponed", _("Postponed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    REMOTE = "remote", _("Present remotely")
    ABSENT = "absent", _("Absent")
    EXCUSED = "excused", _("Excused")
    PROXY = "proxy", _("Represented (proxy given)")

    @property
    def is_present(self) -> bool:
        return self in (AttendanceStatus.PRESENT, AttendanceStatus.REMOTE)


class VoteMode(models.TextChoices):
    """How the clerk records a vote (the modes Webdelib users know)."""

    DETAIL = "detail", _("Per member")
    TOTALS = "totals", _("Totals only")
    RESULT = "result", _("Result only")
    NOTED = "noted", _("Taken note (no vote)")


class BallotChoice(models.TextChoices):
    FOR = "for", _("For")
    AGAINST = "against", _("Against")
    ABSTENTION = "abstention", _("Abstention")
    NOT_VOTING = "not_voting", _("Does not take part")


class VoteResult(models.TextChoices):
    ADOPTED = "adopted", _("Adopted")
    REJECTED = "rejected", _("Rejected")
    NOTED = "noted", _("Taken note")
