"""Argument helpers shared by the ACTES commands."""

from __future__ import annotations

from django.core.management.base import CommandError

from deliberations.models import Act, Collectivite


def find_collectivite(slug: str | None) -> Collectivite | None:
    if not slug:
        return None
    collectivite = Collectivite.objects.filter(slug=slug).first()
    if collectivite is None:
        raise CommandError(f"No collectivité with the short name {slug!r}.")
    return collectivite


def find_act(value: str, collectivite: Collectivite | None) -> Act:
    """An act by id, or by number (with --collectivite when several collectivités use it)."""
    acts = Act.objects.select_related("collectivite")
    if collectivite is not None:
        acts = acts.filter(collectivite=collectivite)
    found = list(acts.filter(number=value)[:2])
    if not found and value.isdigit():
        found = list(acts.filter(pk=int(value))[:1])
    if not found:
        raise CommandError(f"No act {value!r} (give its id or its number).")
    if len(found) > 1:
        raise CommandError(f"Several acts are numbered {value!r}: add --collectivite.")
    return found[0]
