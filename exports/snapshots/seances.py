"""Snapshots of the séance documents: convocation, agenda, note de synthèse, procès-verbal, list
of deliberations, pack cover (schemas ``delibre.convocation/1`` … ``delibre.pack/1``), and the
attendance and vote blocks shared with the act."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from deliberations.enums import AgendaItemStatus, AttendanceStatus, VoteMode
from deliberations.models import AgendaItem, Ballot, Mandate, Seance, Vote
from deliberations.rules import ItemCount, Presence, count_item
from deliberations.selectors import agenda, seance_day

from .common import (
    AGENDA_ACTIONS,
    LANGUAGE,
    authority_role,
    collectivite_block,
    document_settings,
    drop_empty,
    head_of_executive,
    iso_date,
    iso_datetime,
    last_event_at,
    office_of,
    person,
    portal_url,
    seance_block,
    short_name,
)

# Attendance and votes (shared with the act) ----------------------------------------------------


def attendance_block(
    office: list[Mandate], presences: Iterable[Presence]
) -> tuple[dict[str, Any], ItemCount]:
    """Members in office, present, represented, voting, quorum and names, as the law counts them.

    Members who declared an interest are neither present nor voting (CGCT L2131-11): they are
    listed with the absent ones, with the reason.
    """
    by_id = {p.mandate_id: p for p in presences}
    count = count_item([m.pk for m in office], by_id.values())
    names = {m.pk: short_name(m) for m in office}
    present, represented, excused, absent = [], [], [], []
    for mandate in office:
        here = by_id.get(mandate.pk)
        if mandate.pk in count.present_ids:
            present.append(names[mandate.pk])
        elif mandate.pk in count.proxies:
            holder = count.proxies[mandate.pk]
            represented.append({"name": names[mandate.pk], "proxy_holder": names[holder]})
        elif mandate.pk in count.interested_ids:
            absent.append(
                _("%(name)s (declared an interest, did not take part)")
                % {"name": names[mandate.pk]}
            )
        elif here is not None and here.status == AttendanceStatus.EXCUSED:
            excused.append(names[mandate.pk])
        else:
            absent.append(names[mandate.pk])
    block = {
        "members_in_office": count.in_office,
        "present": count.present,
        "represented": count.represented,
        "absent": count.in_office - count.present - count.represented,
        "voting": len(count.voter_ids),
        "quorum": {
            "required": count.quorum_needed,
            "reached": count.has_quorum,
            "waived": False,
        },
        "present_names": present,
        "represented_names": represented,
        "excused_names": excused,
        "absent_names": absent,
    }
    return block, count


def item_presences(item: AgendaItem) -> list[Presence]:
    return [
        Presence(r.mandate_id, AttendanceStatus(r.status), r.proxy_holder_id, r.interested)
        for r in item.attendance.all()
    ]


def vote_block(vote: Vote, office: list[Mandate]) -> dict[str, Any]:
    """The ``vote`` object (SNAPSHOTS.md) with named votes when they were recorded."""
    mode = VoteMode(vote.mode)
    block: dict[str, Any] = {"mode": str(mode), "result": vote.result, "secret": vote.secret}
    if mode in (VoteMode.DETAIL, VoteMode.TOTALS):
        block.update(
            {
                "for": vote.for_count or 0,
                "against": vote.against_count or 0,
                "abstention": vote.abstention_count or 0,
                "not_voting": vote.not_voting_count or 0,
            }
        )
    block["president_casting_vote"] = vote.president_casting_vote
    if mode == VoteMode.DETAIL and not vote.secret:
        rank = {m.pk: index for index, m in enumerate(office)}
        ballots: dict[str, list[tuple[int, str]]] = {
            "for": [],
            "against": [],
            "abstention": [],
            "not_voting": [],
        }
        rows = Ballot.objects.filter(vote=vote).select_related("mandate__official")
        for ballot in rows:
            ballots[ballot.choice].append(
                (rank.get(ballot.mandate_id, len(rank)), short_name(ballot.mandate))
            )
        block["ballots"] = {
            choice: [name for _rank, name in sorted(entries)] for choice, entries in ballots.items()
        }
    return block


# Agenda items ---------------------------------------------------------------------------------


def _status(item: AgendaItem, *, as_sent: bool) -> str:
    """The item's status as the documents name it.

    Documents sent before the séance (``as_sent``) show every item as planned unless it was
    withdrawn, so that rendering them again after the séance gives the same document.
    """
    if item.status == AgendaItemStatus.WITHDRAWN:
        return "withdrawn"
    if as_sent:
        return "planned"
    if item.status == AgendaItemStatus.POSTPONED:
        return "postponed"
    if item.status == AgendaItemStatus.VOTED and hasattr(item, "vote"):
        return item.vote.result
    return "planned"


def items_block(
    items: Iterable[AgendaItem], *, as_sent: bool, with_summary: bool = True
) -> list[dict[str, Any]]:
    rows = []
    for item in items:
        act = item.act
        rows.append(
            drop_empty(
                {
                    "position": item.position,
                    "number": act.number,
                    "objet": act.objet,
                    "rapporteur": person(act.rapporteur),
                    "added_late": item.added_late,
                    "summary": act.summary if with_summary else "",
                    "budget": {"amount": str(act.budget_amount)}
                    if act.budget_amount is not None
                    else None,
                    "status": _status(item, as_sent=as_sent),
                }
            )
        )
    return rows


def _base(seance: Seance, schema: str, rendered_at: str) -> dict[str, Any]:
    return {
        "schema": schema,
        "rendered_at": rendered_at,
        "language": LANGUAGE,
        "collectivite": collectivite_block(seance.collectivite),
        "seance": seance_block(seance),
    }


def agenda_rendered_at(seance: Seance) -> str:
    """Documents sent with the convocation date from the last change of the agenda."""
    last = last_event_at(seance.journal_chain_key, AGENDA_ACTIONS)
    return iso_datetime(last or seance.created_at)


def _agenda_items(seance: Seance) -> list[AgendaItem]:
    return list(agenda(seance).select_related("act__rapporteur__official"))


def agenda_snapshot(seance: Seance) -> dict[str, Any]:
    snapshot = _base(seance, "delibre.agenda/1", agenda_rendered_at(seance))
    snapshot["items"] = items_block(_agenda_items(seance), as_sent=True, with_summary=False)
    return snapshot


def synthesis_snapshot(seance: Seance) -> dict[str, Any]:
    snapshot = _base(seance, "delibre.synthesis/1", agenda_rendered_at(seance))
    snapshot["items"] = items_block(_agenda_items(seance), as_sent=True)
    return snapshot


def convener_of(seance: Seance) -> Mandate | None:
    return seance.president or head_of_executive(seance.collectivite, seance_day(seance))


def convocation_snapshot(seance: Seance, recipient: Mandate) -> dict[str, Any]:
    """One member's convocation; the address block is the member's e-mail (sent electronically,
    CGCT L2121-10), the only address Délibre knows."""
    snapshot = _base(seance, "delibre.convocation/1", agenda_rendered_at(seance))
    official = recipient.official
    convener = convener_of(seance)
    snapshot.update(
        drop_empty(
            {
                "recipient": drop_empty(
                    {
                        "name": official.formal_name,
                        "quality": recipient.printed_quality,
                        "address_lines": [official.email] if official.email else [],
                    }
                ),
                "convener": {
                    "name": convener.official.formal_name,
                    "quality": authority_role(convener),
                }
                if convener is not None
                else {"name": seance.collectivite.name, "quality": ""},
                "sent_on": iso_date(seance.convocation_date),
                "documents_url": f"{settings.PUBLIC_URL}/seances/{seance.pk}/",
                "items": items_block(_agenda_items(seance), as_sent=True, with_summary=False),
            }
        )
    )
    return snapshot


def _signature(field: str, role: str, mandate: Mandate) -> dict[str, str]:
    return {
        "field": field,
        "role": role,
        "name": short_name(mandate),
        "quality": mandate.printed_quality,
    }


def president_signature(seance: Seance, field: str = "Sig_President") -> dict[str, str] | None:
    if seance.president is None:
        return None
    return _signature(field, authority_role(seance.president), seance.president)


def secretary_signature(seance: Seance) -> dict[str, str] | None:
    if seance.secretary is None:
        return None
    return _signature("Sig_Secretaire", _("The sitting secretary"), seance.secretary)


def sitting_signatures(seance: Seance) -> list[dict[str, str]]:
    return [s for s in (president_signature(seance), secretary_signature(seance)) if s]


def _roll_call_presences(seance: Seance) -> list[Presence]:
    return [
        Presence(r.mandate_id, AttendanceStatus(r.status), r.proxy_holder_id)
        for r in seance.roll_call.all()
    ]


def _attendance_note(count: ItemCount, office: list[Mandate]) -> str:
    note = _("Present: %(present)d, represented: %(represented)d, voting: %(voting)d.") % {
        "present": count.present,
        "represented": count.represented,
        "voting": len(count.voter_ids),
    }
    names = [short_name(m) for m in office if m.pk in count.interested_ids]
    if names:
        note += " " + _("Declared an interest and did not take part in the vote: %(names)s.") % {
            "names": ", ".join(names)
        }
    return note


def minutes_snapshot(seance: Seance) -> dict[str, Any]:
    """The procès-verbal, once the séance is closed: attendance, each item and its vote."""
    assert seance.closed_at is not None
    snapshot = _base(seance, "delibre.minutes/1", iso_datetime(seance.closed_at))
    office = office_of(seance)
    attendance, _count = attendance_block(office, _roll_call_presences(seance))
    items = []
    for item in _agenda_items(seance):
        row = items_block([item], as_sent=False)[0]
        if item.status == AgendaItemStatus.VOTED and hasattr(item, "vote"):
            _block, count = attendance_block(office, item_presences(item))
            row["vote"] = vote_block(item.vote, office)
            row["attendance_note"] = _attendance_note(count, office)
        items.append(row)
    snapshot.update(
        drop_empty(
            {
                "opened_at": iso_datetime(seance.opened_at) if seance.opened_at else None,
                "closed_at": iso_datetime(seance.closed_at),
                "attendance": attendance,
                "items": items,
                "signatures": sitting_signatures(seance),
            }
        )
    )
    return snapshot


def deliberation_list_snapshot(seance: Seance) -> dict[str, Any]:
    """The list of the deliberations examined (to post within a week, CGCT L2121-25)."""
    assert seance.closed_at is not None
    snapshot = _base(seance, "delibre.deliberation_list/1", iso_datetime(seance.closed_at))
    options = document_settings(seance.collectivite)
    president = president_signature(seance)
    snapshot.update(
        drop_empty(
            {
                "items": [
                    {
                        "number": row.get("number", ""),
                        "objet": row["objet"],
                        "status": row["status"],
                    }
                    for row in items_block(_agenda_items(seance), as_sent=False)
                ],
                "portal_url": portal_url(seance.collectivite, options),
                "signatures": [president] if president else [],
            }
        )
    )
    return snapshot


def pack_cover_snapshot(seance: Seance, *, rendered_at: str) -> dict[str, Any]:
    snapshot = _base(seance, "delibre.pack/1", rendered_at)
    snapshot["title"] = _("Séance pack")
    snapshot["note"] = _(
        "Agenda, explanatory note, projects or adopted deliberations, and their annexes."
    )
    return snapshot
