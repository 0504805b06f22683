"""Séance documents: convocation, ordre du jour, note de synthèse, procès-verbal, liste des
délibérations (schemas ``delibre.convocation/1`` … ``delibre.deliberation_list/1``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from .acts import attendance_context, paragraphs, seance_context, signatures_context, vote_context
from .context import (
    Customisation,
    common_context,
    format_amount,
    format_date,
    format_datetime,
    opt,
    parse_date,
    parse_datetime,
    person,
    req,
    str_list,
)
from .exceptions import InvalidSnapshot
from .renderer import Prepared

ITEM_STATUSES = {"planned", "adopted", "rejected", "noted", "postponed", "withdrawn"}


def _status_label(status: str) -> str:
    return {
        "planned": _("Planned"),
        "adopted": _("Adopted"),
        "rejected": _("Rejected"),
        "noted": _("Taken note"),
        "postponed": _("Postponed"),
        "withdrawn": _("Withdrawn"),
    }[status]


def _items(snapshot: Mapping[str, Any], *, with_votes: bool = False) -> list[dict[str, Any]]:
    items = []
    for index, item in enumerate(req(snapshot, "items", "snapshot", list)):
        here = f"snapshot.items[{index}]"
        status = opt(item, "status", here, str, "planned")
        if status not in ITEM_STATUSES:
            raise InvalidSnapshot(field=f"{here}.status")
        budget = opt(item, "budget", here, dict)
        vote = opt(item, "vote", here, dict)
        items.append(
            {
                "position": opt(item, "position", here, int, index + 1),
                "number": opt(item, "number", here, str, ""),
                "objet": req(item, "objet", here),
                "rapporteur": person(item, "rapporteur", here, required=False),
                "added_late": opt(item, "added_late", here, bool, False),
                "summary": paragraphs(opt(item, "summary", here, str, "")),
                "debates": paragraphs(opt(item, "debates", here, str, "")),
                "budget_amount": format_amount(
                    req(budget, "amount", f"{here}.budget"), f"{here}.budget.amount"
                )
                if budget
                else "",
                "status": status,
                "status_label": _status_label(status),
                "vote": vote_context(vote, f"{here}.vote") if vote and with_votes else None,
                "attendance_note": opt(item, "attendance_note", here, str, ""),
            }
        )
    return items


def _seance_prepared(
    snapshot: Mapping[str, Any],
    files: Mapping[str, bytes],
    custom: Customisation,
    *,
    title_format: str,
) -> tuple[dict[str, Any], str, dict[str, Any]]:
    seance = seance_context(req(snapshot, "seance", "snapshot", dict), "snapshot.seance")
    title = title_format % {"assembly": seance["assembly"], "date": seance["date"]}
    context = common_context(snapshot, files, custom, title=title)
    context["seance"] = seance
    context["signatures"] = signatures_context(
        opt(snapshot, "signatures", "snapshot", list, []), "snapshot.signatures"
    )
    return context, title, seance


def build_convocation(
    snapshot: Mapping[str, Any], files: Mapping[str, bytes], custom: Customisation
) -> Prepared:
    context, title, _seance = _seance_prepared(
        snapshot, files, custom, title_format=_("Convocation — %(assembly)s of %(date)s")
    )
    recipient = req(snapshot, "recipient", "snapshot", dict)
    sent_on = opt(snapshot, "sent_on", "snapshot")
    context.update(
        {
            "recipient": {
                "name": req(recipient, "name", "snapshot.recipient"),
                "quality": opt(recipient, "quality", "snapshot.recipient", str, ""),
                "address_lines": str_list(recipient, "address_lines", "snapshot.recipient"),
            },
            "convener": person(snapshot, "convener", "snapshot"),
            "sent_on": format_date(parse_date(sent_on, "snapshot.sent_on")) if sent_on else "",
            "documents_url": opt(snapshot, "documents_url", "snapshot", str, ""),
            "items": _items(snapshot),
        }
    )
    return Prepared(context=context, family="seance", title=title, header_text=title)


def build_agenda(
    snapshot: Mapping[str, Any], files: Mapping[str, bytes], custom: Customisation
) -> Prepared:
    context, title, _seance = _seance_prepared(
        snapshot, files, custom, title_format=_("Agenda — %(assembly)s of %(date)s")
    )
    context["items"] = _items(snapshot)
    return Prepared(context=context, family="seance", title=title, header_text=title)


def build_synthesis(
    snapshot: Mapping[str, Any], files: Mapping[str, bytes], custom: Customisation
) -> Prepared:
    context, title, _seance = _seance_prepared(
        snapshot, files, custom, title_format=_("Explanatory note — %(assembly)s of %(date)s")
    )
    context["items"] = _items(snapshot)
    return Prepared(context=context, family="seance", title=title, header_text=title)


def build_minutes(
    snapshot: Mapping[str, Any], files: Mapping[str, bytes], custom: Customisation
) -> Prepared:
    context, title, _seance = _seance_prepared(
        snapshot, files, custom, title_format=_("Minutes — %(assembly)s of %(date)s")
    )
    opened = opt(snapshot, "opened_at", "snapshot")
    closed = opt(snapshot, "closed_at", "snapshot")
    context.update(
        {
            "opened_at": format_datetime(parse_datetime(opened, "snapshot.opened_at"))
            if opened
            else "",
            "closed_at": format_datetime(parse_datetime(closed, "snapshot.closed_at"))
            if closed
            else "",
            "attendance": attendance_context(
                req(snapshot, "attendance", "snapshot", dict), "snapshot.attendance"
            ),
            "items": _items(snapshot, with_votes=True),
            "other_business": paragraphs(opt(snapshot, "other_business", "snapshot", str, "")),
        }
    )
    return Prepared(context=context, family="seance", title=title, header_text=title)


def build_deliberation_list(
    snapshot: Mapping[str, Any], files: Mapping[str, bytes], custom: Customisation
) -> Prepared:
    context, title, _seance = _seance_prepared(
        snapshot,
        files,
        custom,
        title_format=_("List of deliberations — %(assembly)s of %(date)s"),
    )
    posted_on = opt(snapshot, "posted_on", "snapshot")
    context.update(
        {
            "items": _items(snapshot),
            "posted_on": format_date(parse_date(posted_on, "snapshot.posted_on"))
            if posted_on
            else "",
            "portal_url": opt(snapshot, "portal_url", "snapshot", str, ""),
        }
    )
    return Prepared(context=context, family="seance", title=title, header_text=title)
