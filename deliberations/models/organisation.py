"""Who: collectivités, their users, services, assemblies and elected officials."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..enums import AssemblyKind, CollectiviteKind, MandateRole, Role
from ..validators import validate_departement, validate_siren, validate_siret


class User(AbstractUser):
    """A person who logs in. What they may do depends on their memberships."""

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Collectivite(models.Model):
    """A local authority: commune, EPCI, département… Every other fact belongs to one."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name in URLs"), max_length=60, unique=True)
    kind = models.CharField(_("type"), max_length=20, choices=CollectiviteKind.choices)
    siren = models.CharField(_("SIREN"), max_length=9, unique=True, validators=[validate_siren])
    siret = models.CharField(
        _("SIRET"),
        max_length=14,
        blank=True,
        validators=[validate_siret],
        help_text=_("Used by the open-data export (COLL_SIRET)."),
    )
    departement = models.CharField(
        _("département code"),
        max_length=3,
        validators=[validate_departement],
        help_text=_("Three characters as ACTES expects them, for example 034 or 02A."),
    )
    population = models.PositiveIntegerField(
        _("population"),
        default=0,
        help_text=_("Decides the legal convocation delay (5 clear days from 3,500 inhabitants)."),
    )
    address = models.TextField(_("address"), blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)
    # ACTES identifiers (EnveloppeCLMISILL/IDCL) and open-data prefecture id.
    actes_arrondissement = models.CharField(_("ACTES arrondissement"), max_length=1, default="0")
    actes_nature = models.CharField(
        _("ACTES authority nature code"),
        max_length=2,
        default="02",
        help_text=_("Two-digit code of the type of authority registered with the prefecture."),
    )
    prefecture_id = models.CharField(
        _("prefecture identifier"),
        max_length=9,
        blank=True,
        help_text=_("PREF0341, SPREF0441…, as in the prefecture's messages."),
    )
    # PES V2 identifiers (EnTetePES).
    pes_id_coll = models.CharField(_("PES IdColl (SIRET)"), max_length=14, blank=True)
    pes_cod_col = models.CharField(_("PES CodCol"), max_length=3, blank=True)
    pes_cod_bud = models.CharField(_("PES CodBud"), max_length=2, blank=True)
    pes_id_post = models.CharField(_("PES IdPost (treasury)"), max_length=7, blank=True)
    is_training = models.BooleanField(
        _("training sandbox"),
        default=False,
        help_text=_("Nothing is ever transmitted from a training collectivité."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("collectivité")
        verbose_name_plural = _("collectivités")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def journal_chain_key(self) -> str:
        return f"collectivite:{self.pk}"

    @property
    def convocation_clear_days(self) -> int:
        """Legal minimum of clear days between convocation and séance (CGCT L2121-11/12)."""
        if self.kind in (CollectiviteKind.DEPARTEMENT, CollectiviteKind.REGION):
            return 12
        return 5 if self.population >= 3500 else 3


class Membership(models.Model):
    """One role of one user in one collectivité."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "collectivite", "role"], name="membership_unique_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.collectivite} · {self.get_role_display()}"


class Service(models.Model):
    """A department of the administration (drafts projects, chooses circuits)."""

    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.CASCADE, related_name="services"
    )
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code"), max_length=30, blank=True)
    members = models.ManyToManyField(User, blank=True, related_name="services")

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["collectivite", "name"], name="service_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Assembly(models.Model):
    """A body that sits: conseil municipal, bureau, commission."""

    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.CASCADE, related_name="assemblies"
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=AssemblyKind.choices)
    quorum_required = models.BooleanField(
        _("quorum required"),
        default=True,
        help_text=_("A majority of the members in office must be present to vote."),
    )

    class Meta:
        verbose_name = _("assembly")
        verbose_name_plural = _("assemblies")
        ordering = ["collectivite", "name"]
        constraints = [
            models.UniqueConstraint(fields=["collectivite", "name"], name="assembly_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class ElectedOfficial(models.Model):
    """An elected person; may be linked to the user account they sign with."""

    class Civility(models.TextChoices):
        MADAME = "Mme", _("Mrs")
        MONSIEUR = "M.", _("Mr")

    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.CASCADE, related_name="elected_officials"
    )
    civility = models.CharField(_("civility"), max_length=4, choices=Civility.choices)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("e-mail"), blank=True)
    user = models.OneToOneField(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="elected_official"
    )

    class Meta:
        verbose_name = _("elected official")
        verbose_name_plural = _("elected officials")
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name.upper()}"

    @property
    def formal_name(self) -> str:
        return f"{self.civility} {self.first_name} {self.last_name.upper()}"


class MandateQuerySet(models.QuerySet["Mandate"]):
    def in_office(self, on: dt.date) -> MandateQuerySet:
        return self.filter(start_date__lte=on).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=on)
        )


class Mandate(models.Model):
    """A seat of an elected official in an assembly, for a period."""

    official = models.ForeignKey(ElectedOfficial, on_delete=models.CASCADE, related_name="mandates")
    assembly = models.ForeignKey(Assembly, on_delete=models.CASCADE, related_name="mandates")
    role = models.CharField(_("role"), max_length=30, choices=MandateRole.choices)
    quality = models.CharField(
        _("quality printed on acts"),
        max_length=200,
        blank=True,
        help_text=_('For example "Adjointe déléguée aux finances".'),
    )
    political_group = models.CharField(_("political group"), max_length=120, blank=True)
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"), null=True, blank=True)
    rank = models.PositiveSmallIntegerField(
        _("rank"), default=100, help_text=_("Order in the table of the assembly.")
    )

    objects = MandateQuerySet.as_manager()

    class Meta:
        verbose_name = _("mandate")
        verbose_name_plural = _("mandates")
        ordering = ["assembly", "rank", "official__last_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="mandate_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.official.full_name} ({self.get_role_display()})"

    @property
    def printed_quality(self) -> str:
        return self.quality or str(self.get_role_display())

    def is_in_office(self, on: dt.date) -> bool:
        return self.start_date <= on and (self.end_date is None or self.end_date >= on)
