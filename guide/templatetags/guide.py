"""``{% guide_help %}``: the "Aide" disclosure of the page header (templates/base.html).

It finds the help of the screen from the URL name the request resolved to, so page templates
need no change, and offers the guided tours of the user's roles; on a user's first visit it
invites them (through static/js/tour.js) to take their tour.
"""

from __future__ import annotations

from typing import Any

from django import template

from ..help import help_for, rules_for
from ..tours import ROLE_TITLES, tour_roles

register = template.Library()


def _tours(context: template.Context) -> list[tuple[str, str]]:
    """The tours of the user's roles (no query: the roles are already in the context)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    held = context.get("current_roles") or frozenset()
    return [(role, ROLE_TITLES[role]) for role in tour_roles(held, superuser=user.is_superuser)]


@register.inclusion_tag("includes/help.html", takes_context=True)
def guide_help(context: template.Context, public: bool = False) -> dict[str, Any]:
    """``public``: on the citizens' portal, only the help (no tours nor agents' guide)."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match is not None else None
    screen = help_for(view_name)
    return {
        "screen": screen,
        "rules": rules_for(screen) if screen else [],
        "view_name": view_name or "",
        "tours": [] if public else _tours(context),
        "guides": [(g, ROLE_TITLES[g]) for g in (screen.guides if screen else ())],
        "public": public,
    }


@register.inclusion_tag("includes/help_tour.html", takes_context=True)
def guide_tour(context: template.Context) -> dict[str, Any]:
    """The tour runner's anchor. Whether to invite the user to their first tour is asked by
    tour.js (guide.views.tour_status): rendering a page costs no query for it."""
    return {"tours": _tours(context), "csrf_token": context.get("csrf_token")}
