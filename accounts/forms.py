from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from deliberations.models import User

from . import throttle
from .services import record_security_event

LOCKED_MESSAGE = _(
    "Too many failed attempts for this account or from this address. For your security, "
    "logging in is blocked for %(minutes)d minutes. Wait, then try again, or ask your "
    "administrator."
)


def locked_error(minutes: int) -> forms.ValidationError:
    return forms.ValidationError(
        LOCKED_MESSAGE, code="too_many_attempts", params={"minutes": minutes}
    )


def known_user(username: str) -> User | None:
    return User.objects.filter(username=username).first() if username else None


class LoginForm(AuthenticationForm):
    """Django's login form, throttled per username and per address, every failure recorded."""

    def clean(self) -> dict[str, Any]:
        from django.conf import settings

        username = (self.data.get("username") or "").strip()
        subject = throttle.Subject(username, throttle.client_address(self.request))
        minutes = settings.DELIBRE_LOGIN_LOCKOUT_SECONDS // 60
        if throttle.is_locked(subject):
            record_security_event(
                "account.login.throttled",
                user=known_user(username),
                username=username,
                address=subject.address,
                journal=False,
            )
            raise locked_error(minutes)
        try:
            return super().clean()
        except forms.ValidationError:
            user = known_user(username)
            locked_now = throttle.register_failure(subject)
            record_security_event(
                "account.login.failed", user=user, username=username, address=subject.address
            )
            if locked_now:
                record_security_event(
                    "account.login.locked", user=user, username=username, address=subject.address
                )
                raise locked_error(minutes) from None
            raise


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=_("The 6 digits your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
