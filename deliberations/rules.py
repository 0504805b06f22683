"""The law of the séance as pure functions: quorum, majority, convocation delay.

No database access here: the services gather the facts and these functions decide, so every
rule is tested exhaustively without fixtures (tests/deliberations/test_rules.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .enums import AttendanceStatus, BallotChoice, VoteResult


@dataclass(frozen=True)
class Presence:
    """One member's situation for one agenda item."""

    mandate_id: int
    status: AttendanceStatus
    proxy_holder_id: int | None = None
    interested: bool = False


@dataclass(frozen=True)
class ItemCount:
    """Who counts for one agenda item (CGCT L2121-17, L2121-20, L2131-11)."""

    in_office: int
    present_ids: frozenset[int]
    #: giver id → holder id, for proxies that can be exercised on this item.
    proxies: Mapping[int, int] = field(default_factory=dict)
    interested_ids: frozenset[int] = frozenset()

    @property
    def present(self) -> int:
        return len(self.present_ids)

    @property
    def represented(self) -> int:
        return len(self.proxies)

    @property
    def quorum_needed(self) -> int:
        """More than half of the members in office must be present."""
        return self.in_office // 2 + 1

    @property
    def has_quorum(self) -> bool:
        return self.present >= self.quorum_needed

    @property
    def voter_ids(self) -> frozenset[int]:
        """Members whose vote may be expressed: present ones and those represented."""
        return self.present_ids | frozenset(self.proxies)


def count_item(in_office_ids: Iterable[int], presences: Iterable[Presence]) -> ItemCount:
    """Who is present, represented and excluded for one item.

    Members who declared an interest are excluded from the vote and from the quorum; proxies
    never count for the quorum; a proxy is exercised only if its holder is present and not
    interested on this item.
    """
    office = frozenset(in_office_ids)
    by_id = {p.mandate_id: p for p in presences if p.mandate_id in office}
    interested = frozenset(mid for mid, p in by_id.items() if p.interested)
    present = frozenset(
        mid for mid, p in by_id.items() if p.status.is_present and mid not in interested
    )
    proxies = {
        mid: p.proxy_holder_id
        for mid, p in by_id.items()
        if p.status == AttendanceStatus.PROXY
        and p.proxy_holder_id in present
        and mid not in interested
    }
    return ItemCount(
        in_office=len(office), present_ids=present, proxies=proxies, interested_ids=interested
    )


def proxy_problems(presences: Iterable[Presence]) -> list[tuple[int, str]]:
    """Breaches of the proxy rules: (mandate id, reason code).

    Codes: ``self`` (proxy to oneself), ``missing_holder``, ``holder_has_proxy`` (a member may
    hold only one proxy), ``holder_is_giver`` (a member who gave a proxy cannot receive one),
    ``holder_not_set`` (status proxy without a holder), ``holder_without_proxy`` (a holder on a
    member who did not give a proxy).
    """
    items = list(presences)
    givers = {p.mandate_id for p in items if p.status == AttendanceStatus.PROXY}
    held: dict[int, int] = {}
    problems: list[tuple[int, str]] = []
    for p in items:
        if p.status != AttendanceStatus.PROXY:
            if p.proxy_holder_id is not None:
                problems.append((p.mandate_id, "holder_without_proxy"))
            continue
        if p.proxy_holder_id is None:
            problems.append((p.mandate_id, "holder_not_set"))
        elif p.proxy_holder_id == p.mandate_id:
            problems.append((p.mandate_id, "self"))
        elif p.proxy_holder_id in givers:
            problems.append((p.mandate_id, "holder_is_giver"))
        elif p.proxy_holder_id in held:
            problems.append((p.mandate_id, "holder_has_proxy"))
        else:
            held[p.proxy_holder_id] = p.mandate_id
    return problems


@dataclass(frozen=True)
class Tally:
    for_count: int
    against_count: int
    abstention_count: int
    not_voting_count: int

    @property
    def votes_cast(self) -> int:
        """Abstentions and members not taking part are not votes cast."""
        return self.for_count + self.against_count

    @property
    def voters(self) -> int:
        return self.for_count + self.against_count + self.abstention_count

    @property
    def total(self) -> int:
        return self.voters + self.not_voting_count


def tally(choices: Iterable[BallotChoice]) -> Tally:
    values = list(choices)
    return Tally(
        for_count=values.count(BallotChoice.FOR),
        against_count=values.count(BallotChoice.AGAINST),
        abstention_count=values.count(BallotChoice.ABSTENTION),
        not_voting_count=values.count(BallotChoice.NOT_VOTING),
    )


@dataclass(frozen=True)
class Outcome:
    result: VoteResult
    casting_vote: bool = False


def decide(t: Tally, *, secret: bool, president_choice: BallotChoice | None) -> Outcome:
    """Majority of the votes cast; on a tie in a public vote the president's vote prevails.

    A tie in a secret ballot, or a tie where the president did not vote for or against, is a
    rejection (no majority). No vote cast at all is a rejection as well.
    """
    if t.for_count > t.against_count:
        return Outcome(VoteResult.ADOPTED)
    if t.for_count < t.against_count or t.votes_cast == 0:
        return Outcome(VoteResult.REJECTED)
    if not secret and president_choice == BallotChoice.FOR:
        return Outcome(VoteResult.ADOPTED, casting_vote=True)
    if not secret and president_choice == BallotChoice.AGAINST:
        return Outcome(VoteResult.REJECTED, casting_vote=True)
    return Outcome(VoteResult.REJECTED)


def clear_days(convocation: dt.date, seance: dt.date) -> int:
    """Jours francs: neither the day of sending nor the day of the séance count."""
    return (seance - convocation).days - 1


def required_clear_days(base: int, *, urgency: bool) -> int:
    return 1 if urgency else base
