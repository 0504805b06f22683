import datetime as dt

import pytest

from deliberations.enums import AttendanceStatus as A
from deliberations.enums import BallotChoice as B
from deliberations.enums import VoteResult
from deliberations.rules import (
    Presence,
    Tally,
    clear_days,
    count_item,
    decide,
    proxy_problems,
    required_clear_days,
    tally,
)

OFFICE = list(range(1, 30))  # 29 members in office


def presences(present=(), remote=(), proxies=None, interested=(), absent=()):
    rows = [Presence(m, A.PRESENT, interested=m in interested) for m in present]
    rows += [Presence(m, A.REMOTE, interested=m in interested) for m in remote]
    rows += [
        Presence(m, A.PROXY, holder, interested=m in interested)
        for m, holder in (proxies or {}).items()
    ]
    rows += [Presence(m, A.ABSENT) for m in absent]
    return rows


def test_quorum_needs_more_than_half_of_members_in_office():
    assert count_item(OFFICE, presences(present=range(1, 15))).has_quorum is False  # 14 of 29
    assert count_item(OFFICE, presences(present=range(1, 16))).has_quorum is True  # 15 of 29
    assert count_item(OFFICE, []).quorum_needed == 15


def test_quorum_on_even_assembly_needs_half_plus_one():
    office = list(range(1, 11))
    assert count_item(office, presences(present=range(1, 6))).has_quorum is False  # 5 of 10
    assert count_item(office, presences(present=range(1, 7))).has_quorum is True  # 6 of 10


def test_proxies_do_not_count_for_quorum():
    rows = presences(present=range(1, 15), proxies={20: 1, 21: 2, 22: 3})
    count = count_item(OFFICE, rows)
    assert (count.present, count.represented, count.has_quorum) == (14, 3, False)


def test_remote_members_count_as_present():
    count = count_item(OFFICE, presences(present=range(1, 10), remote=range(10, 16)))
    assert (count.present, count.has_quorum) == (15, True)


def test_interested_members_are_excluded_from_quorum_and_vote():
    rows = presences(present=range(1, 16), interested={3})
    count = count_item(OFFICE, rows)
    assert count.present == 14
    assert count.has_quorum is False
    assert 3 not in count.voter_ids
    assert count.interested_ids == frozenset({3})


def test_proxy_is_void_when_holder_is_absent_or_interested():
    rows = presences(present=[1, 2], proxies={20: 1, 21: 2, 22: 9}, interested={2}, absent=[9])
    count = count_item(OFFICE, rows)
    assert dict(count.proxies) == {20: 1}
    assert count.voter_ids == frozenset({1, 20})


def test_interested_giver_is_not_represented():
    count = count_item(OFFICE, presences(present=[1], proxies={20: 1}, interested={20}))
    assert dict(count.proxies) == {}


def test_members_out_of_office_are_ignored():
    count = count_item([1, 2, 3], presences(present=[1, 2, 99]))
    assert (count.in_office, count.present) == (3, 2)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (presences(present=[1, 2], proxies={10: 1, 11: 1}), [(11, "holder_has_proxy")]),
        (presences(present=[1], proxies={10: 11, 11: 1}), [(10, "holder_is_giver")]),
        (presences(proxies={10: 10}), [(10, "self")]),
        ([Presence(10, A.PROXY, None)], [(10, "holder_not_set")]),
        ([Presence(10, A.PRESENT, 3)], [(10, "holder_without_proxy")]),
        (presences(present=[1, 2], proxies={10: 1, 11: 2}), []),
    ],
)
def test_proxy_problems(rows, expected):
    assert proxy_problems(rows) == expected


def test_tally_counts_each_choice():
    assert tally([B.FOR, B.FOR, B.AGAINST, B.ABSTENTION, B.NOT_VOTING]) == Tally(2, 1, 1, 1)


def test_majority_of_votes_cast_ignores_abstentions():
    # 10 for, 9 against, 10 abstentions: adopted (abstentions are not votes cast).
    assert decide(Tally(10, 9, 10, 0), secret=False, president_choice=None) == (
        decide(Tally(10, 9, 0, 0), secret=False, president_choice=None)
    )
    assert (
        decide(Tally(10, 9, 10, 0), secret=False, president_choice=None).result
        == VoteResult.ADOPTED
    )
    assert (
        decide(Tally(9, 10, 0, 0), secret=False, president_choice=B.FOR).result
        == VoteResult.REJECTED
    )


def test_public_tie_is_decided_by_the_president():
    adopted = decide(Tally(10, 10, 3, 0), secret=False, president_choice=B.FOR)
    rejected = decide(Tally(10, 10, 3, 0), secret=False, president_choice=B.AGAINST)
    assert (adopted.result, adopted.casting_vote) == (VoteResult.ADOPTED, True)
    assert (rejected.result, rejected.casting_vote) == (VoteResult.REJECTED, True)


def test_secret_tie_is_a_rejection():
    outcome = decide(Tally(10, 10, 0, 0), secret=True, president_choice=B.FOR)
    assert (outcome.result, outcome.casting_vote) == (VoteResult.REJECTED, False)


def test_tie_with_abstaining_president_is_a_rejection():
    outcome = decide(Tally(5, 5, 1, 0), secret=False, president_choice=B.ABSTENTION)
    assert (outcome.result, outcome.casting_vote) == (VoteResult.REJECTED, False)


def test_no_vote_cast_is_a_rejection():
    assert (
        decide(Tally(0, 0, 12, 0), secret=False, president_choice=B.ABSTENTION).result
        == VoteResult.REJECTED
    )


def test_clear_days_exclude_sending_day_and_seance_day():
    assert clear_days(dt.date(2026, 3, 1), dt.date(2026, 3, 7)) == 5
    assert clear_days(dt.date(2026, 3, 2), dt.date(2026, 3, 7)) == 4


def test_urgency_reduces_delay_to_one_clear_day():
    assert required_clear_days(5, urgency=True) == 1
    assert required_clear_days(5, urgency=False) == 5
