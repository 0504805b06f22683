"""The prefecture's nomenclature of matières (RetourClassification), one version at a time."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .organisation import Collectivite


class ClassificationVersion(models.Model):
    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.CASCADE, related_name="classification_versions"
    )
    version_date = models.DateField(_("classification date"))
    is_current = models.BooleanField(_("current"), default=True)
    source_name = models.CharField(_("imported from"), max_length=255, blank=True)
    source_sha256 = models.CharField(max_length=64, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("classification version")
        verbose_name_plural = _("classification versions")
        ordering = ["collectivite", "-version_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["collectivite", "version_date"], name="classification_unique_date"
            ),
            models.UniqueConstraint(
                fields=["collectivite"],
                condition=models.Q(is_current=True),
                name="classification_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.collectivite} · {self.version_date:%Y-%m-%d}"


class Matiere(models.Model):
    """A node of the nomenclature: code "7.1.2" at level 3, with its label."""

    version = models.ForeignKey(
        ClassificationVersion, on_delete=models.CASCADE, related_name="matieres"
    )
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, related_name="children")
    code = models.CharField(_("code"), max_length=20)
    label = models.CharField(_("label"), max_length=255)
    level = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("matière")
        verbose_name_plural = _("matières")
        ordering = ["version", "code"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="matiere_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"

    @property
    def code_parts(self) -> list[str]:
        return self.code.split(".")


class PieceType(models.Model):
    """A type de pièce (TypePJ) allowed for an ACTES nature, e.g. 99_DE."""

    version = models.ForeignKey(
        ClassificationVersion, on_delete=models.CASCADE, related_name="piece_types"
    )
    nature = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=10)
    label = models.CharField(max_length=255)

    class Meta:
        verbose_name = _("type of document")
        verbose_name_plural = _("types of document")
        ordering = ["version", "nature", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "nature", "code"], name="piecetype_unique_code"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"
