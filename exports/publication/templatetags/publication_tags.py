"""``{% act_publication_panel act %}``: the publication box of the act page (deliberations)."""

from __future__ import annotations

from typing import Any

from django import template

from ..views import panel_context

register = template.Library()


@register.inclusion_tag("publication/_publication_panel.html", takes_context=True)
def act_publication_panel(context: template.Context, act: Any) -> dict[str, Any]:
    data = panel_context(context["request"], act)
    data["csrf_token"] = context.get("csrf_token")
    return data
