"""The documents panels, included in the act and séance pages of the deliberations app.

``{% act_documents_panel act %}`` and ``{% seance_documents_panel seance %}`` render the same
fragments the panel URLs serve to htmx, so the pages need nothing else in their context.
"""

from __future__ import annotations

from typing import Any

from django import template

from ..views import act_panel_context, seance_panel_context

register = template.Library()


@register.inclusion_tag("exports/_act_panel.html", takes_context=True)
def act_documents_panel(context: template.Context, act: Any) -> dict[str, Any]:
    return act_panel_context(context["request"], act)


@register.inclusion_tag("exports/_seance_panel.html", takes_context=True)
def seance_documents_panel(context: template.Context, seance: Any) -> dict[str, Any]:
    return seance_panel_context(context["request"], seance)
