"""What: projects that become acts, their annexes, and the numbering of acts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..enums import ActesNature, ActStatus, ActType
from ..validators import validate_objet
from .classification import Matiere
from .organisation import Assembly, Collectivite, Mandate, Service


class NumberingScheme(models.Model):
    """How acts of one type are numbered, e.g. ``DEL{YYYY}_{SEQ:4}`` → DEL2026_0042.

    Schemes that name the same counter share one sequence (one register for several types).
    """

    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.CASCADE, related_name="numbering_schemes"
    )
    act_type = models.CharField(_("act type"), max_length=20, choices=ActType.choices)
    pattern = models.CharField(
        _("pattern"),
        max_length=60,
        help_text=_(
            "Tokens: {YYYY} year, {YY} short year, {MM} month, {SEQ:n} sequence padded to n "
            "digits. Other characters: capital letters, digits and underscores."
        ),
    )
    counter_name = models.SlugField(_("counter"), max_length=40, default="acts")
    yearly_reset = models.BooleanField(_("restart every year"), default=True)

    class Meta:
        verbose_name = _("numbering scheme")
        verbose_name_plural = _("numbering schemes")
        constraints = [
            models.UniqueConstraint(
                fields=["collectivite", "act_type"], name="numbering_one_scheme_per_type"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_act_type_display()}: {self.pattern}"


class Counter(models.Model):
    """A gap-free sequence; always read and bumped under a row lock (DESIGN.md decision 3)."""

    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.CASCADE, related_name="counters"
    )
    name = models.SlugField(max_length=40)
    year = models.PositiveIntegerField(help_text=_("0 when the counter never restarts."))
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("counter")
        verbose_name_plural = _("counters")
        constraints = [
            models.UniqueConstraint(
                fields=["collectivite", "name", "year"], name="counter_unique_per_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}/{self.year}: {self.last_value}"


class ActQuerySet(models.QuerySet["Act"]):
    def for_collectivites(self, collectivite_ids) -> ActQuerySet:
        return self.filter(collectivite_id__in=collectivite_ids)


class Act(models.Model):
    """A project (projet) that becomes an act once voted or signed.

    ``status`` is changed only by ``workflow.lifecycles.ActFlow``; content fields only by
    ``deliberations.services`` with an optimistic ``revision`` check.
    """

    collectivite = models.ForeignKey(Collectivite, on_delete=models.PROTECT, related_name="acts")
    act_type = models.CharField(_("type"), max_length=20, choices=ActType.choices)
    nature = models.PositiveSmallIntegerField(_("ACTES nature"), choices=ActesNature.choices)
    matiere = models.ForeignKey(
        Matiere,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="acts",
        verbose_name=_("classification"),
    )
    objet = models.CharField(_("objet"), max_length=499, validators=[validate_objet])
    summary = models.TextField(
        _("explanatory statement"),
        blank=True,
        help_text=_("Exposé des motifs, used in the note de synthèse."),
    )
    visas = models.JSONField(_("visas"), default=list, blank=True)
    considerants = models.JSONField(_("considérants"), default=list, blank=True)
    articles = models.JSONField(_("articles"), default=list, blank=True)
    assembly = models.ForeignKey(
        Assembly,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="acts",
        verbose_name=_("assembly"),
    )
    rapporteur = models.ForeignKey(
        Mandate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reported_acts",
        verbose_name=_("rapporteur"),
    )
    service = models.ForeignKey(
        Service,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="acts",
        verbose_name=_("service"),
    )
    drafter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="drafted_acts",
        verbose_name=_("drafter"),
    )
    budget_amount = models.DecimalField(
        _("budget impact (€)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    budget_year = models.PositiveIntegerField(_("budget year"), null=True, blank=True)
    budget_name = models.CharField(_("budget"), max_length=120, blank=True)
    budget_line = models.CharField(_("budget line"), max_length=120, blank=True)
    confidential = models.BooleanField(
        _("not to be published"),
        default=False,
        help_text=_("Individual acts with personal data are transmitted but never put online."),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ActStatus.choices,
        default=ActStatus.DRAFT,
        editable=False,
    )
    number = models.CharField(_("number"), max_length=15, blank=True, editable=False)
    number_year = models.PositiveIntegerField(null=True, blank=True, editable=False)
    numbered_at = models.DateTimeField(null=True, blank=True, editable=False)
    decision_date = models.DateField(_("decision date"), null=True, blank=True, editable=False)
    revision = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ActQuerySet.as_manager()

    class Meta:
        verbose_name = _("act")
        verbose_name_plural = _("acts")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["collectivite", "number"],
                condition=~Q(number=""),
                name="act_unique_number",
            )
        ]
        indexes = [models.Index(fields=["collectivite", "status"])]

    def __str__(self) -> str:
        return f"{self.number or _('(no number)')} {self.objet[:60]}"

    @property
    def journal_chain_key(self) -> str:
        return f"act:{self.pk}"

    @property
    def nature_abbreviation(self) -> str:
        return ActesNature(self.nature).abbreviation

    @property
    def is_voted_type(self) -> bool:
        return ActType(self.act_type).is_voted


class Annex(models.Model):
    """A PDF attached to a project; checked on upload, never modified afterwards."""

    act = models.ForeignKey(Act, on_delete=models.CASCADE, related_name="annexes")
    title = models.CharField(_("title"), max_length=255)
    file = models.FileField(_("file"), upload_to="annexes/%Y/%m/")
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    page_count = models.PositiveIntegerField()
    position = models.PositiveSmallIntegerField(default=1)
    transmitted = models.BooleanField(
        _("sent to the prefecture"),
        default=True,
        help_text=_("Joined to the ACTES transmission as an annex."),
    )
    piece_type = models.CharField(_("type of document (ACTES)"), max_length=10, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("annex")
        verbose_name_plural = _("annexes")
        ordering = ["act", "position", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def journal_chain_key(self) -> str:
        return f"act:{self.act_id}"
