from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.exceptions import Forbidden, InvalidInput


class TooManyAttempts(Forbidden):
    code = "too_many_attempts"

    def default_message(self):  # type: ignore[no-untyped-def]
        return _("Too many failed attempts. Wait a few minutes, then try again.")


class InvalidCode(InvalidInput):
    code = "invalid_code"

    def default_message(self):  # type: ignore[no-untyped-def]
        return _(
            "This code is not valid. Type the 6 digits your app shows now, or a recovery code."
        )


class TwoFactorRequired(Forbidden):
    code = "two_factor_required"
