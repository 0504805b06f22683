"""What the history import keeps: each batch, and each act taken over with its original PDF.

The acts themselves are ordinary ``deliberations.Act`` rows (with their séances, votes,
annexes, publication); an ``ImportedAct`` says where one came from (batch, manifest line, the
hash of its manifest row), keeps the PDF as it was imported (storage API) and the result of the
validation of its signatures. Rows are written only by ``history.services``; never updated.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from deliberations.models import Act, Collectivite

from .enums import SignatureCheck


class ImportBatch(models.Model):
    """One run of the import that wrote something (a dry run, or a run with nothing new,
    leaves no batch)."""

    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.PROTECT, related_name="history_batches"
    )
    source_name = models.CharField(_("manifest"), max_length=255)
    manifest_sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("imported on"))
    #: {"acts": 12, "unchanged": 3, "officials": 29, "mandates": 29, "seances": 4, …}
    counts = models.JSONField(default=dict)
    #: The report of the checks (warnings, counters continued), as shown after the import.
    report = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("history import")
        verbose_name_plural = _("history imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.source_name} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def journal_chain_key(self) -> str:
        return f"collectivite:{self.collectivite_id}"


class ImportedAct(models.Model):
    """An act taken over from the history, with its original PDF and signature check.

    ``number`` (unique in the collectivité) and ``row_sha256`` (the manifest row, normalised,
    with the SHA-256 of every file it names) make a second import of the same row a no-op and
    a changed row a conflict. ``id_acte``/``ack_date`` are the prefecture's acknowledgement
    received before Délibre (read like a Transmission's by exports.actes.selectors).
    """

    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="acts")
    collectivite = models.ForeignKey(Collectivite, on_delete=models.PROTECT, related_name="+")
    act = models.OneToOneField(Act, on_delete=models.PROTECT, related_name="history_import")
    number = models.CharField(_("number"), max_length=15)
    line = models.PositiveIntegerField(_("manifest line"))
    row_sha256 = models.CharField(max_length=64)
    #: The manifest row as imported (normalised values and file hashes), for conflicts.
    data = models.JSONField(default=dict)
    pdf = models.FileField(_("PDF as imported"), max_length=255)
    pdf_name = models.CharField(_("file in the manifest"), max_length=255)
    pdf_sha256 = models.CharField(max_length=64)
    pdf_size = models.PositiveBigIntegerField(default=0)
    page_count = models.PositiveIntegerField(default=0)
    signature_status = models.CharField(
        _("signatures"), max_length=10, choices=SignatureCheck.choices
    )
    signature_count = models.PositiveSmallIntegerField(default=0)
    #: signing.validation's report (PdfValidationReport.as_dict()), {} when unsigned.
    signature_report = models.JSONField(default=dict, blank=True)
    transmitted_on = models.DateField(_("sent to the prefecture on"), null=True, blank=True)
    id_acte = models.CharField(_("act identifier (IDActe)"), max_length=60, blank=True)
    ack_date = models.DateField(_("received by the prefecture on"), null=True, blank=True)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    imported_at = models.DateTimeField()

    class Meta:
        verbose_name = _("imported act")
        verbose_name_plural = _("imported acts")
        ordering = ["collectivite", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["collectivite", "number"], name="history_act_unique_number"
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def journal_chain_key(self) -> str:
        return f"act:{self.act_id}"
