"""Who may act in which collectivité. Services call these; interfaces only filter lists.

A user's roles are read once per request and cached on the user object, so permission checks
cost at most one query per collectivité.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils.translation import gettext as _

from .enums import Role
from .exceptions import NotAllowed
from .models import Collectivite, Membership

log = logging.getLogger("delibre.security")

_CACHE_ATTR = "_delibre_roles"
_IDS_ATTR = "_delibre_collectivite_ids"


def roles_in(user: Any, collectivite_id: int | None) -> frozenset[str]:
    if user is None or not getattr(user, "is_authenticated", False) or collectivite_id is None:
        return frozenset()
    cache: dict[int, frozenset[str]] = user.__dict__.setdefault(_CACHE_ATTR, {})
    if collectivite_id not in cache:
        cache[collectivite_id] = frozenset(
            Membership.objects.filter(user=user, collectivite_id=collectivite_id).values_list(
                "role", flat=True
            )
        )
    return cache[collectivite_id]


def forget_roles(user: Any) -> None:
    user.__dict__.pop(_CACHE_ATTR, None)
    user.__dict__.pop(_IDS_ATTR, None)


def has_role(user: Any, collectivite: Collectivite | int | None, *roles: Role) -> bool:
    if getattr(user, "is_superuser", False) and getattr(user, "is_active", False):
        return True
    cid = collectivite.pk if isinstance(collectivite, Collectivite) else collectivite
    held = roles_in(user, cid)
    return bool(held & {str(r) for r in roles}) if roles else bool(held)


def require_role(user: Any, collectivite: Collectivite, *roles: Role) -> None:
    """Raise NotAllowed unless ``user`` holds one of ``roles`` in ``collectivite``."""
    if has_role(user, collectivite, *roles):
        return
    log.warning(
        "permission refused: user=%s collectivite=%s needs one of %s",
        getattr(user, "pk", None),
        collectivite.pk,
        ",".join(str(r) for r in roles),
    )
    if not roles_in(user, collectivite.pk):
        raise NotAllowed(_("You do not belong to this collectivité."))
    names = ", ".join(str(Role(r).label).lower() for r in roles)
    raise NotAllowed(
        _(
            "Only a user with one of these roles in %(collectivite)s can do this: %(roles)s. "
            "Ask your administrator if you need it."
        )
        % {"collectivite": collectivite.name, "roles": names}
    )


def collectivite_ids_for(user: Any) -> list[int]:
    """Collectivités whose data ``user`` may see."""
    if not getattr(user, "is_authenticated", False):
        return []
    if _IDS_ATTR not in user.__dict__:
        if user.is_superuser:
            ids = Collectivite.objects.values_list("pk", flat=True)
        else:
            ids = (
                Membership.objects.filter(user=user)
                .values_list("collectivite_id", flat=True)
                .distinct()
            )
        user.__dict__[_IDS_ATTR] = sorted(ids)
    return list(user.__dict__[_IDS_ATTR])


def same_collectivite(collectivite: Collectivite, *objects: Any) -> None:
    """Refuse references to another collectivité's objects (ids guessed or forged)."""
    for obj in objects:
        if obj is None:
            continue
        owner = getattr(obj, "collectivite_id", None)
        if owner is None and hasattr(obj, "assembly"):
            owner = obj.assembly.collectivite_id
        if owner is None and hasattr(obj, "version"):
            owner = obj.version.collectivite_id
        if owner != collectivite.pk:
            raise NotAllowed(_("This object belongs to another collectivité."))
