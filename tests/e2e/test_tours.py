"""Each role's guided tour, run in Chromium on the demo commune: started from the help menu (or
the first-login invitation), followed step by step across pages to the end."""

from __future__ import annotations

import pytest

#: role -> demo login (deliberations.demo.DEMO_USERS)
ROLE_USERS = {
    "clerk": "redacteur",
    "validator": "valideur",
    "signer": "adjointe",
    "secretary": "secretaire",
    "ordonnateur": "ordonnateur",
    "treasury": "tresorerie",
    "admin": "admin",
}


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


@pytest.mark.parametrize("role", list(ROLE_USERS))
def test_tour_runs_to_its_end(role, app, new_page, login, shot):
    from playwright.sync_api import expect

    page = new_page(locale="fr-FR")
    errors: list[str] = []
    watch(page, errors)
    login(page, ROLE_USERS[role])
    tour = page.request.get(f"/guide/tours/{role}.json").json()
    steps = tour["steps"]
    assert len(steps) >= 3

    page.wait_for_load_state("networkidle")  # tour.js asks whether to invite to the tour
    welcome = page.locator(f"#guide-welcome [data-tour-start={role}]")
    if welcome.count():
        welcome.click()  # first login: the invitation starts the tour
    else:
        page.locator("#guide-help > summary").click()
        page.locator(f"#guide-help [data-tour-start={role}]").click()

    panel = page.locator("#tour-panel")
    for index, step in enumerate(steps):
        expect(panel).to_be_visible()
        expect(panel.locator("h2")).to_have_text(step["title"])
        expect(panel.locator(".tour-panel__count")).to_contain_text(
            f"étape {index + 1} sur {len(steps)}"
        )
        assert page.evaluate("location.pathname") == step["path"]
        expect(page.locator(".tour-target")).to_have_count(1)
        expect(page.locator(".tour-target")).to_be_visible()
        if index == 0:
            shot(page, f"{role}-first-step", full_page=False)
        last = index == len(steps) - 1
        panel.get_by_role("button", name="Terminer" if last else "Suivant").click()

    expect(panel).to_have_count(0)
    assert page.evaluate("window.sessionStorage.getItem('delibre.tour')") is None
    # Seen: the invitation no longer shows; the help menu still offers the tour.
    page.reload()
    expect(page.locator("#guide-welcome")).to_have_count(0)
    expect(page.locator(f"#guide-help [data-tour-start={role}]")).to_have_count(1)
    assert errors == [], errors


def test_tour_resumes_after_leaving_its_page(app, new_page, login):
    from playwright.sync_api import expect

    page = new_page(locale="fr-FR")
    login(page, "valideur")
    page.locator("#guide-help > summary").click()
    page.locator("#guide-help [data-tour-start=validator]").click()
    panel = page.locator("#tour-panel")
    expect(panel.locator("h2")).to_have_text("Votre boîte de réception")
    page.goto("/seances/")
    expect(panel).to_contain_text("La visite continue sur un autre écran.")
    panel.get_by_role("button", name="Reprendre").click()
    expect(panel.locator("h2")).to_have_text("Votre boîte de réception")
    page.keyboard.press("Escape")
    expect(panel).to_have_count(0)


def test_first_login_invites_to_the_tour_once(app, new_page, login, shot):
    """The platform's demo account has never logged in: it is invited, says "later", and is
    not invited again (the help menu keeps the tours)."""
    from playwright.sync_api import expect

    page = new_page(locale="fr-FR")
    errors: list[str] = []
    watch(page, errors)
    login(page, "plateforme")
    welcome = page.locator("#guide-welcome")
    expect(welcome).to_be_visible()
    expect(welcome).to_contain_text("Bienvenue dans Délibre.")
    expect(welcome.locator("[data-tour-start]")).to_have_text("Commencer la visite")
    shot(page, "welcome", full_page=False)
    welcome.get_by_role("button", name="Plus tard (menu Aide)").click()
    expect(welcome).to_have_count(0)
    page.wait_for_load_state("networkidle")
    page.evaluate("window.sessionStorage.clear()")
    page.reload()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#guide-welcome")).to_have_count(0)
    expect(page.locator("#guide-help [data-tour-start]")).to_have_count(7)
    assert errors == [], errors
