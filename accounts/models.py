"""A user's second factor (TOTP). The secret is stored encrypted, recovery codes hashed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TwoFactor(models.Model):
    """The authenticator app a user enrolled; active once confirmed with a first code."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="two_factor"
    )
    #: Fernet token of the base32 secret (key derived from DELIBRE_FIELD_KEY or SECRET_KEY).
    secret_encrypted = models.TextField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    #: The last time step accepted: a code is never accepted twice (replay).
    last_step = models.BigIntegerField(default=0)
    #: SHA-256 hex digests of the unused recovery codes (each works once).
    recovery_hashes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("second factor")
        verbose_name_plural = _("second factors")

    def __str__(self) -> str:
        return f"2FA {self.user_id}"

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None

    @property
    def journal_chain_key(self) -> str:
        return f"user:{self.user_id}"
