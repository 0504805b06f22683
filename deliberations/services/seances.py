"""Séances: planning, agenda, convocation, attendance, votes and closing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workflow.journal import record_event
from workflow.lifecycles import ActFlow, AgendaItemFlow, SeanceFlow

from ..enums import (
    ActStatus,
    AgendaItemStatus,
    AttendanceStatus,
    BallotChoice,
    Role,
    SeanceStatus,
    VoteMode,
    VoteResult,
)
from ..exceptions import InvalidData, QuorumNotReached, StaleRevision, StateConflict
from ..models import (
    Act,
    AgendaItem,
    Assembly,
    Ballot,
    Collectivite,
    ItemAttendance,
    Mandate,
    RollCall,
    Seance,
    User,
    Vote,
)
from ..permissions import require_role, same_collectivite
from ..rules import Presence, Tally, count_item, decide, proxy_problems, tally
from ..selectors import convocation_check, members_in_office, seance_day
from ._common import apply_changes, full_clean, journal_value, locked
from .acts import number_act

SEANCE_FIELDS = ("date", "place", "president", "secretary", "urgency")
_PROXY_MESSAGES = {
    "self": gettext_lazy("A member cannot give a proxy to themselves."),
    "holder_has_proxy": gettext_lazy(
        "%(holder)s already holds a proxy: a member may hold only one."
    ),
    "holder_is_giver": gettext_lazy("%(holder)s gave a proxy and cannot receive one."),
    "holder_not_set": gettext_lazy("Choose who holds the proxy of %(giver)s."),
    "holder_without_proxy": gettext_lazy(
        "%(giver)s did not give a proxy: remove the proxy holder."
    ),
}


@dataclass(frozen=True)
class AttendanceEntry:
    mandate_id: int
    status: AttendanceStatus
    proxy_holder_id: int | None = None


def _clerk(actor: User, collectivite: Collectivite) -> None:
    require_role(actor, collectivite, Role.CLERK, Role.ADMIN)


def _check_officers(seance: Seance) -> None:
    office = set(
        members_in_office(seance.assembly, seance_day(seance)).values_list("pk", flat=True)
    )
    for field, label in (("president", _("president")), ("secretary", _("sitting secretary"))):
        mandate = getattr(seance, field)
        if mandate is not None and mandate.pk not in office:
            raise InvalidData(
                _(
                    "The %(role)s must be a member in office of %(assembly)s on the day of the séance."
                )
                % {"role": label, "assembly": seance.assembly.name},
                field=field,
            )


def create_seance(
    *,
    collectivite: Collectivite,
    actor: User,
    assembly: Assembly,
    date: dt.datetime,
    place: str,
    president: Mandate | None = None,
    secretary: Mandate | None = None,
    urgency: bool = False,
) -> Seance:
    """Plan a séance. Side effects: journal event ``seance.created``."""
    _clerk(actor, collectivite)
    same_collectivite(collectivite, assembly, president, secretary)
    seance = Seance(
        collectivite=collectivite,
        assembly=assembly,
        date=date,
        place=place,
        president=president,
        secretary=secretary,
        urgency=urgency,
        created_by=actor,
    )
    full_clean(seance, exclude=["created_by"])
    _check_officers(seance)
    with transaction.atomic():
        seance.save()
        record_event(
            seance,
            "seance.created",
            actor=actor,
            data={"assembly": assembly.pk, "date": date, "place": place, "urgency": urgency},
        )
    return seance


def update_seance(*, seance: Seance, actor: User, revision: int, **changes: Any) -> Seance:
    """Change date, place, president, secretary or urgency before the séance closes.

    Side effects: revision + 1; journal event ``seance.updated``.
    """
    _clerk(actor, seance.collectivite)
    with transaction.atomic():
        current = locked(Seance, seance.pk)
        if current.status == SeanceStatus.CLOSED:
            raise StateConflict(_("A closed séance can no longer be changed."))
        if current.revision != revision:
            raise StaleRevision(
                _("Someone else changed this séance in the meantime: reload the page and retry.")
            )
        same_collectivite(current.collectivite, changes.get("president"), changes.get("secretary"))
        changed = apply_changes(current, changes, SEANCE_FIELDS)
        if not changed:
            return current
        full_clean(current, exclude=["created_by"])
        _check_officers(current)
        current.revision += 1
        current.save(update_fields=[*changed, "revision"])
        record_event(
            current,
            "seance.updated",
            actor=actor,
            data={name: journal_value(getattr(current, name)) for name in changed},
        )
    return current


def _current_attendance(seance: Seance, before_position: int | None = None) -> list[Presence]:
    """Attendance as it stands: that of the latest item already on the agenda, else the roll call."""
    items = seance.items.exclude(status=AgendaItemStatus.POSTPONED).exclude(
        status=AgendaItemStatus.WITHDRAWN
    )
    if before_position is not None:
        items = items.filter(position__lt=before_position)
    latest = items.order_by("-position").first()
    if latest is not None and latest.attendance.exists():
        rows = latest.attendance.all()
    else:
        rows = seance.roll_call.all()
    return [Presence(r.mandate_id, AttendanceStatus(r.status), r.proxy_holder_id) for r in rows]


def _create_item_attendance(item: AgendaItem, presences: Iterable[Presence]) -> None:
    ItemAttendance.objects.bulk_create(
        [
            ItemAttendance(
                item=item,
                mandate_id=p.mandate_id,
                status=p.status,
                proxy_holder_id=p.proxy_holder_id,
            )
            for p in presences
        ]
    )


def add_to_agenda(
    *, seance: Seance, actor: User, act: Act, position: int | None = None
) -> AgendaItem:
    """Put a validated (or postponed) deliberation on the agenda, at the end or at ``position``.

    Items added once the séance is convened are marked as late. Side effects: act status →
    scheduled; the act takes the séance's assembly; journal events ``seance.item.added`` and
    ``act.scheduled``.
    """
    _clerk(actor, seance.collectivite)
    same_collectivite(seance.collectivite, act)
    with transaction.atomic():
        current = locked(Seance, seance.pk)
        act = locked(Act, act.pk)
        if current.status == SeanceStatus.CLOSED:
            raise StateConflict(_("Nothing can be added to a closed séance."))
        if act.assembly_id not in (None, current.assembly_id):
            raise InvalidData(
                _("This project is meant for %(assembly)s, not for this séance's assembly.")
                % {"assembly": act.assembly.name if act.assembly else ""}
            )
        if AgendaItem.objects.filter(seance=current, act=act).exists():
            raise StateConflict(_("This project is already on the agenda of this séance."))
        ActFlow(act).run("schedule")
        last = current.items.aggregate(m=Max("position"))["m"] or 0
        if position is None or position > last:
            position = last + 1
        elif position < 1:
            raise InvalidData(_("Positions start at 1."), field="position")
        else:
            for item in current.items.filter(position__gte=position).order_by("-position"):
                item.position += 1
                item.save(update_fields=["position"])
        item = AgendaItem.objects.create(
            seance=current,
            act=act,
            position=position,
            added_late=current.status in (SeanceStatus.CONVENED, SeanceStatus.OPEN),
        )
        if current.status == SeanceStatus.OPEN:
            _create_item_attendance(item, _current_attendance(current, before_position=position))
        act.assembly_id = current.assembly_id
        act.save(update_fields=["status", "assembly", "updated_at"])
        record_event(
            current,
            "seance.item.added",
            actor=actor,
            data={"item": item.pk, "act": act.pk, "position": position, "late": item.added_late},
        )
        record_event(act, "act.scheduled", actor=actor, data={"seance": current.pk})
    return item


def reorder_agenda(*, seance: Seance, actor: User, item_ids: list[int]) -> Seance:
    """Set the order of the agenda; ``item_ids`` lists every item of the séance once.

    Side effects: journal event ``seance.agenda.reordered``.
    """
    _clerk(actor, seance.collectivite)
    with transaction.atomic():
        current = locked(Seance, seance.pk)
        if current.status == SeanceStatus.CLOSED:
            raise StateConflict(_("The agenda of a closed séance cannot change."))
        items = {item.pk: item for item in current.items.all()}
        if sorted(item_ids) != sorted(items) or len(set(item_ids)) != len(item_ids):
            raise InvalidData(_("Give every item of the agenda exactly once."), field="item_ids")
        for index, pk in enumerate(item_ids, start=1):
            if items[pk].position != index:
                items[pk].position = index
                items[pk].save(update_fields=["position"])
        record_event(current, "seance.agenda.reordered", actor=actor, data={"order": item_ids})
    return current


def remove_from_agenda(*, item: AgendaItem, actor: User, reason: str = "") -> AgendaItem | None:
    """Take an item off the agenda before its vote.

    Before the convocation the item simply disappears; afterwards it stays, marked withdrawn,
    so that the convocation remains true to what was sent. Side effects: act status →
    validated; journal events ``seance.item.removed`` / ``seance.item.withdrawn`` and
    ``act.unscheduled``.
    """
    _clerk(actor, item.seance.collectivite)
    with transaction.atomic():
        seance = locked(Seance, item.seance_id)
        item = locked(AgendaItem, item.pk)
        act = locked(Act, item.act_id)
        if item.status != AgendaItemStatus.PLANNED:
            raise StateConflict(
                _("Only an item that is still planned can be taken off the agenda.")
            )
        if seance.status in (SeanceStatus.CONVENED, SeanceStatus.OPEN) and not reason.strip():
            raise InvalidData(
                _("The séance is convened: give the reason for withdrawing the item."),
                field="reason",
            )
        ActFlow(act).run("unschedule")
        act.save(update_fields=["status", "updated_at"])
        if seance.status == SeanceStatus.PLANNED:
            record_event(seance, "seance.item.removed", actor=actor, data={"act": act.pk})
            item.delete()
            for later in seance.items.filter(position__gt=item.position).order_by("position"):
                later.position -= 1
                later.save(update_fields=["position"])
            result = None
        else:
            AgendaItemFlow(item).run("withdraw")
            item.save(update_fields=["status"])
            record_event(
                seance,
                "seance.item.withdrawn",
                actor=actor,
                data={"item": item.pk, "reason": reason},
            )
            result = item
        record_event(
            act, "act.unscheduled", actor=actor, data={"seance": seance.pk, "reason": reason}
        )
    return result


def postpone_item(
    *, item: AgendaItem, actor: User, to_seance: Seance | None = None, reason: str = ""
) -> AgendaItem:
    """Postpone an item that was not voted, optionally straight onto a later séance.

    Side effects: act status → postponed (→ scheduled if ``to_seance``); journal events
    ``seance.item.postponed`` and ``act.postponed``.
    """
    _clerk(actor, item.seance.collectivite)
    with transaction.atomic():
        seance = locked(Seance, item.seance_id)
        item = locked(AgendaItem, item.pk)
        act = locked(Act, item.act_id)
        if seance.status == SeanceStatus.CLOSED:
            raise StateConflict(_("The séance is closed."))
        if item.status != AgendaItemStatus.PLANNED:
            raise StateConflict(_("Only an item that is still planned can be postponed."))
        if to_seance is not None:
            same_collectivite(seance.collectivite, to_seance)
            if to_seance.pk == seance.pk or to_seance.date <= seance.date:
                raise InvalidData(_("Postpone to a later séance."), field="to_seance")
            if to_seance.assembly_id != seance.assembly_id:
                raise InvalidData(
                    _("Postpone to a séance of the same assembly."), field="to_seance"
                )
        ActFlow(act).run("postpone")
        act.save(update_fields=["status", "updated_at"])
        AgendaItemFlow(item).run("postpone")
        item.postponed_to = to_seance
        item.save(update_fields=["status", "postponed_to"])
        record_event(
            seance,
            "seance.item.postponed",
            actor=actor,
            data={"item": item.pk, "to": to_seance.pk if to_seance else None, "reason": reason},
        )
        record_event(
            act,
            "act.postponed",
            actor=actor,
            data={"seance": seance.pk, "to": to_seance.pk if to_seance else None, "reason": reason},
        )
        if to_seance is not None:
            add_to_agenda(seance=to_seance, actor=actor, act=act)
    return item


def convene(*, seance: Seance, actor: User, convocation_date: dt.date | None = None) -> Seance:
    """Record that convocations were sent. A delay shorter than the law's is allowed but the
    journal and the séance page carry the warning (the assembly may have to justify urgency).

    Side effects: status → convened; journal event ``seance.convened``.
    """
    _clerk(actor, seance.collectivite)
    with transaction.atomic():
        current = locked(Seance, seance.pk)
        if not current.items.exists():
            raise StateConflict(_("Put at least one project on the agenda before convening."))
        sent = convocation_date or timezone.localdate()
        if sent > seance_day(current):
            raise InvalidData(
                _("The convocation cannot be dated after the séance."), field="convocation_date"
            )
        SeanceFlow(current).run("convene")
        current.convocation_date = sent
        current.save(update_fields=["status", "convocation_date"])
        check = convocation_check(current)
        record_event(
            current,
            "seance.convened",
            actor=actor,
            data={
                "convocation_date": sent,
                "clear_days": check.clear_days,
                "required": check.required,
                "delay_respected": check.ok,
            },
        )
    return current


def open_seance(*, seance: Seance, actor: User) -> Seance:
    """Open the séance: from now on attendance is followed item by item and votes recorded.

    Members in office without a roll-call entry are marked absent. Side effects: status →
    open; attendance rows per item; journal event ``seance.opened``.
    """
    _clerk(actor, seance.collectivite)
    with transaction.atomic():
        current = locked(Seance, seance.pk)
        if current.president_id is None:
            raise InvalidData(
                _("Choose the president of the séance before opening it."), field="president"
            )
        SeanceFlow(current).run("open")
        office = list(
            members_in_office(current.assembly, seance_day(current)).values_list("pk", flat=True)
        )
        known = set(current.roll_call.values_list("mandate_id", flat=True))
        RollCall.objects.bulk_create(
            [
                RollCall(seance=current, mandate_id=m, status=AttendanceStatus.ABSENT)
                for m in office
                if m not in known
            ]
        )
        presences = _current_attendance(current, before_position=0)
        for item in current.items.filter(status=AgendaItemStatus.PLANNED):
            _create_item_attendance(item, presences)
        current.opened_at = timezone.now()
        current.save(update_fields=["status", "opened_at"])
        record_event(current, "seance.opened", actor=actor, data={"members_in_office": len(office)})
    return current


def _validate_presences(seance: Seance, presences: list[Presence]) -> None:
    office = {m.pk: m for m in members_in_office(seance.assembly, seance_day(seance))}
    for p in presences:
        if p.mandate_id not in office:
            raise InvalidData(_("Only members in office on the day of the séance can be recorded."))
        if p.proxy_holder_id is not None and p.proxy_holder_id not in office:
            raise InvalidData(_("A proxy can only be given to a member in office."))
    problems = proxy_problems(presences)
    if problems:
        mandate_id, code = problems[0]
        giver = office[mandate_id]
        holder_id = next(p.proxy_holder_id for p in presences if p.mandate_id == mandate_id)
        holder = office.get(holder_id) if holder_id else None
        raise InvalidData(
            str(_PROXY_MESSAGES[code])
            % {
                "giver": giver.official.full_name,
                "holder": holder.official.full_name if holder else "",
            }
        )


def _merge(presences: Iterable[Presence], updates: Mapping[int, AttendanceEntry]) -> list[Presence]:
    merged = {p.mandate_id: p for p in presences}
    for mandate_id, entry in updates.items():
        previous = merged.get(mandate_id)
        merged[mandate_id] = Presence(
            mandate_id,
            AttendanceStatus(entry.status),
            entry.proxy_holder_id,
            previous.interested if previous else False,
        )
    return list(merged.values())


def _apply_to_items(items: Iterable[AgendaItem], updates: Mapping[int, AttendanceEntry]) -> int:
    """Write attendance changes on each open item, checking the proxy rules item by item."""
    count = 0
    for item in items:
        rows = {row.mandate_id: row for row in item.attendance.all()}
        existing = [
            Presence(r.mandate_id, AttendanceStatus(r.status), r.proxy_holder_id, r.interested)
            for r in rows.values()
        ]
        _validate_presences(item.seance, _merge(existing, updates))
        for mandate_id, entry in updates.items():
            row = rows.get(mandate_id)
            if row is None:
                ItemAttendance.objects.create(
                    item=item,
                    mandate_id=mandate_id,
                    status=entry.status,
                    proxy_holder_id=entry.proxy_holder_id,
                )
            elif (row.status, row.proxy_holder_id) != (entry.status, entry.proxy_holder_id):
                row.status, row.proxy_holder_id = entry.status, entry.proxy_holder_id
                row.save(update_fields=["status", "proxy_holder"])
        count += 1
    return count


def record_roll_call(*, seance: Seance, actor: User, entries: Iterable[AttendanceEntry]) -> Seance:
    """Record who is present, absent, excused, remote or represented (and by whom).

    Before the opening it records expected attendance; once open it applies to every item
    not yet voted. One proxy per holder; a giver cannot hold one. Side effects: journal event
    ``seance.attendance.recorded``.
    """
    _clerk(actor, seance.collectivite)
    updates = {e.mandate_id: e for e in entries}
    with transaction.atomic():
        current = locked(Seance, seance.pk)
        if current.status == SeanceStatus.CLOSED:
            raise StateConflict(_("The séance is closed: attendance can no longer change."))
        rows = {r.mandate_id: r for r in current.roll_call.all()}
        existing = [
            Presence(r.mandate_id, AttendanceStatus(r.status), r.proxy_holder_id)
            for r in rows.values()
        ]
        _validate_presences(current, _merge(existing, updates))
        for mandate_id, entry in updates.items():
            row = rows.get(mandate_id)
            if row is None:
                RollCall.objects.create(
                    seance=current,
                    mandate_id=mandate_id,
                    status=entry.status,
                    proxy_holder_id=entry.proxy_holder_id,
                )
            elif (row.status, row.proxy_holder_id) != (entry.status, entry.proxy_holder_id):
                row.status, row.proxy_holder_id = entry.status, entry.proxy_holder_id
                row.save(update_fields=["status", "proxy_holder"])
        items = 0
        if current.status == SeanceStatus.OPEN:
            items = _apply_to_items(
                current.items.filter(status=AgendaItemStatus.PLANNED).select_related("seance"),
                updates,
            )
        record_event(
            current,
            "seance.attendance.recorded",
            actor=actor,
            data={
                "entries": [
                    [e.mandate_id, str(e.status), e.proxy_holder_id] for e in updates.values()
                ],
                "items_updated": items,
            },
        )
    return current


def record_movement(
    *,
    item: AgendaItem,
    actor: User,
    mandate: Mandate,
    status: AttendanceStatus,
    proxy_holder: Mandate | None = None,
) -> AgendaItem:
    """A member arrives or leaves (possibly giving a proxy) before ``item``: the change applies
    to that item and every later item not yet voted. Side effects: journal event
    ``seance.attendance.moved``.
    """
    _clerk(actor, item.seance.collectivite)
    with transaction.atomic():
        seance = locked(Seance, item.seance_id)
        if seance.status != SeanceStatus.OPEN:
            raise StateConflict(_("Arrivals and departures are recorded while the séance is open."))
        item = AgendaItem.objects.get(pk=item.pk)
        if item.status != AgendaItemStatus.PLANNED:
            raise StateConflict(
                _("This item is already voted: record the movement on a later item.")
            )
        entry = AttendanceEntry(
            mandate.pk, AttendanceStatus(status), proxy_holder.pk if proxy_holder else None
        )
        _apply_to_items(
            seance.items.filter(status=AgendaItemStatus.PLANNED, position__gte=item.position)
            .select_related("seance")
            .order_by("position"),
            {mandate.pk: entry},
        )
        record_event(
            seance,
            "seance.attendance.moved",
            actor=actor,
            data={
                "from_item": item.pk,
                "mandate": mandate.pk,
                "status": str(status),
                "proxy_holder": entry.proxy_holder_id,
            },
        )
    return item


def declare_interest(
    *, item: AgendaItem, actor: User, mandate: Mandate, interested: bool = True
) -> ItemAttendance:
    """A member declares (or withdraws) an interest in an item: excluded from vote and quorum.

    Side effects: journal event ``seance.interest.declared`` (or ``.withdrawn``).
    """
    _clerk(actor, item.seance.collectivite)
    with transaction.atomic():
        seance = locked(Seance, item.seance_id)
        if seance.status != SeanceStatus.OPEN:
            raise StateConflict(_("Interests are declared while the séance is open."))
        item = AgendaItem.objects.get(pk=item.pk)
        if item.status != AgendaItemStatus.PLANNED:
            raise StateConflict(_("This item is already voted."))
        row = ItemAttendance.objects.filter(item=item, mandate=mandate).first()
        if row is None:
            raise InvalidData(_("This member does not sit in this séance."))
        row.interested = interested
        row.save(update_fields=["interested"])
        record_event(
            seance,
            "seance.interest.declared" if interested else "seance.interest.withdrawn",
            actor=actor,
            data={"item": item.pk, "mandate": mandate.pk},
        )
    return row


def _counts_from_details(
    voter_ids: frozenset[int],
    proxies: Mapping[int, int],
    choices: Mapping[int, BallotChoice | str],
    default_choice: BallotChoice | str | None,
) -> dict[int, tuple[BallotChoice, int]]:
    stray = set(choices) - voter_ids
    if stray:
        raise InvalidData(
            _("Some ballots are for members who are neither present nor represented on this item.")
        )
    ballots: dict[int, tuple[BallotChoice, int]] = {}
    for mandate_id in voter_ids:
        choice = choices.get(mandate_id, default_choice)
        if choice is None:
            raise InvalidData(_("Give the vote of every member present or represented."))
        if choice not in BallotChoice.values:
            raise InvalidData(_("Unknown vote: %(choice)s.") % {"choice": choice})
        ballots[mandate_id] = (BallotChoice(choice), proxies.get(mandate_id, mandate_id))
    return ballots


def record_vote(
    *,
    item: AgendaItem,
    actor: User,
    mode: VoteMode | str,
    secret: bool = False,
    choices: Mapping[int, BallotChoice | str] | None = None,
    default_choice: BallotChoice | str | None = None,
    counts: Mapping[str, int] | None = None,
    result: VoteResult | str | None = None,
    president_choice: BallotChoice | str | None = None,
) -> Vote:
    """Record the vote on an item and compute its result; never trusts a typed result when
    details or totals exist.

    Refused without quorum (when the assembly requires it). Modes: ``detail`` (``choices`` per
    mandate id, ``default_choice`` for the rest), ``totals`` (``counts`` with keys for,
    against, abstention, not_voting; ``president_choice`` on a public tie), ``result``
    (``result`` only) and ``noted``. Side effects: item voted; act adopted or rejected, dated
    and numbered (deliberations); journal events ``seance.item.voted`` and ``act.voted``.
    """
    _clerk(actor, item.seance.collectivite)
    if mode not in VoteMode.values:
        raise InvalidData(_("Unknown vote mode: %(mode)s.") % {"mode": mode}, field="mode")
    mode = VoteMode(mode)
    with transaction.atomic():
        seance = locked(Seance, item.seance_id)
        item = AgendaItem.objects.select_related("seance__assembly").get(pk=item.pk)
        if seance.status != SeanceStatus.OPEN:
            raise StateConflict(_("Votes are recorded while the séance is open."))
        if item.status == AgendaItemStatus.VOTED:
            raise StateConflict(_("This item has already been voted."))
        if item.status != AgendaItemStatus.PLANNED:
            raise StateConflict(_("This item is no longer on the agenda."))
        act = locked(Act, item.act_id)
        day = seance_day(seance)
        office = list(members_in_office(seance.assembly, day).values_list("pk", flat=True))
        presences = [
            Presence(r.mandate_id, AttendanceStatus(r.status), r.proxy_holder_id, r.interested)
            for r in item.attendance.all()
        ]
        count = count_item(office, presences)
        if seance.assembly.quorum_required and not count.has_quorum:
            raise QuorumNotReached(
                _(
                    "No quorum on this item: %(present)d members present for %(in_office)d in "
                    "office, %(needed)d needed (proxies do not count). Wait for arrivals, or "
                    "postpone the item: a new convocation without quorum condition is then possible."
                )
                % {
                    "present": count.present,
                    "in_office": count.in_office,
                    "needed": count.quorum_needed,
                }
            )
        vote = Vote(
            item=item,
            mode=mode,
            secret=secret,
            members_in_office=count.in_office,
            present=count.present,
            represented=count.represented,
            recorded_by=actor,
            recorded_at=timezone.now(),
        )
        ballots: dict[int, tuple[BallotChoice, int]] = {}
        if mode == VoteMode.NOTED:
            vote.result = VoteResult.NOTED
        elif mode == VoteMode.RESULT:
            if result not in (VoteResult.ADOPTED, VoteResult.REJECTED):
                raise InvalidData(
                    _("Say whether the project was adopted or rejected."), field="result"
                )
            vote.result = VoteResult(result)
        else:
            if mode == VoteMode.DETAIL:
                if secret:
                    raise InvalidData(
                        _("A secret ballot cannot be recorded member by member."), field="secret"
                    )
                ballots = _counts_from_details(
                    count.voter_ids, count.proxies, choices or {}, default_choice
                )
                t = tally(choice for choice, _by in ballots.values())
                president = ballots.get(seance.president_id) if seance.president_id else None
                president_vote = president[0] if president else None
            else:
                t = _tally_from_counts(counts or {}, len(count.voter_ids))
                president_vote = BallotChoice(president_choice) if president_choice else None
                if (
                    t.for_count == t.against_count
                    and t.votes_cast
                    and not secret
                    and president_vote is None
                ):
                    raise InvalidData(
                        _("The vote is tied: say how the president voted (his vote prevails)."),
                        field="president_choice",
                    )
            outcome = decide(t, secret=secret, president_choice=president_vote)
            vote.result = outcome.result
            vote.president_casting_vote = outcome.casting_vote
            vote.for_count, vote.against_count = t.for_count, t.against_count
            vote.abstention_count, vote.not_voting_count = t.abstention_count, t.not_voting_count
        vote.save()
        Ballot.objects.bulk_create(
            [
                Ballot(vote=vote, mandate_id=m, cast_by_id=by, choice=c)
                for m, (c, by) in ballots.items()
            ]
        )
        AgendaItemFlow(item).run("vote")
        item.save(update_fields=["status"])
        ActFlow(act).run("reject" if vote.result == VoteResult.REJECTED else "adopt")
        act.decision_date = day
        act.save(update_fields=["status", "decision_date", "updated_at"])
        summary = {
            "item": item.pk,
            "mode": str(mode),
            "secret": secret,
            "result": str(vote.result),
            "in_office": vote.members_in_office,
            "present": vote.present,
            "represented": vote.represented,
            "for": vote.for_count,
            "against": vote.against_count,
            "abstention": vote.abstention_count,
            "not_voting": vote.not_voting_count,
            "casting_vote": vote.president_casting_vote,
        }
        record_event(seance, "seance.item.voted", actor=actor, data=summary)
        record_event(act, "act.voted", actor=actor, data={**summary, "seance": seance.pk})
        number_act(act=act, actor=actor, on=day)
    return vote


def _tally_from_counts(counts: Mapping[str, int], voters: int) -> Tally:
    try:
        values = {
            key: int(counts.get(key, 0)) for key in ("for", "against", "abstention", "not_voting")
        }
    except (TypeError, ValueError) as exc:
        raise InvalidData(_("Vote counts must be whole numbers.")) from exc
    if any(v < 0 for v in values.values()):
        raise InvalidData(_("Vote counts cannot be negative."))
    total = sum(values.values())
    if total != voters:
        raise InvalidData(
            _(
                "The counts add up to %(total)d but %(voters)d members are present or represented "
                "on this item: each of them votes for, against, abstains or does not take part."
            )
            % {"total": total, "voters": voters}
        )
    return Tally(values["for"], values["against"], values["abstention"], values["not_voting"])


def cancel_vote(*, item: AgendaItem, actor: User, reason: str) -> AgendaItem:
    """Cancel a vote recorded by mistake, while the séance is open; the act keeps its number.

    Side effects: act back to scheduled; journal events ``seance.item.vote_cancelled`` and
    ``act.vote_cancelled``.
    """
    _clerk(actor, item.seance.collectivite)
    if not reason.strip():
        raise InvalidData(_("Give the reason for cancelling the vote."), field="reason")
    with transaction.atomic():
        seance = locked(Seance, item.seance_id)
        item = AgendaItem.objects.get(pk=item.pk)
        if seance.status != SeanceStatus.OPEN:
            raise StateConflict(_("A vote can only be corrected while the séance is open."))
        if item.status != AgendaItemStatus.VOTED:
            raise StateConflict(_("This item has not been voted."))
        act = locked(Act, item.act_id)
        if act.status not in (ActStatus.ADOPTED, ActStatus.REJECTED):
            raise StateConflict(
                _("The act has already been signed: its vote can no longer change.")
            )
        ActFlow(act).run("reopen_vote")
        act.save(update_fields=["status", "updated_at"])
        Vote.objects.filter(item=item).delete()
        AgendaItemFlow(item).run("cancel_vote")
        item.save(update_fields=["status"])
        record_event(
            seance,
            "seance.item.vote_cancelled",
            actor=actor,
            data={"item": item.pk, "reason": reason},
        )
        record_event(act, "act.vote_cancelled", actor=actor, data={"reason": reason})
    return item


def close_seance(*, seance: Seance, actor: User) -> Seance:
    """Close the séance once every item is voted, postponed or withdrawn.

    Side effects: status → closed; journal event ``seance.closed``.
    """
    _clerk(actor, seance.collectivite)
    with transaction.atomic():
        current = locked(Seance, seance.pk)
        pending = current.items.filter(status=AgendaItemStatus.PLANNED).count()
        if pending:
            raise StateConflict(
                _("%(count)d item(s) are neither voted, postponed nor withdrawn.")
                % {"count": pending}
            )
        SeanceFlow(current).run("close")
        current.closed_at = timezone.now()
        current.save(update_fields=["status", "closed_at"])
        voted = current.items.filter(status=AgendaItemStatus.VOTED).count()
        record_event(current, "seance.closed", actor=actor, data={"voted_items": voted})
    return current
