from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def delibre(request: HttpRequest) -> dict[str, Any]:
    collectivite = getattr(request, "collectivite", None)
    roles: frozenset[str] = frozenset()
    if collectivite is not None:
        from deliberations.permissions import roles_in

        roles = roles_in(request.user, collectivite.pk)
    return {
        "current_collectivite": collectivite,
        "current_roles": roles,
        "delibre_environment": settings.ENVIRONMENT,
    }
