"""Request middleware: the current collectivité, the security headers, clear outage answers."""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape

outage_log = logging.getLogger("delibre.outage")

SESSION_KEY = "delibre_collectivite"


class CurrentCollectiviteMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.collectivite = None  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            from deliberations.models import Collectivite
            from deliberations.permissions import collectivite_ids_for

            allowed = collectivite_ids_for(user)
            wanted = request.session.get(SESSION_KEY)
            chosen = wanted if wanted in allowed else (allowed[0] if allowed else None)
            if chosen is not None:
                request.collectivite = Collectivite.objects.filter(pk=chosen).first()  # type: ignore[attr-defined]
        return self.get_response(request)


#: Everything the pages need comes from the site itself: no inline script or style, no CDN
#: (Swagger UI is served from drf-spectacular-sidecar). Images may be data: URIs (QR codes and
#: logos in document previews, the two-factor enrolment QR code).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)


class SecurityHeadersMiddleware:
    """Adds the headers Django 5.2 does not set itself: Content-Security-Policy, Permissions-Policy.

    Django's SecurityMiddleware sets X-Content-Type-Options, Referrer-Policy,
    Cross-Origin-Opener-Policy and HSTS; XFrameOptionsMiddleware sets X-Frame-Options. A view may
    set its own Content-Security-Policy (none does today); it is then left alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        from django.core.exceptions import PermissionDenied

        if isinstance(exception, PermissionDenied):
            from .views import log_refusal

            log_refusal(request, exception)


#: errno values meaning "the storage cannot take this file now" (disk or quota full, read-only).
_STORAGE_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}


class OutageMiddleware:
    """Turn a lost database connection or a full storage, met by a view, into a clear 503.

    Nothing was saved: the view's transaction was rolled back with the error (ATOMIC work in
    services) and files stored before it are removed by ``removed_on_error`` or, when the process
    could not, by ``purge_orphan_files``. The page is built without the database or templates
    (both may be what failed); the API answers JSON like every other error.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.db import InterfaceError, OperationalError
        from django.utils.translation import gettext as _

        if isinstance(exception, OperationalError | InterfaceError):
            code = "database_unavailable"
            message = _(
                "The database could not be reached: nothing was saved. Try again in a few "
                "minutes; if it lasts, warn your administrator."
            )
        elif isinstance(exception, OSError) and exception.errno in _STORAGE_FULL:
            code = "storage_full"
            message = _(
                "The server has no room left to store files: nothing was saved. Warn your "
                "administrator, then try again."
            )
        else:
            return None
        outage_log.error(
            "%s method=%s path=%s error=%s", code, request.method, request.path, exception
        )
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "code": code}, status=503)
        title = _("Service unavailable")
        language = escape(getattr(request, "LANGUAGE_CODE", "fr"))
        page = (
            f'<!DOCTYPE html><html lang="{language}">'
            f'<head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<link rel="stylesheet" href="/static/css/delibre.css"></head>'
            f'<body><main class="container"><h1>{escape(title)}</h1>'
            f'<p role="alert">{escape(message)}</p>'
            f'<p><a href="{escape(request.get_full_path())}">{escape(_("Try again"))}</a></p>'
            f"</main></body></html>"
        )
        return HttpResponse(page, status=503, headers={"Retry-After": "60"})
