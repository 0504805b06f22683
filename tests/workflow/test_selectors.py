"""The inbox: direct, desk and delegated folders, "all" steps already approved, opinions, late
first; the menu count agrees with the list; both cost a bounded number of queries."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from deliberations.enums import ActType
from tests.factories import CollectiviteFactory
from tests.factories.workflow import DelegationFactory, make_circuit, visa
from tests.workflow.conftest import project
from workflow import services
from workflow.enums import StepMode
from workflow.models import StepRun
from workflow.selectors import inbox_count, inbox_for


def first_step(run):
    return StepRun.objects.get(run=run, position=1)


def test_inbox_lists_direct_and_desk_steps(collectivite, clerk, preparation, dgs, deputy_dgs):
    act = project(collectivite, clerk)
    run = services.start_circuit(act=act, actor=clerk)
    for user in (dgs, deputy_dgs):
        items = inbox_for(user)
        assert [(i.act, i.step, i.on_behalf_of, i.is_opinion) for i in items] == [
            (act, first_step(run), None, False)
        ]
        assert inbox_count(user) == 1
    assert (inbox_for(clerk), inbox_count(clerk)) == ([], 0)


def test_inbox_late_first_then_by_deadline(collectivite, admin, clerk, maire):
    make_circuit(collectivite, admin, visa("Visa", maire, deadline_days=10), name="Lent")
    slow = project(collectivite, clerk, objet="Sans urgence")
    services.start_circuit(act=slow, actor=clerk)
    soon = project(collectivite, clerk, objet="Bientôt")
    late = project(collectivite, clerk, objet="En retard")
    no_deadline = project(collectivite, clerk, objet="Sans délai")
    for act in (soon, late, no_deadline):
        services.start_circuit(act=act, actor=clerk)
    today = timezone.localdate()
    StepRun.objects.filter(run__act=soon).update(deadline=today + dt.timedelta(days=2))
    StepRun.objects.filter(run__act=late).update(deadline=today - dt.timedelta(days=1))
    StepRun.objects.filter(run__act=no_deadline).update(deadline=None)
    items = inbox_for(maire)
    assert [(i.act.objet, i.late) for i in items] == [
        ("En retard", True),
        ("Bientôt", False),
        ("Sans urgence", False),
        ("Sans délai", False),
    ]
    assert inbox_count(maire) == 4


def test_all_step_leaves_the_inbox_of_who_approved(collectivite, admin, clerk, maire, adjointe):
    make_circuit(
        collectivite, admin, visa("Conjoint", maire, adjointe, mode=StepMode.ALL), name="ET"
    )
    act = project(collectivite, clerk)
    run = services.start_circuit(act=act, actor=clerk)
    services.approve_step(step_run=first_step(run), actor=maire)
    assert (inbox_for(maire), inbox_count(maire)) == ([], 0)
    assert [i.step for i in inbox_for(adjointe)] == [first_step(run)]


def test_delegated_folders_show_for_whom(collectivite, clerk, preparation, dgs, adjointe):
    act = project(collectivite, clerk)
    run = services.start_circuit(act=act, actor=clerk)
    DelegationFactory(collectivite=collectivite, delegator=dgs, delegate=adjointe)
    assert [(i.step, i.on_behalf_of) for i in inbox_for(adjointe)] == [(first_step(run), dgs)]
    assert inbox_count(adjointe) == 1


def test_an_opinion_moves_the_folder_to_the_person_consulted(
    collectivite, clerk, preparation, dgs, deputy_dgs, maire
):
    act = project(collectivite, clerk)
    run = services.start_circuit(act=act, actor=clerk)
    opinion = services.request_opinion(
        step_run=first_step(run), actor=dgs, requested_from=maire, question="Votre avis ?"
    )
    assert (inbox_for(dgs), inbox_for(deputy_dgs)) == ([], [])
    assert [(i.opinion, i.is_opinion) for i in inbox_for(maire)] == [(opinion, True)]
    assert inbox_count(maire) == 1
    services.answer_opinion(opinion=opinion, actor=maire, answer="Favorable")
    assert (inbox_for(maire), [i.step for i in inbox_for(dgs)]) == ([], [first_step(run)])


def test_inbox_is_limited_to_the_collectivite(collectivite, clerk, preparation, dgs):
    other = CollectiviteFactory()
    services.start_circuit(act=project(collectivite, clerk), actor=clerk)
    assert inbox_count(dgs, collectivite_id=other.pk) == 0
    assert len(inbox_for(dgs, collectivite_id=collectivite.pk)) == 1


def test_inbox_page_query_count_does_not_grow_with_folders(
    client, collectivite, admin, clerk, desk, dgs, maire, django_assert_num_queries
):
    make_circuit(collectivite, admin, visa("DGS", desk), name="DGS")
    make_circuit(
        collectivite, admin, visa("Maire", maire), name="Arrêtés", act_types=[ActType.ARRETE]
    )
    DelegationFactory(collectivite=collectivite, delegator=maire, delegate=dgs)

    def add(n):
        for index in range(n):
            services.start_circuit(act=project(collectivite, clerk, objet=f"D{index}"), actor=clerk)
            services.start_circuit(
                act=project(collectivite, clerk, act_type=ActType.ARRETE, objet=f"A{index}"),
                actor=clerk,
            )

    client.force_login(dgs)
    add(2)
    with django_assert_num_queries(10) as few:
        response = client.get(reverse("inbox"))
    assert len(response.context["items"]) == 4
    add(15)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(reverse("inbox"))
    assert len(response.context["items"]) == 34
    assert response.context["inbox_count"] == 34
