from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def delibre(request: HttpRequest) -> dict[str, Any]:
    collectivite = getattr(request, "collectivite", None)
    roles: frozenset[str] = frozenset()
    mine: list[tuple[int, str]] = []
    waiting = 0
    if collectivite is not None:
        from deliberations.models import Collectivite
        from deliberations.permissions import collectivite_ids_for, roles_in
        from workflow.selectors import inbox_count

        roles = roles_in(request.user, collectivite.pk)
        mine = list(
            Collectivite.objects.filter(pk__in=collectivite_ids_for(request.user))
            .order_by("name")
            .values_list("pk", "name")
        )
        # One query: the folders waiting for the user in the current collectivité (menu badge).
        waiting = inbox_count(request.user, collectivite_id=collectivite.pk)
    return {
        "current_collectivite": collectivite,
        "current_roles": roles,
        "my_collectivites": mine,
        "inbox_count": waiting,
        "delibre_environment": settings.ENVIRONMENT,
    }
