import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from deliberations import services
from deliberations.enums import ActStatus, AttendanceStatus, Role, SeanceStatus, VoteResult
from deliberations.models import Act, Vote
from tests import pdfs
from tests.deliberations.conftest import FIXTURES, make_validated_project
from tests.factories import ActFactory, member


@pytest.fixture
def as_clerk(client, clerk):
    client.force_login(clerk)
    return client


def test_pages_require_login(client, collectivite):
    response = client.get(reverse("act-list"))
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/acts/"


def test_home_shows_roles_sections(as_clerk, collectivite, clerk):
    ActFactory(collectivite=collectivite, drafter=clerk, objet="Mon brouillon")
    response = as_clerk.get(reverse("home"))
    assert response.status_code == 200
    assert [a.objet for a in response.context["my_drafts"]] == ["Mon brouillon"]
    assert response.context["to_validate"] == []


def test_act_list_query_count_does_not_grow_with_rows(
    as_clerk, collectivite, clerk, django_assert_num_queries
):
    ActFactory.create_batch(3, collectivite=collectivite, drafter=clerk)
    # 9 = session, user, memberships, collectivité, roles, switcher, inbox badge, count, page.
    with django_assert_num_queries(9) as few:
        as_clerk.get(reverse("act-list"))
    ActFactory.create_batch(20, collectivite=collectivite, drafter=clerk)
    with django_assert_num_queries(len(few.captured_queries)):
        response = as_clerk.get(reverse("act-list"))
    assert len(response.context["page"].object_list) == 23


def test_act_list_search_and_filter(as_clerk, collectivite, clerk):
    ActFactory(collectivite=collectivite, drafter=clerk, objet="Tarifs de la cantine")
    ActFactory(collectivite=collectivite, drafter=clerk, objet="Subvention au club")
    response = as_clerk.get(reverse("act-list"), {"q": "cantine", "status": "draft"})
    assert [a.objet for a in response.context["page"].object_list] == ["Tarifs de la cantine"]


def test_other_collectivite_act_is_404(as_clerk, outsider):
    foreign = ActFactory(collectivite=outsider.memberships.first().collectivite, drafter=outsider)
    assert as_clerk.get(reverse("act-detail", args=[foreign.pk])).status_code == 404
    assert (
        as_clerk.post(
            reverse("act-action", args=[foreign.pk, "withdraw"]), {"reason": "x"}
        ).status_code
        == 404
    )


def test_create_project_through_the_form(as_clerk, collectivite, assembly):
    response = as_clerk.post(
        reverse("act-create"),
        {
            "act_type": "deliberation",
            "objet": "Création d'un city-stade",
            "assembly": assembly.pk,
            "visas": "Vu le CGCT ;\nVu le budget ;",
            "articles": "Le city-stade est créé.\n\nLe maire est autorisé à signer.",
            "considerants": "",
            "summary": "",
        },
    )
    act = Act.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("act-detail", args=[act.pk])
    assert act.visas == ["Vu le CGCT ;", "Vu le budget ;"]
    assert act.articles == ["Le city-stade est créé.", "Le maire est autorisé à signer."]


def test_create_project_error_is_shown_on_the_form(as_clerk, collectivite):
    response = as_clerk.post(
        reverse("act-create"), {"act_type": "deliberation", "objet": "é" * 500}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["objet"] == [
        "The objet has 500 characters; the prefecture accepts at most 499."
    ]
    assert Act.objects.count() == 0


def test_stale_edit_is_refused_on_the_form(as_clerk, collectivite, clerk):
    act = services.create_project(
        collectivite=collectivite, actor=clerk, act_type="deliberation", objet="Original"
    )
    services.update_project(act=act, actor=clerk, revision=1, objet="Par un collègue")
    response = as_clerk.post(
        reverse("act-edit", args=[act.pk]),
        {"act_type": "deliberation", "objet": "Le mien", "revision": 1},
    )
    assert response.status_code == 200
    assert (
        response.context["form"]
        .non_field_errors()[0]
        .startswith("Someone else saved this project in the meantime")
    )
    act.refresh_from_db()
    assert act.objet == "Par un collègue"


def test_annex_upload_refusal_is_a_message(as_clerk, collectivite, clerk):
    act = services.create_project(
        collectivite=collectivite, actor=clerk, act_type="deliberation", objet="Objet"
    )
    response = as_clerk.post(
        reverse("act-annex-add", args=[act.pk]),
        {"file": SimpleUploadedFile("a.pdf", pdfs.encrypted_pdf()), "title": "A"},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        "This PDF is protected by a password or encrypted. Remove the protection and retry."
    ]
    assert act.annexes.count() == 0


def test_full_seance_through_the_pages(
    client, collectivite, clerk, validator, assembly, mandates, numbering
):
    client.force_login(clerk)
    act = make_validated_project(collectivite, clerk, validator, assembly)
    when = timezone.localtime(timezone.now() + dt.timedelta(days=9)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("seance-create"),
        {
            "assembly": assembly.pk,
            "date": when,
            "place": "Mairie",
            "president": mandates[0].pk,
            "secretary": mandates[1].pk,
        },
    )
    seance_url = response["Location"]
    seance_id = int(seance_url.strip("/").split("/")[-1])
    client.post(reverse("seance-action", args=[seance_id, "agenda"]), {"act": act.pk})
    client.post(
        reverse("seance-action", args=[seance_id, "convene"]),
        {"convocation_date": timezone.localdate().isoformat()},
    )
    roll = {f"status_{m.pk}": AttendanceStatus.PRESENT for m in mandates[:20]}
    roll[f"status_{mandates[20].pk}"] = AttendanceStatus.PROXY
    roll[f"holder_{mandates[20].pk}"] = mandates[0].pk
    client.post(reverse("seance-roll-call", args=[seance_id]), roll)
    client.post(reverse("seance-action", args=[seance_id, "open"]))
    item = act.agenda_items.get()
    page = client.get(reverse("item-detail", args=[item.pk]))
    assert (page.context["count"].present, page.context["count"].represented) == (20, 1)
    client.post(
        reverse("item-action", args=[item.pk, "vote"]),
        {"mode": "totals", "for_count": 18, "against_count": 3},
    )
    response = client.post(reverse("seance-action", args=[seance_id, "close"]), follow=True)
    assert [str(m) for m in response.context["messages"]][-1] == "The séance is closed."
    act.refresh_from_db()
    vote = Vote.objects.get()
    assert (act.status, vote.result, vote.for_count, vote.against_count) == (
        ActStatus.ADOPTED,
        VoteResult.ADOPTED,
        18,
        3,
    )
    assert response.context["seance"].status == SeanceStatus.CLOSED


def test_settings_are_for_administrators(client, clerk, admin):
    client.force_login(clerk)
    assert client.get(reverse("settings")).status_code == 404
    client.force_login(admin)
    assert client.get(reverse("settings-tab", args=["numbering"])).status_code == 200


def test_settings_import_classification_and_grant_role(client, admin, collectivite):
    client.force_login(admin)
    with (FIXTURES / "classification_2017.xml").open("rb") as handle:
        client.post(reverse("settings-save", args=["classification"]), {"file": handle})
    assert collectivite.classification_versions.get().version_date == dt.date(2017, 12, 8)
    newcomer = member(collectivite, Role.CLERK, username="newcomer")
    client.post(
        reverse("settings-save", args=["users"]), {"username": "newcomer", "role": "validator"}
    )
    assert sorted(newcomer.memberships.values_list("role", flat=True)) == ["clerk", "validator"]


def test_switch_collectivite(client, clerk, outsider):
    other = outsider.memberships.first().collectivite
    client.force_login(clerk)
    client.post(reverse("switch-collectivite"), {"collectivite": other.pk, "next": "/"})
    assert client.get(reverse("home")).context["current_collectivite"] != other
