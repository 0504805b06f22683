"""Notifications of the parapheur and each user's choice of e-mail frequency."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..enums import NotificationKind, NotificationMode


class NotificationPreference(models.Model):
    """How a user wants to be told (no row: immediate e-mails)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    mode = models.CharField(
        _("e-mails"),
        max_length=20,
        choices=NotificationMode.choices,
        default=NotificationMode.IMMEDIATE,
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user}: {self.mode}"


class Notification(models.Model):
    """Something a user should know about a folder; e-mailed at once or in the daily digest."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    act = models.ForeignKey(
        "deliberations.Act",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    flow = models.ForeignKey(
        "pes.PesFlow",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    message = models.TextField(_("message"))
    #: What the notification is about ("step:12:assigned"): the same fact never notifies twice.
    key = models.CharField(max_length=80)
    created_at = models.DateTimeField()
    emailed_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_fact"),
            models.CheckConstraint(
                condition=Q(act__isnull=False, flow__isnull=True)
                | Q(act__isnull=True, flow__isnull=False),
                name="notification_act_xor_flow",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "read_at"]),
            models.Index(fields=["emailed_at", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind}"

    @property
    def folder(self):
        """The act or the PES flow the notification is about."""
        return self.act if self.act_id is not None else self.flow
