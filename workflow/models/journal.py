"""The audit journal: append-only, hash-chained events (DESIGN.md decision 4, docs/adr/0001)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class JournalChain(models.Model):
    """One hash chain: one per aggregate (act, séance, collectivité…), keyed "act:12".

    ``head_seq``/``head_hash`` are updated in the same transaction as each event, under a row
    lock, so appending to one folder's chain never waits for another folder's.
    """

    key = models.CharField(max_length=80, unique=True)
    collectivite = models.ForeignKey(
        "deliberations.Collectivite", on_delete=models.PROTECT, null=True, related_name="+"
    )
    head_seq = models.PositiveBigIntegerField(default=0)
    head_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("journal chain")
        verbose_name_plural = _("journal chains")

    def __str__(self) -> str:
        return f"{self.key} @{self.head_seq}"


class AuditEvent(models.Model):
    """One event. Never updated, never deleted: ``audit_verify`` detects any change."""

    chain = models.ForeignKey(JournalChain, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveBigIntegerField()
    collectivite = models.ForeignKey(
        "deliberations.Collectivite", on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor_name = models.CharField(max_length=200, blank=True)
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    on_behalf_of_name = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["chain_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="auditevent_unique_seq")
        ]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["collectivite", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.chain.key}#{self.seq} {self.action}"


class JournalAnchor(models.Model):
    """A checkpoint of every chain head, itself chained: detects whole chains deleted."""

    seq = models.PositiveBigIntegerField(unique=True)
    created_at = models.DateTimeField()
    heads = models.JSONField(help_text="[[chain key, head seq, head hash], …] for chains changed")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("journal anchor")
        verbose_name_plural = _("journal anchors")
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"anchor #{self.seq}"
