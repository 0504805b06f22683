"""The user guide: docs/guide/*.md served at /guide/, with their links and images."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from deliberations.enums import Role
from guide.docs import chapter
from guide.tours import ROLE_TITLES
from tests.factories import CollectiviteFactory, member

GUIDE = Path(settings.BASE_DIR) / "docs" / "guide"


def test_every_role_has_a_french_chapter():
    for role in ROLE_TITLES:
        page = chapter(role)
        assert page is not None, role
        assert page.title == ROLE_TITLES[role], role


def test_chapter_links_and_images_point_into_the_app():
    page = chapter("index")
    assert page is not None
    assert '<a href="/guide/clerk/">' in page.html
    assert '<a href="/guide/admin/">' in page.html
    assert (
        '<img alt="Le menu Aide ouvert sur la liste des séances" loading="lazy" src="/guide/img/aide.png"'
        in page.html
    )


def test_every_image_of_the_guide_is_produced_by_the_browser_tests():
    """The guide names only screenshots that tests/e2e/test_guide_screenshots.py writes."""
    from tests.e2e.test_guide_screenshots import SHOTS

    names = set()
    for path in GUIDE.glob("*.md"):
        names |= set(re.findall(r"\(img/([a-z0-9_-]+\.png)\)", path.read_text()))
    assert sorted(names) == sorted(SHOTS)


def test_guide_pages_are_served(client, db):
    client.force_login(member(CollectiviteFactory(), Role.CLERK))
    index = client.get("/guide/")
    clerk = client.get("/guide/clerk/")
    assert index.status_code == 200
    assert clerk.status_code == 200
    assert '<h1 id="guide-dutilisation-de-delibre">Guide d\'utilisation de Délibre</h1>' in (
        index.content.decode().replace("&#x27;", "'")
    )
    assert 'aria-current="page">Rédacteur</a>' in clerk.content.decode()


@pytest.mark.parametrize(
    "path", ["/guide/nothing/", "/guide/index/", "/guide/img/../x.png", "/guide/img/none.png"]
)
def test_unknown_chapters_and_images_are_not_found(client, db, path):
    assert client.get(path).status_code == 404


def test_guide_images_are_served_as_png(client, db, tmp_path, settings):
    (tmp_path / "docs" / "guide" / "img").mkdir(parents=True)
    (tmp_path / "docs" / "guide" / "img" / "x.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    settings.BASE_DIR = tmp_path
    response = client.get("/guide/img/x.png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == b"\x89PNG\r\n\x1a\n"
