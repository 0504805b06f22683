"""Session inactivity expiry and the second factor required of signers and administrators."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

TWO_FACTOR_OK_KEY = "delibre_2fa_ok"
#: The activity stamp is written at most this often (a session write per request is wasteful).
_REFRESH_SECONDS = 60


class SessionIdleTimeoutMiddleware:
    """Log out a session unused for DELIBRE_SESSION_IDLE_SECONDS (SESSION_COOKIE_AGE caps the rest).

    The time of the last request is kept in the cache, keyed by a hash of the session key, so
    that tracking activity costs no database write; with a shared cache (Redis) it holds across
    processes. A cache emptied meanwhile restarts the count (the session's own age still caps it).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        idle = settings.DELIBRE_SESSION_IDLE_SECONDS
        user = getattr(request, "user", None)
        session_key = getattr(getattr(request, "session", None), "session_key", None)
        if idle and session_key and user is not None and user.is_authenticated:
            key = last_seen_key(session_key)
            now = int(time.time())
            last = cache.get(key)
            if last is not None and now - int(last) > idle:
                cache.delete(key)
                logout(request)
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {"detail": _("Your session expired after a period of inactivity.")},
                        status=401,
                    )
                messages.info(
                    request, _("Your session expired after a period of inactivity. Log in again.")
                )
                return redirect(
                    f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}"
                )
            if last is None or now - int(last) >= _REFRESH_SECONDS:
                cache.set(key, now, timeout=max(settings.SESSION_COOKIE_AGE, idle) + 60)
        return self.get_response(request)


def last_seen_key(session_key: str) -> str:
    return "delibre:last-seen:" + hashlib.sha256(session_key.encode()).hexdigest()[:32]


class TwoFactorRequiredMiddleware:
    """With DELIBRE_REQUIRE_2FA, send signers and administrators without a second factor to enrol."""

    _OPEN_PREFIXES = ("/account/two-factor/", "/logout/", "/login/", "/static/", "/i18n/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            settings.DELIBRE_REQUIRE_2FA
            and user is not None
            and user.is_authenticated
            and not request.session.get(TWO_FACTOR_OK_KEY)
            and not request.path.startswith(self._OPEN_PREFIXES)
        ):
            from .services import has_active_device, needs_two_factor

            if has_active_device(user) or not needs_two_factor(user):
                request.session[TWO_FACTOR_OK_KEY] = True
            else:
                message = _(
                    "Your roles require a second factor. Set up an authenticator app to continue."
                )
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {"detail": message, "code": "two_factor_required"}, status=403
                    )
                messages.warning(request, message)
                return redirect("two-factor")
        return self.get_response(request)
