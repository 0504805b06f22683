"""Contextual help: every screen has its help, shown in the header of the page.

A new URL fails ``test_every_url_is_classified`` until it is given help (guide/help.py SCREENS)
or listed as not being a screen (NOT_SCREENS); the crawl of the demo commune then checks that
every page a logged-in user opens shows its help, and that nothing listed as "not a screen"
renders a page.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

from deliberations.demo import load_demo
from deliberations.enums import Role
from deliberations.models import User
from guide.help import NOT_SCREENS, RULES, SCREENS
from tests.factories import CollectiviteFactory, member

SKIPPED_PREFIXES = ("api/", "admin/")

#: Screens the crawl cannot reach by following links in the demo commune, and why.
NOT_CRAWLED = {
    "login": "a logged-in user is not shown the login page (checked anonymously below)",
    "login-verify": "only during a login with a second factor",
    "signing:verify-act": "reached from the QR code printed on a signed act",
    "signing:batch": "a batch exists once a signer has signed one",
    "pes-import-detail": "a background import of a large PES file",
    "history:batch": "a history import has run",
    "actes:transmission": "a transmission exists once an act has been prepared",
    "actes:message": "a message exists once the prefecture has written",
    "publication:act": "an act is published in the journey tests",
    "publication:seance": "a séance's documents are published in the journey tests",
    "pes-report": "a report exists once the treasury verified a flow",
}


def named_urls() -> dict[str, str]:
    """Every named URL of the site outside api/ and admin/: view name -> route."""
    found: dict[str, str] = {}

    def walk(patterns, prefix: str, namespace: str | None) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                ns = pattern.namespace
                full = f"{namespace}:{ns}" if namespace and ns else ns or namespace
                walk(pattern.url_patterns, route, full)
            elif isinstance(pattern, URLPattern) and pattern.name:
                if route.startswith(SKIPPED_PREFIXES):
                    continue
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                found[name] = route

    walk(get_resolver().url_patterns, "", None)
    return found


def test_every_url_is_classified():
    names = set(named_urls())
    assert set(SCREENS) & set(NOT_SCREENS) == set()
    assert sorted(names - set(SCREENS) - set(NOT_SCREENS)) == []
    assert sorted((set(SCREENS) | set(NOT_SCREENS)) - names) == []


def test_every_help_says_what_the_screen_is_for_and_what_comes_next():
    for name, screen in SCREENS.items():
        assert screen.title and screen.purpose.endswith(".") and screen.next.endswith("."), name
        assert set(screen.rules) <= set(RULES), name
        assert set(screen.guides) <= {
            "clerk",
            "validator",
            "signer",
            "secretary",
            "ordonnateur",
            "treasury",
            "admin",
        }, name


def test_legal_rules_cite_their_articles():
    assert RULES["quorum"].reference == "CGCT, art. L2121-17 et L2121-20"
    assert RULES["convocation"].reference == "CGCT, art. L2121-11 et L2121-12"
    assert "cinq jours francs" in RULES["convocation"].text
    assert "trois jours francs" in RULES["convocation"].text
    assert "3 500 habitants" in RULES["convocation"].text


def test_login_page_shows_its_help(client, db):
    response = client.get("/login/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="guide-help"' in body
    assert SCREENS["login"].purpose in unescape(body)
    # Nobody is logged in: no tour to offer.
    assert 'id="guide-tour"' not in body


def test_help_shows_the_rules_of_the_screen(client, db):
    client.force_login(member(CollectiviteFactory(), Role.CLERK))
    response = client.get("/seances/")
    body = unescape(response.content.decode())
    assert response.status_code == 200
    assert '<summary aria-label="Aide sur cet écran">Aide</summary>' in body
    assert SCREENS["seance-list"].purpose in body
    assert RULES["convocation"].text in body
    assert "CGCT, art. L2121-11 et L2121-12" in body


#: Where the crawl starts: the home page, and the pages no menu links to.
START = ("/", "/verify/", "/actes/", "/account/two-factor/")
PAGES_PER_NAME = 2
LINK = re.compile(r'href="([^"#]+)')
CRAWL_USERS = (
    "admin",
    "redacteur",
    "valideur",
    "maire",
    "secretaire",
    "ordonnateur",
    "tresorerie",
)


def _links(base: str, body: str) -> list[str]:
    out = []
    for href in LINK.findall(body):
        url = urlsplit(urljoin(base, unescape(href)))
        if url.scheme not in ("", "http") or url.netloc not in ("", "testserver"):
            continue
        if url.path.startswith(("/api/", "/admin/", "/static/", "/media/", "/logout")):
            continue
        out.append(url.path)
    return out


@pytest.mark.slow
def test_every_page_of_the_demo_shows_its_help(client, db):
    """Follow every link of the demo commune, as each role: one page per URL name."""
    load_demo()
    checked: dict[str, list[str]] = {}
    not_pages: set[str] = set()
    for username in CRAWL_USERS:
        client.force_login(User.objects.get(username=username))
        queue, seen_paths, mine = list(START), set(), {}
        while queue:
            path = queue.pop(0)
            if path in seen_paths:
                continue
            seen_paths.add(path)
            try:
                match = resolve(path)
            except Resolver404:
                continue
            name = match.view_name
            # A few pages per URL name and user: an act or a séance shows other links in other
            # states, and to other roles.
            if mine.get(name, 0) >= PAGES_PER_NAME or name in not_pages:
                continue
            mine[name] = mine.get(name, 0) + 1
            response = client.get(path)
            content_type = response.get("Content-Type", "")
            if response.status_code != 200 or not content_type.startswith("text/html"):
                if name in NOT_SCREENS:
                    not_pages.add(name)
                continue
            body = response.content.decode()
            full_page = "<html" in body[:300]
            if name in NOT_SCREENS:
                assert not full_page or name == "exports:act-preview", (name, path)
                not_pages.add(name)
                continue
            assert full_page, (name, path)
            assert name in SCREENS, (name, path)
            text = unescape(body)
            assert 'id="guide-help"' in body, (name, path)
            assert SCREENS[name].purpose in text, (name, path)
            checked.setdefault(name, []).append(path)
            queue.extend(_links(path, body))
    missing = sorted(set(SCREENS) - set(checked) - set(NOT_CRAWLED))
    assert not missing, ", ".join(missing)


def test_portal_pages_show_the_help_without_tours(client, db):
    """Citizens read the help of the public portal; the agents' tours are not offered there."""
    client.force_login(member(CollectiviteFactory(), Role.CLERK))
    body = unescape(client.get("/actes/").content.decode())
    assert 'id="guide-help"' in body
    assert SCREENS["publication:index"].purpose in body
    assert "data-tour-start" not in body
    assert "Guide d'utilisation complet" not in body
