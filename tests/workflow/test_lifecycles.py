import pytest

from deliberations.enums import ActStatus as S
from deliberations.enums import ActType, SeanceStatus
from deliberations.models import Act, Seance
from workflow.exceptions import TransitionRefused
from workflow.lifecycles import ActFlow, SeanceFlow


def act(status, act_type=ActType.DELIBERATION, number=""):
    return Act(status=status, act_type=act_type, number=number)


@pytest.mark.parametrize(
    ("start", "transition", "end"),
    [
        (S.DRAFT, "submit", S.IN_CIRCUIT),
        (S.RETURNED, "submit", S.IN_CIRCUIT),
        (S.IN_CIRCUIT, "return_to_drafter", S.RETURNED),
        (S.IN_CIRCUIT, "recall", S.DRAFT),
        (S.IN_CIRCUIT, "validate", S.VALIDATED),
        (S.VALIDATED, "schedule", S.SCHEDULED),
        (S.POSTPONED, "schedule", S.SCHEDULED),
        (S.SCHEDULED, "postpone", S.POSTPONED),
        (S.SCHEDULED, "adopt", S.ADOPTED),
        (S.SCHEDULED, "reject", S.REJECTED),
        (S.ADOPTED, "reopen_vote", S.SCHEDULED),
        (S.SIGNED, "transmit", S.TRANSMITTED),
        (S.TRANSMITTED, "acknowledge", S.ACKNOWLEDGED),
        (S.ACKNOWLEDGED, "publish", S.PUBLISHED),
        (S.PUBLISHED, "cancel", S.CANCELLED),
        (S.VALIDATED, "withdraw", S.WITHDRAWN),
    ],
)
def test_deliberation_transitions_allowed(start, transition, end):
    subject = act(start)
    ActFlow(subject).run(transition)
    assert subject.status == end


@pytest.mark.parametrize(
    ("start", "transition"),
    [
        (S.DRAFT, "schedule"),
        (S.DRAFT, "adopt"),
        (S.VALIDATED, "adopt"),
        (S.SIGNED, "withdraw"),
        (S.ADOPTED, "transmit"),
        (S.DRAFT, "publish"),
        (S.WITHDRAWN, "submit"),
        (S.CANCELLED, "publish"),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(start, transition):
    subject = act(start)
    with pytest.raises(TransitionRefused) as info:
        ActFlow(subject).run(transition)
    assert subject.status == start
    assert str(info.value).startswith("This action is not possible while the act is")


def test_signature_needs_a_number_and_the_right_path():
    unnumbered = act(S.ADOPTED)
    with pytest.raises(TransitionRefused) as info:
        ActFlow(unnumbered).run("sign_adopted")
    assert str(info.value) == "The act must be numbered before it is signed."
    numbered = act(S.ADOPTED, number="DEL2026_0001")
    ActFlow(numbered).run("sign_adopted")
    assert numbered.status == S.SIGNED
    deliberation_in_circuit = act(S.IN_CIRCUIT, number="DEL2026_0002")
    with pytest.raises(TransitionRefused) as info:
        ActFlow(deliberation_in_circuit).run("sign_decision")
    assert str(info.value) == "A deliberation is signed after its vote in séance."


def test_arrete_is_never_scheduled_but_signed_from_circuit():
    arrete = act(S.VALIDATED, act_type=ActType.ARRETE, number="AR2026_0001")
    with pytest.raises(TransitionRefused) as info:
        ActFlow(arrete).run("schedule")
    assert str(info.value) == "Only deliberations are voted in séance."
    ActFlow(arrete).run("sign_decision")
    assert arrete.status == S.SIGNED


def test_available_transitions():
    assert ActFlow(act(S.IN_CIRCUIT)).available() == ["recall", "return_to_drafter", "validate"]


def test_seance_lifecycle():
    seance = Seance(status=SeanceStatus.PLANNED)
    flow = SeanceFlow(seance)
    flow.run("convene")
    flow.run("open")
    with pytest.raises(TransitionRefused):
        flow.run("convene")
    flow.run("close")
    assert seance.status == SeanceStatus.CLOSED


def test_agenda_item_lifecycle():
    from deliberations.enums import AgendaItemStatus as I
    from deliberations.models import AgendaItem
    from workflow.lifecycles import AgendaItemFlow

    item = AgendaItem(status=I.PLANNED)
    AgendaItemFlow(item).run("vote")
    assert item.status == I.VOTED
    with pytest.raises(TransitionRefused):
        AgendaItemFlow(item).run("postpone")
    AgendaItemFlow(item).run("cancel_vote")
    AgendaItemFlow(item).run("withdraw")
    assert item.status == I.WITHDRAWN
    with pytest.raises(TransitionRefused):
        AgendaItemFlow(item).run("vote")
    assert item.status == I.WITHDRAWN
