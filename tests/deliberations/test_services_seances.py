import datetime as dt

import pytest
from django.utils import timezone

from deliberations import services
from deliberations.enums import (
    ActStatus,
    AgendaItemStatus,
    AttendanceStatus,
    BallotChoice,
    SeanceStatus,
    VoteMode,
    VoteResult,
)
from deliberations.exceptions import InvalidData, NotAllowed, QuorumNotReached, StateConflict
from deliberations.models import Ballot, ItemAttendance, Vote
from deliberations.selectors import convocation_check, item_count
from deliberations.services import AttendanceEntry
from tests.deliberations.conftest import make_validated_project
from workflow.exceptions import TransitionRefused
from workflow.journal import events_for

P, R, ABS = AttendanceStatus.PRESENT, AttendanceStatus.PROXY, AttendanceStatus.ABSENT


@pytest.fixture
def projects(collectivite, clerk, validator, assembly):
    return [
        make_validated_project(collectivite, clerk, validator, assembly, objet=f"Projet {i}")
        for i in range(1, 4)
    ]


@pytest.fixture
def agenda(seance, clerk, projects):
    return [services.add_to_agenda(seance=seance, actor=clerk, act=act) for act in projects]


def roll_call(seance, clerk, mandates, present: int, proxies=None):
    entries = [AttendanceEntry(m.pk, P) for m in mandates[:present]]
    entries += [AttendanceEntry(m.pk, ABS) for m in mandates[present:]]
    for giver, holder in (proxies or {}).items():
        entries = [e for e in entries if e.mandate_id != mandates[giver].pk]
        entries.append(AttendanceEntry(mandates[giver].pk, R, mandates[holder].pk))
    return services.record_roll_call(seance=seance, actor=clerk, entries=entries)


@pytest.fixture
def open_seance(seance, clerk, agenda, mandates, numbering):
    services.convene(seance=seance, actor=clerk, convocation_date=timezone.localdate())
    roll_call(seance, clerk, mandates, present=20, proxies={25: 0, 26: 1})
    return services.open_seance(seance=seance, actor=clerk)


def test_agenda_positions_and_act_status(seance, agenda, projects):
    assert [i.position for i in agenda] == [1, 2, 3]
    for act in projects:
        act.refresh_from_db()
        assert act.status == ActStatus.SCHEDULED
        assert act.assembly_id == seance.assembly_id


def test_insert_at_position_shifts_later_items(
    seance, clerk, validator, collectivite, assembly, agenda
):
    act = make_validated_project(collectivite, clerk, validator, assembly, objet="Urgent")
    item = services.add_to_agenda(seance=seance, actor=clerk, act=act, position=2)
    positions = list(seance.items.order_by("position").values_list("act__objet", "position"))
    assert positions == [("Projet 1", 1), ("Urgent", 2), ("Projet 2", 3), ("Projet 3", 4)]
    assert item.added_late is False


def test_item_added_after_convocation_is_late(
    seance, clerk, validator, collectivite, assembly, agenda
):
    services.convene(seance=seance, actor=clerk)
    act = make_validated_project(collectivite, clerk, validator, assembly, objet="Point ajouté")
    assert services.add_to_agenda(seance=seance, actor=clerk, act=act).added_late is True


def test_draft_cannot_be_scheduled(seance, clerk, collectivite, assembly):
    act = services.create_project(
        collectivite=collectivite, actor=clerk, act_type="deliberation", objet="Brouillon"
    )
    with pytest.raises(TransitionRefused):
        services.add_to_agenda(seance=seance, actor=clerk, act=act)
    assert seance.items.count() == 0


def test_reorder_agenda(seance, clerk, agenda):
    services.reorder_agenda(
        seance=seance, actor=clerk, item_ids=[agenda[2].pk, agenda[0].pk, agenda[1].pk]
    )
    assert list(seance.items.order_by("position").values_list("pk", flat=True)) == [
        agenda[2].pk,
        agenda[0].pk,
        agenda[1].pk,
    ]
    with pytest.raises(InvalidData):
        services.reorder_agenda(seance=seance, actor=clerk, item_ids=[agenda[0].pk])


def test_remove_from_planned_agenda_deletes_item(seance, clerk, agenda, projects):
    services.remove_from_agenda(item=agenda[0], actor=clerk)
    projects[0].refresh_from_db()
    assert projects[0].status == ActStatus.VALIDATED
    assert list(seance.items.values_list("position", flat=True)) == [1, 2]


def test_withdraw_from_convened_agenda_needs_reason_and_keeps_item(seance, clerk, agenda):
    services.convene(seance=seance, actor=clerk)
    with pytest.raises(InvalidData):
        services.remove_from_agenda(item=agenda[0], actor=clerk)
    item = services.remove_from_agenda(item=agenda[0], actor=clerk, reason="Dossier incomplet")
    assert item.status == AgendaItemStatus.WITHDRAWN


def test_convocation_delay_warning(collectivite, clerk, assembly, mandates, agenda, seance):
    seance_day = timezone.localtime(seance.date).date()
    late = services.convene(
        seance=seance, actor=clerk, convocation_date=seance_day - dt.timedelta(days=3)
    )
    check = convocation_check(late)
    assert (check.clear_days, check.required, check.ok) == (2, 5, False)
    assert events_for(seance).last().data["delay_respected"] is False


def test_small_commune_needs_three_clear_days_and_urgency_one(collectivite, clerk, seance, agenda):
    collectivite.population = 800
    collectivite.save()
    seance_day = timezone.localtime(seance.date).date()
    assert convocation_check(seance, seance_day - dt.timedelta(days=4)).ok is True
    assert convocation_check(seance, seance_day - dt.timedelta(days=3)).ok is False
    seance.urgency = True
    assert convocation_check(seance, seance_day - dt.timedelta(days=2)).ok is True


def test_convene_refused_without_agenda(seance, clerk):
    with pytest.raises(StateConflict):
        services.convene(seance=seance, actor=clerk)
    seance.refresh_from_db()
    assert seance.status == SeanceStatus.PLANNED


def test_open_seance_builds_attendance_per_item(open_seance, agenda, mandates):
    assert open_seance.status == SeanceStatus.OPEN
    assert ItemAttendance.objects.filter(item=agenda[0]).count() == 29
    count = item_count(agenda[0])
    assert (count.in_office, count.present, count.represented, count.has_quorum) == (
        29,
        20,
        2,
        True,
    )


def test_roll_call_refuses_second_proxy_to_same_holder(seance, clerk, mandates, agenda):
    with pytest.raises(InvalidData) as info:
        roll_call(seance, clerk, mandates, present=20, proxies={25: 0, 26: 0})
    assert "already holds a proxy" in str(info.value)
    assert seance.roll_call.count() == 0


def test_vote_per_member_with_proxies(open_seance, clerk, agenda, mandates, projects):
    choices = {
        mandates[2].pk: BallotChoice.AGAINST,
        mandates[3].pk: BallotChoice.ABSTENTION,
        mandates[25].pk: BallotChoice.AGAINST,
    }
    vote = services.record_vote(
        item=agenda[0],
        actor=clerk,
        mode=VoteMode.DETAIL,
        choices=choices,
        default_choice=BallotChoice.FOR,
    )
    assert (vote.for_count, vote.against_count, vote.abstention_count, vote.not_voting_count) == (
        19,
        2,
        1,
        0,
    )
    assert (vote.present, vote.represented, vote.result) == (20, 2, VoteResult.ADOPTED)
    proxy_ballot = Ballot.objects.get(vote=vote, mandate=mandates[25])
    assert proxy_ballot.cast_by == mandates[0]
    act = projects[0]
    act.refresh_from_db()
    assert act.status == ActStatus.ADOPTED
    assert act.decision_date == timezone.localtime(open_seance.date).date()
    assert act.number == f"DEL{act.decision_date.year}_0001"


def test_vote_numbers_deliberations_in_order(open_seance, clerk, agenda, projects, numbering):
    for item in agenda:
        services.record_vote(item=item, actor=clerk, mode=VoteMode.NOTED)
    year = timezone.localtime(open_seance.date).year
    numbers = [type(p).objects.get(pk=p.pk).number for p in projects]
    assert numbers == [f"DEL{year}_0001", f"DEL{year}_0002", f"DEL{year}_0003"]


def test_vote_refused_without_quorum_and_nothing_changes(
    seance, clerk, agenda, mandates, projects, numbering
):
    services.convene(seance=seance, actor=clerk)
    roll_call(seance, clerk, mandates, present=14, proxies={20: 0, 21: 1})
    services.open_seance(seance=seance, actor=clerk)
    with pytest.raises(QuorumNotReached) as info:
        services.record_vote(
            item=agenda[0], actor=clerk, mode=VoteMode.RESULT, result=VoteResult.ADOPTED
        )
    assert str(info.value).startswith(
        "No quorum on this item: 14 members present for 29 in office, 15 needed"
    )
    assert Vote.objects.count() == 0
    projects[0].refresh_from_db()
    assert (projects[0].status, projects[0].number) == (ActStatus.SCHEDULED, "")


def test_arrival_restores_quorum_for_later_items(seance, clerk, agenda, mandates, numbering):
    services.convene(seance=seance, actor=clerk)
    roll_call(seance, clerk, mandates, present=14)
    services.open_seance(seance=seance, actor=clerk)
    services.record_movement(item=agenda[1], actor=clerk, mandate=mandates[20], status=P)
    assert item_count(agenda[0]).has_quorum is False
    assert item_count(agenda[1]).present == 15
    assert item_count(agenda[2]).present == 15
    services.record_vote(item=agenda[1], actor=clerk, mode=VoteMode.NOTED)


def test_departure_with_proxy_applies_from_item(open_seance, clerk, agenda, mandates):
    services.record_movement(
        item=agenda[2], actor=clerk, mandate=mandates[5], status=R, proxy_holder=mandates[6]
    )
    assert item_count(agenda[1]).present == 20
    count = item_count(agenda[2])
    assert (count.present, count.represented, dict(count.proxies)[mandates[5].pk]) == (
        19,
        3,
        mandates[6].pk,
    )


def test_movement_refuses_proxy_to_holder_of_another(open_seance, clerk, agenda, mandates):
    with pytest.raises(InvalidData):
        services.record_movement(
            item=agenda[0], actor=clerk, mandate=mandates[5], status=R, proxy_holder=mandates[0]
        )
    assert ItemAttendance.objects.get(item=agenda[0], mandate=mandates[5]).status == P


def test_interested_member_is_excluded_from_vote(open_seance, clerk, agenda, mandates):
    services.declare_interest(item=agenda[0], actor=clerk, mandate=mandates[4])
    with pytest.raises(InvalidData):
        services.record_vote(
            item=agenda[0],
            actor=clerk,
            mode=VoteMode.DETAIL,
            choices={mandates[4].pk: BallotChoice.FOR},
            default_choice=BallotChoice.FOR,
        )
    vote = services.record_vote(
        item=agenda[0], actor=clerk, mode=VoteMode.DETAIL, default_choice=BallotChoice.FOR
    )
    assert (vote.present, vote.for_count) == (19, 21)


def test_totals_must_match_members_present_or_represented(open_seance, clerk, agenda):
    with pytest.raises(InvalidData) as info:
        services.record_vote(
            item=agenda[0], actor=clerk, mode=VoteMode.TOTALS, counts={"for": 10, "against": 5}
        )
    assert str(info.value).startswith(
        "The counts add up to 15 but 22 members are present or represented"
    )
    vote = services.record_vote(
        item=agenda[0],
        actor=clerk,
        mode=VoteMode.TOTALS,
        counts={"for": 10, "against": 5, "abstention": 7},
    )
    assert (vote.result, vote.voters) == (VoteResult.ADOPTED, 22)


def test_public_tie_in_totals_requires_and_uses_president_vote(
    open_seance, clerk, agenda, projects
):
    with pytest.raises(InvalidData):
        services.record_vote(
            item=agenda[0],
            actor=clerk,
            mode=VoteMode.TOTALS,
            counts={"for": 10, "against": 10, "abstention": 2},
        )
    vote = services.record_vote(
        item=agenda[0],
        actor=clerk,
        mode=VoteMode.TOTALS,
        counts={"for": 10, "against": 10, "abstention": 2},
        president_choice=BallotChoice.AGAINST,
    )
    assert (vote.result, vote.president_casting_vote) == (VoteResult.REJECTED, True)
    projects[0].refresh_from_db()
    assert projects[0].status == ActStatus.REJECTED


def test_tie_in_detail_mode_uses_president_ballot(open_seance, clerk, agenda, mandates):
    voters = [*mandates[:20], mandates[25], mandates[26]]
    choices = {
        m.pk: (BallotChoice.FOR if i % 2 == 0 else BallotChoice.AGAINST)
        for i, m in enumerate(voters)
    }
    choices[mandates[0].pk] = BallotChoice.FOR  # the president (mandates[0]) votes for
    vote = services.record_vote(item=agenda[0], actor=clerk, mode=VoteMode.DETAIL, choices=choices)
    assert (vote.for_count, vote.against_count) == (11, 11)
    assert (vote.result, vote.president_casting_vote) == (VoteResult.ADOPTED, True)


def test_secret_tie_is_rejected(open_seance, clerk, agenda):
    vote = services.record_vote(
        item=agenda[0],
        actor=clerk,
        mode=VoteMode.TOTALS,
        secret=True,
        counts={"for": 11, "against": 11},
    )
    assert (vote.result, vote.president_casting_vote) == (VoteResult.REJECTED, False)


def test_second_vote_on_same_item_is_refused(open_seance, clerk, agenda):
    services.record_vote(item=agenda[0], actor=clerk, mode=VoteMode.NOTED)
    with pytest.raises(StateConflict):
        services.record_vote(item=agenda[0], actor=clerk, mode=VoteMode.NOTED)
    assert Vote.objects.count() == 1


def test_cancel_vote_keeps_number(open_seance, clerk, agenda, projects, numbering):
    services.record_vote(
        item=agenda[0], actor=clerk, mode=VoteMode.RESULT, result=VoteResult.ADOPTED
    )
    projects[0].refresh_from_db()
    number = projects[0].number
    services.cancel_vote(item=agenda[0], actor=clerk, reason="Erreur de saisie")
    services.record_vote(
        item=agenda[0], actor=clerk, mode=VoteMode.RESULT, result=VoteResult.REJECTED
    )
    projects[0].refresh_from_db()
    assert (projects[0].number, projects[0].status) == (number, ActStatus.REJECTED)


def test_postpone_item_to_later_seance(
    open_seance, clerk, agenda, projects, assembly, collectivite
):
    later = services.create_seance(
        collectivite=collectivite,
        actor=clerk,
        assembly=assembly,
        date=open_seance.date + dt.timedelta(days=30),
        place="Salle du conseil",
    )
    services.postpone_item(item=agenda[1], actor=clerk, to_seance=later, reason="Attente d'un avis")
    agenda[1].refresh_from_db()
    projects[1].refresh_from_db()
    assert (agenda[1].status, agenda[1].postponed_to) == (AgendaItemStatus.POSTPONED, later)
    assert projects[1].status == ActStatus.SCHEDULED
    assert later.items.get().act == projects[1]


def test_close_requires_every_item_settled(open_seance, clerk, agenda):
    with pytest.raises(StateConflict):
        services.close_seance(seance=open_seance, actor=clerk)
    for item in agenda:
        services.record_vote(item=item, actor=clerk, mode=VoteMode.NOTED)
    closed = services.close_seance(seance=open_seance, actor=clerk)
    assert closed.status == SeanceStatus.CLOSED
    with pytest.raises(StateConflict):
        services.record_roll_call(seance=closed, actor=clerk, entries=[])


def test_validator_cannot_record_votes(open_seance, validator, agenda):
    with pytest.raises(NotAllowed):
        services.record_vote(item=agenda[0], actor=validator, mode=VoteMode.NOTED)
    assert Vote.objects.count() == 0


def test_seance_journal_tells_the_story(open_seance, clerk, agenda):
    services.record_vote(item=agenda[0], actor=clerk, mode=VoteMode.NOTED)
    actions = [e.action for e in events_for(open_seance)]
    assert actions == [
        "seance.created",
        "seance.item.added",
        "seance.item.added",
        "seance.item.added",
        "seance.convened",
        "seance.attendance.recorded",
        "seance.opened",
        "seance.item.voted",
    ]
