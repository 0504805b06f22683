"""``{% act_signing_panel act %}``: the signing panel of the act page (templates/signing/
_act_signing.html includes it), so the act page needs nothing else in its context."""

from __future__ import annotations

from typing import Any

from django import template

from ..views.acts import act_signing_context

register = template.Library()


@register.inclusion_tag("signing/_act_signing_panel.html", takes_context=True)
def act_signing_panel(context: template.Context, act: Any) -> dict[str, Any]:
    return act_signing_context(context["request"], act)


@register.filter
def yes_no_unknown(value: Any) -> str:
    """ "yes", "no" or "—" as a CSS modifier for a check result."""
    if value is True:
        return "ok"
    if value is False:
        return "ko"
    return "unknown"


@register.filter
def iso_datetime(value: Any) -> Any:
    """An ISO 8601 string of a report (JSON) back to a datetime, for the ``date`` filter."""
    from django.utils.dateparse import parse_datetime

    if not value or not isinstance(value, str):
        return value
    return parse_datetime(value) or value


@register.filter
def common_name(value: Any) -> Any:
    """The CN of an RFC 4514 name ("CN=Délibre Démo Autorité,O=…" → "Délibre Démo Autorité")."""
    if not isinstance(value, str):
        return value
    for part in value.split(","):
        key, _sep, rest = part.strip().partition("=")
        if key.upper() == "CN" and rest:
            return rest
    return value
