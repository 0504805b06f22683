"""What changes in the guide: a user's first-login tour is marked as seen."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import TourProgress


def mark_tour_seen(*, actor: Any, role: str = "") -> TourProgress:
    """Record that ``actor`` finished or dismissed a tour: no tour starts by itself any more.

    A UI preference, not a fact of the collectivité: no journal event.
    """
    with transaction.atomic():
        progress, created = TourProgress.objects.select_for_update().get_or_create(
            user=actor, defaults={"seen_at": timezone.now(), "role": role}
        )
        if not created:
            progress.seen_at = timezone.now()
            progress.role = role
            progress.save(update_fields=["seen_at", "role"])
    return progress


def tour_seen(user: Any) -> bool:
    return TourProgress.objects.filter(user=user).exists()
