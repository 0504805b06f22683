"""Browser tests: Debian's Chromium, driven by Playwright, against Délibre served on loopback.

Every test under tests/e2e is marked ``e2e`` (``make e2e`` runs only them; ``make test`` runs
them too) and is skipped, with the reason, when ``/usr/bin/chromium`` (Debian package
``chromium``) is missing. Playwright never downloads a browser here.

The application runs as real processes, like ``make run``, with its own SQLite database, the
demo data, the demo PKI's TSA/OCSP server and a stand-in S2LOW (tests/e2e/server.py).

Fixtures (names are stable: tests/e2e/test_guide_*.py use them too):

``app`` (session)
    :class:`App`: ``base_url``, ``url(path)``, ``users`` (demo username → display name),
    ``password`` (of every demo login), ``p12(username)`` (path of an élu's PKCS#12 file) and
    ``p12_password``, ``directory`` (data, logs), ``slug`` (public portal of the demo commune),
    ``manage(*args)`` (a management command against it), ``log("server")``.
``browser`` (session)
    A headless Chromium from ``/usr/bin/chromium``.
``context`` / ``page``
    A fresh browser context (English UI, 1280×900, downloads accepted, ``base_url`` set, so
    ``page.goto("/acts/")`` works) and a page in it; ``new_page(locale="fr-FR")`` makes more
    (one per user, or a French one for the user guide).
``user_page`` (session)
    ``user_page("maire", locale="fr-FR")``: that user's page, signed in once and kept for the
    session (pages made by ``new_page`` are closed at the end of each test).
``login``
    ``login(page, "redacteur")``: signs the demo user in (English or French page) and checks
    that the home page is shown.
``artefacts``
    The directory screenshots go to: ``$DELIBRE_E2E_ARTEFACTS`` or tests/e2e/artefacts/
    (git-ignored); ``shot(page, "name")`` saves ``<test name>/NN-name.png`` there.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .server import PASSWORD, App, running, serve

CHROMIUM = Path(os.environ.get("DELIBRE_CHROMIUM", "/usr/bin/chromium"))
HERE = Path(__file__).resolve().parent
ARTEFACTS = Path(os.environ.get("DELIBRE_E2E_ARTEFACTS") or HERE / "artefacts")
TIMEOUT_MS = 30_000


def pytest_collection_modifyitems(config, items):
    missing = None
    if not CHROMIUM.exists():
        missing = pytest.mark.skip(
            reason=f"{CHROMIUM} is missing: install Debian's chromium to run the browser tests"
        )
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)
            if missing is not None:
                item.add_marker(missing)


# --- the application served on loopback ---------------------------------------------------


@pytest.fixture(scope="session")
def app(request, tmp_path_factory) -> Iterator[App]:
    """Délibre with the demo data, its PKI and a stand-in S2LOW, served on loopback
    (tests/e2e/server.py); ``DELIBRE_E2E_URL`` and ``DELIBRE_E2E_DIR`` reuse a running one."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing")
    if os.environ.get("DELIBRE_E2E_URL") and os.environ.get("DELIBRE_E2E_DIR"):
        yield running(os.environ["DELIBRE_E2E_URL"], Path(os.environ["DELIBRE_E2E_DIR"]))
        return
    cache = getattr(request.config, "cache", None)
    with serve(
        tmp_path_factory.mktemp("e2e-app"),
        cache=Path(cache.mkdir("delibre-e2e-db")) if cache is not None else None,
    ) as served:
        yield served


# --- the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium from /usr/bin/chromium (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield chromium
        chromium.close()


def _open_page(browser, app, contexts: list, locale: str, **options):
    options = {
        "locale": locale,
        "viewport": {"width": 1280, "height": 900},
        "base_url": app.base_url,
        "accept_downloads": True,
    } | options
    context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    contexts.append(context)
    return context.new_page()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.e2e_failed = report.failed
    return report


@pytest.fixture
def new_page(request, app, browser) -> Iterator[Callable[..., object]]:
    """``new_page(locale="en-US")``: a page in a fresh context (own cookies: one per user),
    closed at the end of the test. Any answer 5xx of the server to these pages fails the test.
    When the test fails, every page it opened is saved as FAILED-NN.png with the end of the
    server's log in the artefacts directory."""
    contexts: list = []
    server_errors: list[str] = []

    def make(locale: str = "en-US", **options):
        page = _open_page(browser, app, contexts, locale, **options)
        page.context.on(
            "response",
            lambda r: (
                server_errors.append(f"{r.status} {r.request.method} {r.url}")
                if r.status >= 500
                else None
            ),
        )
        return page

    yield make
    failed = getattr(request.node, "e2e_failed", False)
    if failed or server_errors:
        directory = ARTEFACTS / _safe(request.node.name)
        directory.mkdir(parents=True, exist_ok=True)
        pages = [page for context in contexts for page in context.pages]
        for number, page in enumerate(pages, start=1):
            page.screenshot(path=str(directory / f"FAILED-{number:02d}.png"), full_page=True)
        (directory / "server.log").write_text(app.log("server")[-20000:])
    for context in contexts:
        context.close()
    if server_errors and not failed:
        pytest.fail(f"the server answered with an error: {server_errors}")


@pytest.fixture(scope="session")
def user_page(app, browser) -> Iterator[Callable[..., object]]:
    """``user_page("maire", locale="fr-FR")``: that demo user's page, signed in once and kept
    for the whole session (for many short tests on the same user: no login each time)."""
    contexts: list = []
    pages: dict[tuple[str, str], object] = {}

    def get(username: str, locale: str = "en-US"):
        key = (username, locale)
        if key not in pages or pages[key].is_closed():
            page = _open_page(browser, app, contexts, locale)
            sign_in(page, username, app.password)
            pages[key] = page
        return pages[key]

    yield get
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A page (English UI) in a fresh context."""
    return new_page()


@pytest.fixture
def context(page):
    return page.context


LOGIN_LABELS = {
    "username": re.compile(r"^(Username|Nom d’utilisateur)"),
    "password": re.compile(r"^(Password|Mot de passe)"),
    "submit": re.compile(r"^(Log in|Se connecter)$"),
}


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    """Open the login page, sign ``username`` in and check the home page answers."""
    from playwright.sync_api import expect

    page.goto("/login/")
    page.get_by_label(LOGIN_LABELS["username"]).fill(username)
    page.get_by_label(LOGIN_LABELS["password"]).fill(password)
    page.get_by_role("button", name=LOGIN_LABELS["submit"]).click()
    expect(page.get_by_role("button", name=LOGIN_LABELS["submit"])).to_have_count(0)


@pytest.fixture
def login(app) -> Callable[..., None]:
    """``login(page, "redacteur")``: sign a demo user in on this page's context."""

    def do(page, username: str, password: str | None = None) -> None:
        sign_in(page, username, password or app.password)

    return do


# --- artefacts -----------------------------------------------------------------------------


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


@pytest.fixture
def artefacts(request) -> Path:
    """This test's screenshot directory (emptied first)."""
    directory = ARTEFACTS / _safe(request.node.name)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    return directory


@pytest.fixture
def shot(artefacts) -> Callable[..., Path]:
    """``shot(page, "clerk-drafts")``: a full-page screenshot NN-clerk-drafts.png."""
    count = iter(range(1, 1000))

    def take(page, name: str, *, full_page: bool = True) -> Path:
        path = artefacts / f"{next(count):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take
