"""``{% act_transmission_panel act %}``: the prefecture box of the act page (deliberations)."""

from __future__ import annotations

from typing import Any

from django import template

from ..views import panel_context

register = template.Library()


@register.inclusion_tag("actes/_transmission_panel.html", takes_context=True)
def act_transmission_panel(context: template.Context, act: Any) -> dict[str, Any]:
    data = panel_context(context["request"], act)
    data["csrf_token"] = context.get("csrf_token")
    return data


#: Existing badge colours of delibre.css for the transmission and message statuses.
_BADGES = {
    "prepared": "draft",
    "queued": "pending",
    "sent": "transmitted",
    "acknowledged": "acknowledged",
    "anomaly": "rejected",
    "failed": "rejected",
    "cancelled": "cancelled",
    "new": "active",
    "answered": "done",
    "closed": "done",
    "info": "draft",
}


@register.filter
def actes_badge(status: str) -> str:
    return _BADGES.get(str(status), "draft")
