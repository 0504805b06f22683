"""Who may decide a step: an assignee directly, through a desk, or as a valid delegate.

The rule lives here once, in Python, for the services (which lock, then check) and the pages;
``workflow.selectors.actionable_steps`` expresses the same rule in SQL for the inbox, and
tests/workflow/test_delegations.py runs one table of cases against both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .enums import DecisionAction
from .exceptions import AlreadyDecided, NotAuthorised
from .models import Decision, Delegation, StepAssignee


@dataclass(frozen=True)
class Entry:
    """One frozen assignee of a step: a user, or a desk with its current members."""

    pk: int
    user_id: int | None
    group_id: int | None
    members: frozenset[int]
    approved: bool

    def includes(self, person_id: int) -> bool:
        return self.user_id == person_id or person_id in self.members


@dataclass(frozen=True)
class Capacity:
    """In which capacity someone decides: for which entry, on whose behalf (None: own name)."""

    entry: Entry
    on_behalf_of_id: int | None
    delegation: Delegation | None = None


def load_entries(step_run_id: int) -> list[Entry]:
    """The step's entries with desk members and whether each is already approved (1 query)."""
    rows = (
        StepAssignee.objects.filter(step_run_id=step_run_id)
        .annotate(
            approved=Exists(
                Decision.objects.filter(assignee=OuterRef("pk"), action=DecisionAction.APPROVE)
            )
        )
        .order_by("pk")
        .values_list("pk", "user_id", "group_id", "group__members", "approved")
    )
    grouped: dict[int, tuple[int | None, int | None, set[int], bool]] = {}
    for pk, user_id, group_id, member_id, approved in rows:
        entry = grouped.setdefault(pk, (user_id, group_id, set(), approved))
        if member_id is not None:
            entry[2].add(member_id)
    return [
        Entry(pk, user_id, group_id, frozenset(members), approved)
        for pk, (user_id, group_id, members, approved) in grouped.items()
    ]


def act_scope(act: Any) -> tuple[str, str | None]:
    """The act type and matière code delegations are matched against."""
    return act.act_type, (act.matiere.code if act.matiere_id else None)


def is_pes_flow(folder: Any) -> bool:
    """Is this folder a PES flow (exports.pes) rather than an act?"""
    return folder._meta.label_lower == "pes.pesflow"


def delegation_covers(delegation: Delegation, folder: Any) -> bool:
    """Does ``delegation`` cover this act (scope, types, matières) or this PES flow (a
    delegation whose scope includes treasury flows)? Dates aside."""
    if is_pes_flow(folder):
        return delegation.covers_pes
    return delegation.covers(*act_scope(folder))


def valid_delegations(delegate: Any, act: Any, day: dt.date | None = None) -> list[Delegation]:
    """Delegations ``delegate`` holds today that cover ``act`` — an act (type and matière) or a
    PES flow (scope) — in one query."""
    day = day or timezone.localdate()
    candidates = (
        Delegation.objects.filter(
            delegate_id=delegate.pk,
            collectivite_id=act.collectivite_id,
            revoked_at__isnull=True,
            starts_on__lte=day,
            ends_on__gte=day,
        )
        .select_related("delegator")
        .order_by("starts_on", "pk")
    )
    return [d for d in candidates if delegation_covers(d, act)]


def _pick(entries: Iterable[Entry], person_id: int, *, unsatisfied_only: bool) -> Entry | None:
    """The entry a person acts for: their own user entry first, then their desks."""
    mine = [e for e in entries if e.includes(person_id)]
    if unsatisfied_only:
        mine = [e for e in mine if not e.approved]
    mine.sort(key=lambda e: (e.user_id != person_id, e.pk))
    return mine[0] if mine else None


def find_capacity(
    entries: list[Entry],
    act: Any,
    actor: Any,
    *,
    on_behalf_of: Any = None,
    unsatisfied_only: bool,
    day: dt.date | None = None,
) -> Capacity:
    """Decide in which capacity ``actor`` may act on a step, or raise with the reason.

    Own name first (user entry, then desk); otherwise, or when ``on_behalf_of`` names a
    delegator, through a delegation valid today that covers the act. ``unsatisfied_only`` (an
    approval on an "all" step) skips entries already approved. Costs at most one query (the
    delegations), none when the actor decides in their own name.
    Raises AlreadyDecided when the actor's entries are all approved, NotAuthorised otherwise.
    """
    behalf_id = getattr(on_behalf_of, "pk", on_behalf_of)
    if behalf_id == actor.pk:
        behalf_id = None
    already = False
    if behalf_id is None:
        entry = _pick(entries, actor.pk, unsatisfied_only=unsatisfied_only)
        if entry is not None:
            return Capacity(entry, None)
        already = _pick(entries, actor.pk, unsatisfied_only=False) is not None
    for delegation in valid_delegations(actor, act, day):
        if behalf_id is not None and delegation.delegator_id != behalf_id:
            continue
        entry = _pick(entries, delegation.delegator_id, unsatisfied_only=unsatisfied_only)
        if entry is not None:
            return Capacity(entry, delegation.delegator_id, delegation)
        if _pick(entries, delegation.delegator_id, unsatisfied_only=False) is not None:
            already = True
    if already:
        raise AlreadyDecided(_("You have already approved this step."))
    raise NotAuthorised(refusal_reason(entries, act, actor, behalf_id=behalf_id, day=day))


def refusal_reason(
    entries: list[Entry],
    act: Any,
    actor: Any,
    *,
    behalf_id: int | None = None,
    day: dt.date | None = None,
) -> str:
    """Explain why ``actor`` may not decide: a delegation out of dates or scope, or none."""
    day = day or timezone.localdate()
    persons = {e.user_id for e in entries if e.user_id} | {m for e in entries for m in e.members}
    if behalf_id is not None:
        persons &= {behalf_id}
    delegations = (
        Delegation.objects.filter(
            delegate_id=actor.pk, collectivite_id=act.collectivite_id, delegator_id__in=persons
        )
        .select_related("delegator")
        .order_by("-ends_on", "pk")
    )
    for delegation in delegations:
        name = delegation.delegator.display_name
        if delegation.revoked_at is not None:
            return _(
                "Your delegation from %(name)s was revoked on %(date)s: ask %(name)s to decide, "
                "or to give you a new delegation."
            ) % {
                "name": name,
                "date": date_format(timezone.localtime(delegation.revoked_at).date()),
            }
        if delegation.starts_on > day:
            return _(
                "Your delegation from %(name)s only starts on %(date)s: until then, ask %(name)s "
                "to decide."
            ) % {
                "name": name,
                "date": date_format(delegation.starts_on),
            }
        if delegation.ends_on < day:
            return _(
                "Your delegation from %(name)s ended on %(date)s: ask %(name)s to decide, or to "
                "extend the delegation."
            ) % {
                "name": name,
                "date": date_format(delegation.ends_on),
            }
        if is_pes_flow(act) and not delegation.covers_pes:
            return _(
                "Your delegation from %(name)s does not cover the signature of treasury flows "
                "(PES): it must be given for them explicitly."
            ) % {"name": name}
        if not delegation_covers(delegation, act):
            return _(
                "Your delegation from %(name)s does not cover this act (its type or its "
                "matière is outside the delegation's scope): ask %(name)s to decide, or to "
                "extend the delegation."
            ) % {"name": name}
    return _(
        "You cannot decide on this step: you are not one of its assignees, neither directly, "
        "nor through a desk, nor by a delegation in force for this act. If you should be, ask "
        "an administrator to check the circuit and its desks."
    )
