"""The screenshots of the user guide (docs/guide/img/), taken on the demo commune in French.

Every test run takes them (into tests/e2e/artefacts/guide-img/, so that a run leaves the working
tree clean); ``make guide-images`` takes them into docs/guide/img/, the PNG files the guide
shows: run it after a change of the screens and commit the images.
tests/guide/test_guide_pages.py checks that the guide names exactly these images.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Where the images go: DELIBRE_GUIDE_IMAGES (docs/guide/img with ``make guide-images``), or the
#: test artefacts.
IMAGES = Path(
    os.environ.get("DELIBRE_GUIDE_IMAGES") or ROOT / "tests" / "e2e" / "artefacts" / "guide-img"
)

#: image -> (demo login, page: a path or ("tour", role, step title), element to scroll to, open
#: the help menu, start the tour)
SHOTS: dict[str, tuple[str, object, str, bool, bool]] = {
    "aide.png": ("redacteur", "/seances/", "", True, False),
    "visite.png": ("redacteur", "/", "", False, True),
    "redacteur-accueil.png": ("redacteur", "/", "", False, False),
    "redacteur-projet.png": (
        "redacteur",
        ("tour", "clerk", "Un projet renvoyé"),
        "#circuit",
        False,
        False,
    ),
    "redacteur-seance.png": (
        "redacteur",
        ("tour", "clerk", "Préparer la séance"),
        "",
        False,
        False,
    ),
    "redacteur-appel.png": (
        "redacteur",
        ("tour", "clerk", "Préparer la séance", "roll-call/"),
        "",
        False,
        False,
    ),
    "redacteur-prefecture.png": ("redacteur", "/prefecture/", "", False, False),
    "redacteur-publication.png": ("redacteur", "/publication/", "", False, False),
    "valideur-a-traiter.png": ("valideur", "/inbox/", "", False, False),
    "valideur-dossier.png": (
        "valideur",
        ("tour", "validator", "Viser ou renvoyer"),
        "#circuit",
        False,
        False,
    ),
    "signataire-a-traiter.png": ("adjointe", "/inbox/", "", False, False),
    "signataire-signature.png": (
        "maire",
        ("tour", "signer", "Signer un acte"),
        "#circuit",
        False,
        False,
    ),
    "signataire-lot.png": ("maire", "/signing/batch/", "", False, False),
    "signataire-delegations.png": ("maire", "/delegations/", "", False, False),
    "secretaire-seance.png": (
        "secretaire",
        ("tour", "secretary", "La séance passée"),
        "",
        False,
        False,
    ),
    "secretaire-signatures.png": (
        "secretaire",
        ("tour", "secretary", "Signer le procès-verbal"),
        "",
        False,
        False,
    ),
    "ordonnateur-flux.png": ("ordonnateur", "/pes/", "", False, False),
    "ordonnateur-flux-detail.png": (
        "ordonnateur",
        ("tour", "ordonnateur", "Un flux à signer"),
        "",
        False,
        False,
    ),
    "tresorerie-flux.png": ("tresorerie", "/pes/treasury/", "", False, False),
    "admin-parametres.png": ("admin", "/settings/", "", False, False),
    "admin-circuits.png": ("admin", "/circuits/", "", False, False),
    "admin-formation.png": ("admin", "/training/", "", False, False),
}


def tour_path(page, role: str, title: str) -> str:
    tour = page.request.get(f"/guide/tours/{role}.json").json()
    for step in tour["steps"]:
        if step["title"] == title:
            return step["path"]
    raise AssertionError(f"no step {title!r} in the {role} tour: {tour['steps']}")


def dismiss_welcome(page) -> None:
    """The first-login invitation is not part of the screens the guide shows."""
    page.wait_for_load_state("networkidle")  # tour.js asks whether to invite to the tour
    later = page.locator("#guide-welcome button:not([data-tour-start])")
    if later.count():
        later.click()
    page.wait_for_load_state("networkidle")


def watch(page, errors: list[str]) -> None:
    """Collect script errors, CSP refusals and missing files (the browser's favicon aside)."""
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )


USERS = list(dict.fromkeys(user for user, *_rest in SHOTS.values()))


@pytest.mark.parametrize("username", USERS)
def test_guide_screenshots(username, app, new_page, login):
    """Every image of ``username``'s screens, in one session (French UI)."""
    from playwright.sync_api import expect

    page = new_page(locale="fr-FR")
    errors: list[str] = []
    watch(page, errors)
    login(page, username)
    dismiss_welcome(page)
    IMAGES.mkdir(parents=True, exist_ok=True)
    for name, (user, where, scroll_to, open_help, start_tour) in SHOTS.items():
        if user != username:
            continue
        if isinstance(where, tuple):
            path = tour_path(page, where[1], where[2]) + (where[3] if len(where) > 3 else "")
        else:
            path = where
        page.goto(path)
        expect(page.locator("#guide-help")).to_have_count(1)
        if scroll_to and page.locator(scroll_to).count():
            page.locator(scroll_to).first.scroll_into_view_if_needed()
        if open_help:
            page.locator("#guide-help > summary").click()
            expect(page.locator(".guide-help__panel")).to_be_visible()
        if start_tour:
            page.locator("#guide-help > summary").click()
            page.locator("#guide-help [data-tour-start]").first.click()
            expect(page.locator("#tour-panel")).to_be_visible()
        page.screenshot(path=str(IMAGES / name), full_page=False)
        if start_tour:
            page.locator("#tour-panel").get_by_role("button", name="Quitter la visite").click()
            expect(page.locator("#tour-panel")).to_have_count(0)
        assert errors == [], (name, errors)
