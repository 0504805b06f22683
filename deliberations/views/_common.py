from __future__ import annotations

from django.http import Http404, HttpRequest

from ..models import Collectivite


def current_collectivite_or_404(request: HttpRequest) -> Collectivite:
    collectivite = getattr(request, "collectivite", None)
    if collectivite is None:
        raise Http404("You belong to no collectivité yet.")
    return collectivite
