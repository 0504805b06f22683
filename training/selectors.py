"""Reads of the training sandboxes shared by the services, pages, API and command."""

from __future__ import annotations

from django.db.models import QuerySet

from deliberations.demo import DEMO_USERS
from deliberations.enums import Role
from deliberations.models import Collectivite, Membership, User
from deliberations.permissions import has_role


def may_create(actor: User) -> bool:
    """Platform staff, and the administrators of a real collectivité."""
    if actor.is_superuser and actor.is_active:
        return True
    return Membership.objects.filter(
        user=actor, role=Role.ADMIN, collectivite__is_training=False
    ).exists()


def suffix(collectivite: Collectivite) -> str:
    return f".{collectivite.slug}"


def usernames_of(collectivite: Collectivite) -> list[str]:
    return [f"{username}{suffix(collectivite)}" for username, *_rest in DEMO_USERS]


def sandboxes_for(user: User) -> QuerySet[Collectivite]:
    """The sandboxes the user administers (every sandbox for platform staff)."""
    sandboxes = Collectivite.objects.filter(is_training=True).order_by("name")
    if user.is_superuser:
        return sandboxes
    return sandboxes.filter(memberships__user=user, memberships__role=Role.ADMIN).distinct()


def can_reset(user: User, collectivite: Collectivite) -> bool:
    return collectivite.is_training and has_role(user, collectivite, Role.ADMIN)
