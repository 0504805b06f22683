"""Puts the user's current collectivité on the request (chosen in the session)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

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
