"""Isolation between collectivités: another collectivité's user reaches nothing of the demo
commune, whatever id they try, and private files are only served by permission-checked views.

The outsider holds every role in their own collectivité ("Autre commune"). For each URL with an
object in it, every id of that kind of object in the demo commune is tried, with every method
the URL accepts: the answer is never a success, never a 500, and nothing changes.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from deliberations import services
from deliberations.models import Act, Collectivite
from tests.pdfs import blank_pdf

from .probe import probe, state_checksum
from .routes import API_PK, UI_PK, _api_object, cases
from .test_matrix import REDIRECT_ONLY
from .world import build_world

PUBLIC_PREFIXES = ("/actes/", "/verify/", "/api/verify/", "/guide/")


def _all_ids(case, world) -> list[int]:
    """Every id, in the demo commune, of the kind of object the case's {pk} designates."""
    if "pk" not in case.route.params:
        return []
    if case.route.api:
        obj = _api_object(case.route, world)
    else:
        key = UI_PK.get(case.route.name)
        obj = world[key] if key else None
    if obj is None:
        return []
    model = type(obj)
    ids = model.objects.values_list("pk", flat=True)
    # Only the demo commune's objects: the outsider's own collectivité (and what hangs from it)
    # is theirs to read.
    if model is Collectivite:
        ids = ids.exclude(pk=world.other.pk)
    elif any(f.name == "collectivite" for f in model._meta.fields):
        ids = ids.exclude(collectivite=world.other)
    return list(ids)


@pytest.mark.slow
def test_no_id_of_another_collectivite_reaches_anything(db, settings, tmp_path):
    settings.DELIBRE_ACTES_DIR = tmp_path / "actes"
    settings.DELIBRE_PES_DIR = tmp_path / "pes"
    world = build_world()
    client = Client(raise_request_exception=False)
    client.force_login(world.users["outsider"])
    baseline = state_checksum()
    tried = 0
    problems = []
    for case in cases(world):
        if case.path.startswith(PUBLIC_PREFIXES):
            continue
        ids = _all_ids(case, world)
        current = re.search(r"/(\d+)/", case.path)
        for pk in ids or [None]:
            path = case.path
            if pk is not None and current is not None:
                path = case.path.replace(f"/{current.group(1)}/", f"/{pk}/", 1)
            elif not any(p not in ("name", "tab", "family") for p in case.route.params):
                continue  # no object in the URL: lists are checked below
            result = probe(
                client,
                case.method,
                path,
                data={},
                anonymous=False,
                api=case.route.api,
                baseline=baseline,
            )
            tried += 1
            if case.row in REDIRECT_ONLY and result.outcome == "ok":
                continue  # a GET that redirects to the user's own settings, reading nothing
            if result.outcome in ("ok", "500") or result.changed:
                problems.append(f"{case.method} {path}: {result.outcome} changed={result.changed}")
    assert problems == []
    assert tried > 500


@pytest.mark.slow
def test_lists_and_pages_of_another_collectivite_show_nothing_of_the_demo(db):
    world = build_world()
    client = Client(raise_request_exception=False)
    client.force_login(world.users["outsider"])
    leaks = []
    for case in cases(world):
        if case.method != "GET" or case.route.params or case.path.startswith(PUBLIC_PREFIXES):
            continue
        if case.path.startswith(("/api/schema/", "/api/docs/", "/login/")):
            continue
        response = client.get(case.path)
        body = response.content.decode("utf-8", "replace")
        if response.status_code >= 500 or "Saint-Exemple" in body or "saint-exemple" in body:
            leaks.append(f"{case.path}: {response.status_code}")
    assert leaks == []


def test_media_url_is_not_served(client, db):
    for path in ("/media-not-served/annexes/x.pdf", "/media/annexes/x.pdf"):
        assert client.get(path).status_code == 404


def test_stored_file_names_are_unguessable(db):
    world = build_world()
    act = Act.objects.get(pk=world["draft"].pk)
    annex = services.add_annex(
        act=act,
        actor=world.users["clerk"],
        stream=__import__("io").BytesIO(blank_pdf()),
        filename="plan.pdf",
        title="Plan",
    )
    assert re.fullmatch(r"annexes/\d+/[0-9a-f]{32}\.pdf", annex.file.name), annex.file.name


_ = API_PK  # the isolation test walks the same objects as the matrix
