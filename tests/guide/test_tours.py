"""Guided tours: every role's tour resolves on the demo commune, each step points at an element
that exists on its page, and the first-login invitation goes once the tour is seen."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from lxml import html as lxml_html

from deliberations.demo import load_demo
from deliberations.enums import Role
from deliberations.models import User
from guide.models import TourProgress
from guide.tours import ROLE_ORDER, TOURS
from tests.factories import CollectiviteFactory, member

#: The demo login playing each role (deliberations.demo.DEMO_USERS).
ROLE_USERS = {
    "clerk": "redacteur",
    "validator": "valideur",
    "signer": "maire",
    "secretary": "secretaire",
    "ordonnateur": "ordonnateur",
    "treasury": "tresorerie",
    "admin": "admin",
}
SIMPLE = re.compile(r"^(?P<tag>[a-z0-9]+)?(?P<id>#[\w-]+)?(?P<classes>(\.[\w-]+)*)$")


def xpath(selector: str) -> str:
    """The XPath of the CSS selectors the tours use: tag, #id, .class, descendant, comma."""
    alternatives = []
    for alternative in selector.split(","):
        parts = []
        for simple in alternative.split():
            match = SIMPLE.match(simple)
            assert match, f"unsupported selector {simple!r}"
            test = [f"@id='{match['id'][1:]}'"] if match["id"] else []
            test += [
                f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"
                for name in match["classes"].split(".")[1:]
            ]
            parts.append((match["tag"] or "*") + "".join(f"[{t}]" for t in test))
        alternatives.append("//" + "//".join(parts))
    return " | ".join(alternatives)


def test_every_role_has_a_tour():
    assert list(TOURS) == list(ROLE_ORDER)
    assert sorted(ROLE_USERS) == sorted(TOURS)


@pytest.mark.slow
def test_tour_steps_point_at_elements_of_their_pages(client, db):
    load_demo()
    for role in ROLE_ORDER:
        client.force_login(User.objects.get(username=ROLE_USERS[role]))
        response = client.get(f"/guide/tours/{role}.json")
        assert response.status_code == 200, role
        tour = json.loads(response.content)
        # On the demo data every step finds its page: none is left out.
        assert len(tour["steps"]) == len(TOURS[role]), role
        assert tour["title"].startswith("Visite guidée : ")
        for step in tour["steps"]:
            page = client.get(step["path"])
            assert page.status_code == 200, (role, step)
            tree = lxml_html.fromstring(page.content)
            assert tree.xpath(xpath(step["selector"])), (role, step)
            assert step["text"].endswith("."), (role, step)


def test_tour_of_a_role_the_user_does_not_hold_is_not_found(client, db):
    client.force_login(member(CollectiviteFactory(), Role.TREASURY))
    assert client.get("/guide/tours/treasury.json").status_code == 200
    assert client.get("/guide/tours/admin.json").status_code == 404
    assert client.get("/guide/tours/nobody.json").status_code == 404


def test_tour_needs_a_login(client, db):
    response = client.get("/guide/tours/clerk.json")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_first_login_offers_the_tour_until_it_is_seen(client, db):
    user = member(CollectiviteFactory(), Role.VALIDATOR)
    client.force_login(user)
    page = client.get("/inbox/").content.decode()
    assert 'data-status-url="/guide/tours/status.json"' in page
    assert client.get("/guide/tours/status.json").json() == {
        "offer": "validator",
        "title": "Valideur",
        "url": "/guide/tours/validator.json",
    }

    response = client.post("/guide/tours/seen/", {"role": "validator", "next": "/inbox/"})

    assert response.status_code == 302
    assert response["Location"] == "/inbox/"
    assert TourProgress.objects.get(user=user).role == "validator"
    assert client.get("/guide/tours/status.json").json() == {"offer": ""}
    # The help menu still offers the tour.
    assert 'data-tour-start="validator"' in client.get("/inbox/").content.decode()


def test_a_user_without_a_role_is_offered_no_tour(client, db):
    client.force_login(member(CollectiviteFactory()))
    assert client.get("/guide/tours/status.json").json() == {"offer": ""}
    assert 'id="guide-tour"' not in client.get("/guide/").content.decode()


def test_pages_cost_no_query_for_the_guide(client, db):
    """The help and the tours read what the page already has: no query of their own."""
    client.force_login(member(CollectiviteFactory(), Role.CLERK))
    with CaptureQueriesContext(connection) as captured:
        body = client.get("/acts/").content.decode()
    assert 'id="guide-help"' in body
    assert [q["sql"] for q in captured.captured_queries if "guide_" in q["sql"]] == []


def test_tour_seen_without_next_answers_no_content_and_keeps_one_row(client, db):
    user = member(CollectiviteFactory(), Role.SIGNER, Role.ORDONNATEUR, username="maire")
    client.force_login(user)
    assert client.post("/guide/tours/seen/", {"role": "signer"}).status_code == 204
    assert client.post("/guide/tours/seen/", {"role": "ordonnateur"}).status_code == 204
    assert list(TourProgress.objects.values_list("user__username", "role")) == [
        ("maire", "ordonnateur")
    ]


def test_tour_seen_refuses_a_foreign_next_and_an_unknown_role(client, db):
    user = member(CollectiviteFactory(), Role.SIGNER)
    client.force_login(user)
    response = client.post(
        "/guide/tours/seen/", {"role": "<script>", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"
    assert TourProgress.objects.get(user=user).role == ""
    assert client.get("/guide/tours/seen/").status_code == 405


def test_a_user_with_two_roles_is_offered_both_tours(client, db):
    client.force_login(member(CollectiviteFactory(), Role.ORDONNATEUR, Role.SIGNER))
    body = client.get("/").content.decode()
    assert re.findall(r'data-tour-start="(\w+)"', body) == ["signer", "ordonnateur"]
