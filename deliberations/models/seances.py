"""When: séances, their agenda, attendance per item and votes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..enums import (
    AgendaItemStatus,
    AttendanceStatus,
    BallotChoice,
    SeanceStatus,
    VoteMode,
    VoteResult,
)
from .acts import Act
from .organisation import Assembly, Collectivite, Mandate


class Seance(models.Model):
    """A sitting of an assembly. ``status`` is changed only by ``workflow.lifecycles.SeanceFlow``."""

    collectivite = models.ForeignKey(Collectivite, on_delete=models.PROTECT, related_name="seances")
    assembly = models.ForeignKey(Assembly, on_delete=models.PROTECT, related_name="seances")
    date = models.DateTimeField(_("date and time"))
    place = models.CharField(_("place"), max_length=255)
    president = models.ForeignKey(
        Mandate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("president"),
    )
    secretary = models.ForeignKey(
        Mandate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sitting secretary"),
    )
    urgency = models.BooleanField(
        _("urgency"), default=False, help_text=_("Convocation delay reduced to one clear day.")
    )
    convocation_date = models.DateField(_("convocation date"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=SeanceStatus.choices,
        default=SeanceStatus.PLANNED,
        editable=False,
    )
    opened_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    revision = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("séance")
        verbose_name_plural = _("séances")
        ordering = ["-date"]
        indexes = [models.Index(fields=["collectivite", "date"])]

    def __str__(self) -> str:
        return f"{self.assembly} — {self.date:%d/%m/%Y}"

    @property
    def journal_chain_key(self) -> str:
        return f"seance:{self.pk}"


class AgendaItem(models.Model):
    """A project on the agenda of a séance, in order."""

    seance = models.ForeignKey(Seance, on_delete=models.CASCADE, related_name="items")
    act = models.ForeignKey(Act, on_delete=models.PROTECT, related_name="agenda_items")
    position = models.PositiveSmallIntegerField(_("position"))
    added_late = models.BooleanField(
        _("added after the convocation"), default=False, editable=False
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AgendaItemStatus.choices,
        default=AgendaItemStatus.PLANNED,
        editable=False,
    )
    postponed_to = models.ForeignKey(
        Seance, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["seance", "position"]
        constraints = [
            models.UniqueConstraint(fields=["seance", "act"], name="agenda_act_once_per_seance")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.act.objet[:60]}"

    @property
    def journal_chain_key(self) -> str:
        return f"seance:{self.seance_id}"


class RollCall(models.Model):
    """Attendance of a member at the opening of the séance (or as expected from replies)."""

    seance = models.ForeignKey(Seance, on_delete=models.CASCADE, related_name="roll_call")
    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=AttendanceStatus.choices)
    proxy_holder = models.ForeignKey(
        Mandate, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("roll call entry")
        verbose_name_plural = _("roll call")
        constraints = [
            models.UniqueConstraint(fields=["seance", "mandate"], name="rollcall_once_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.mandate_id}: {self.status}"


class ItemAttendance(models.Model):
    """Attendance of a member for one agenda item (arrivals and departures change it)."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="attendance")
    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=AttendanceStatus.choices)
    proxy_holder = models.ForeignKey(
        Mandate, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    interested = models.BooleanField(
        _("declared an interest"),
        default=False,
        help_text=_("Excluded from the vote and from the quorum (CGCT L2131-11)."),
    )

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["item", "mandate"], name="attendance_once_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.mandate_id}: {self.status}"

    @property
    def status_enum(self) -> AttendanceStatus:
        return AttendanceStatus(self.status)


class Vote(models.Model):
    """The vote on an agenda item, with the counts computed from the details when recorded."""

    item = models.OneToOneField(AgendaItem, on_delete=models.CASCADE, related_name="vote")
    mode = models.CharField(_("mode"), max_length=10, choices=VoteMode.choices)
    secret = models.BooleanField(_("secret ballot"), default=False)
    members_in_office = models.PositiveSmallIntegerField()
    present = models.PositiveSmallIntegerField()
    represented = models.PositiveSmallIntegerField()
    for_count = models.PositiveSmallIntegerField(null=True)
    against_count = models.PositiveSmallIntegerField(null=True)
    abstention_count = models.PositiveSmallIntegerField(null=True)
    not_voting_count = models.PositiveSmallIntegerField(null=True)
    president_casting_vote = models.BooleanField(
        default=False, help_text=_("The result comes from the president's casting vote on a tie.")
    )
    result = models.CharField(_("result"), max_length=10, choices=VoteResult.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")

    def __str__(self) -> str:
        return f"{self.item_id}: {self.result}"

    @property
    def votes_cast(self) -> int | None:
        if self.for_count is None or self.against_count is None:
            return None
        return self.for_count + self.against_count

    @property
    def voters(self) -> int | None:
        """Members who took part (VOTE_REEL = for + against + abstention)."""
        if self.for_count is None or self.against_count is None or self.abstention_count is None:
            return None
        return self.for_count + self.against_count + self.abstention_count


class Ballot(models.Model):
    """A named vote (per-member mode); ``cast_by`` differs from ``mandate`` for a proxy."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="ballots")
    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="+")
    cast_by = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(max_length=12, choices=BallotChoice.choices)

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            models.UniqueConstraint(fields=["vote", "mandate"], name="ballot_once_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.mandate_id}: {self.choice}"
