"""What is online for citizens: published acts and séance documents (2022 reform, standards
§4). Each publication keeps its own copy of the PDF as it was put online, with its SHA-256, so
the public file never changes afterwards; rows are changed only by exports.publication.services.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from deliberations.models import Act, Collectivite, Seance

from .enums import SeanceDocument


class Publication(models.Model):
    """An act put online: when, by whom, in the name of which author, with which file."""

    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.PROTECT, related_name="publications"
    )
    act = models.OneToOneField(Act, on_delete=models.PROTECT, related_name="publication")
    #: The permanent identifier in public URLs: the act's number, never changed.
    identifier = models.CharField(_("identifier"), max_length=30)
    published_at = models.DateTimeField(_("put online on"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    author_name = models.CharField(_("author"), max_length=200)
    author_quality = models.CharField(_("author's quality"), max_length=200, blank=True)
    file = models.FileField(_("published file"), max_length=255)
    file_sha256 = models.CharField(max_length=64)
    file_size = models.PositiveBigIntegerField(default=0)
    #: ``signed`` or ``rendered`` (see exports.actes.selectors.act_pdf_for_transmission).
    pdf_source = models.CharField(max_length=10)
    source_document_id = models.PositiveBigIntegerField(null=True, blank=True)
    verification_token = models.CharField(max_length=32, blank=True)
    #: Number, objet and matière, lower case without accents: one search for SQLite and PostgreSQL.
    search_text = models.TextField(blank=True, editable=False)
    unpublished_at = models.DateTimeField(_("withdrawn from the portal on"), null=True, blank=True)
    unpublished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    unpublish_reason = models.TextField(_("reason of the withdrawal"), blank=True)

    class Meta:
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        ordering = ["-published_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["collectivite", "identifier"], name="publication_unique_identifier"
            )
        ]
        indexes = [models.Index(fields=["collectivite", "unpublished_at", "published_at"])]

    def __str__(self) -> str:
        return f"{self.identifier} ({self.published_at:%Y-%m-%d})"

    @property
    def journal_chain_key(self) -> str:
        return f"act:{self.act_id}"

    @property
    def is_online(self) -> bool:
        return self.unpublished_at is None


class SeancePublication(models.Model):
    """The list of deliberations or the procès-verbal of a séance, put online."""

    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.PROTECT, related_name="seance_publications"
    )
    seance = models.ForeignKey(Seance, on_delete=models.PROTECT, related_name="publications")
    kind = models.CharField(_("document"), max_length=20, choices=SeanceDocument.choices)
    published_at = models.DateTimeField(_("put online on"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    file = models.FileField(_("published file"), max_length=255)
    file_sha256 = models.CharField(max_length=64)
    file_size = models.PositiveBigIntegerField(default=0)
    source_document_id = models.PositiveBigIntegerField(null=True, blank=True)
    unpublished_at = models.DateTimeField(_("withdrawn from the portal on"), null=True, blank=True)
    unpublished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    unpublish_reason = models.TextField(_("reason of the withdrawal"), blank=True)

    class Meta:
        verbose_name = _("séance publication")
        verbose_name_plural = _("séance publications")
        ordering = ["-published_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["seance", "kind"],
                condition=Q(unpublished_at__isnull=True),
                name="seance_publication_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.seance}"

    @property
    def journal_chain_key(self) -> str:
        return f"seance:{self.seance_id}"

    @property
    def is_online(self) -> bool:
        return self.unpublished_at is None
