"""What the guide remembers about a user: whether the first-login tour was seen."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TourProgress(models.Model):
    """One row per user once a guided tour was finished or dismissed: the tour is then no longer
    started by itself at login (the help menu starts it again on demand)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="tour_progress",
        verbose_name=_("user"),
    )
    seen_at = models.DateTimeField(_("tour seen at"))
    role = models.CharField(_("last tour seen"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("guided tour progress")
        verbose_name_plural = _("guided tour progress")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.role}"
