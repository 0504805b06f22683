"""Serializer fields and view mixins that keep every API request inside the user's collectivités."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers


def visible_collectivite_ids(request: Any) -> list[int]:
    from deliberations.permissions import collectivite_ids_for

    if request is None:
        return []
    cached = getattr(request, "_delibre_visible_ids", None)
    if cached is None:
        cached = collectivite_ids_for(request.user)
        request._delibre_visible_ids = cached
    return cached


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key that must designate an object of one of the user's collectivités.

    An id of another collectivité is answered exactly like an unknown id (no existence leak).
    """

    def __init__(self, *, scope: str = "collectivite_id", **kwargs: Any):
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset()
        ids = visible_collectivite_ids(self.context.get("request"))
        return queryset.filter(**{f"{self.scope}__in": ids})
