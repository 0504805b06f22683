"""The authorisation matrix: every role × every URL of the project (pages and API) × action.

The routes come from the URL resolver (tests/security/routes.py): a new endpoint the routes
module cannot fill, or whose row is missing from ``matrix.json``, fails this test. Every request
runs as each role against the demo commune (tests/security/world.py) inside a savepoint; every
refusal must leave the database exactly as it was (journal included), and no request may
answer a 500.

``matrix.json`` is the reviewed expectation. To regenerate it and the table published in
docs/security.md after a deliberate change, run ``make security-matrix`` (which sets
DELIBRE_WRITE_MATRIX=1), then review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage
from django.test import Client

from .payloads import payload_for
from .probe import OUTCOMES, probe, state_checksum
from .routes import cases
from .world import ROLES, build_world

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "matrix.json"
DOC = HERE.parent.parent / "docs" / "security.md"
WRITE = os.environ.get("DELIBRE_WRITE_MATRIX") == "1"

#: Pages anyone may open without logging in (the public portal, verification, the login).
PUBLIC_PREFIXES = (
    "/actes/",
    "/verify/",
    "/api/verify/",
    "/login/",
    "/i18n/",
    "/api/schema/",
    "/api/docs/",
    "/documents/preview/",
    "/api/auth/token/",
    "/admin/login/",
    "/guide/",
)
#: GETs that only redirect to the user's own page without reading the object in the URL.
REDIRECT_ONLY = {"GET /settings/officials/{official_pk}/mandates/"}
#: Sensitive actions: only these roles may ever succeed (whatever matrix.json says).
SENSITIVE = {
    "POST /signing/steps/{pk}/sign/": {"signer"},
    "POST /api/signing/steps/{pk}/sign/": {"signer"},
    "POST /signing/settings/save/": {"admin"},
    "POST /signing/settings/roots/": {"admin"},
    "POST /api/signing/trusted-roots/": {"admin"},
    "PATCH /api/signing/settings/{collectivite_pk}/": {"admin"},
    "POST /prefecture/transmissions/{pk}/transmit/": {"clerk", "admin"},
    "POST /api/actes/transmissions/{pk}/transmit/": {"clerk", "admin"},
    "POST /prefecture/settings/": {"admin"},
    "POST /api/collectivites/{pk}/grant-role/": {"admin"},
    "POST /api/collectivites/{pk}/revoke-role/": {"admin"},
    "PATCH /api/collectivites/{pk}/": {"admin"},
    "POST /settings/users/save/": {"admin"},
    "POST /circuits/": {"admin"},
    "POST /pes/{pk}/sign/": {"signer", "ordonnateur"},
    "POST /api/pes/flows/{pk}/sign/": {"signer", "ordonnateur"},
}


def _clients(world) -> dict[str, Client]:
    clients = {}
    for role in ROLES:
        client = Client(raise_request_exception=False)
        if role != "anonymous":
            client.force_login(world.users[role])
        clients[role] = client
    return clients


def _has_object(case) -> bool:
    return any(p not in ("name", "tab", "family") for p in case.route.params)


@pytest.mark.slow
def test_authorisation_matrix(db, settings, tmp_path, monkeypatch):
    # Rows are rolled back after each request, files are not: keep them all for the next one.
    monkeypatch.setattr(FileSystemStorage, "delete", lambda self, name: None)
    settings.DELIBRE_ACTES_DIR = tmp_path / "actes"
    settings.DELIBRE_PES_DIR = tmp_path / "pes"
    world = build_world()
    clients = _clients(world)
    baseline = state_checksum()
    observed: dict[str, dict[str, str]] = {}
    problems: list[str] = []
    unfilled: list[str] = []
    for case in cases(world, unfilled):
        row = observed.setdefault(case.row, {})
        for role in ROLES:
            result = probe(
                clients[role],
                case.method,
                case.path,
                data=payload_for(case, world, role),
                anonymous=role == "anonymous",
                api=case.route.api,
                baseline=baseline,
            )
            previous = row.get(role)
            row[role] = result.outcome if previous in (None, result.outcome) else "mixed"
            where = f"{case.row} [{case.path}] as {role}"
            if result.outcome == "500":
                problems.append(f"{where}: answered 500")
            if result.outcome == "ok-writes":
                problems.append(f"{where}: a GET wrote to the database")
            if result.changed:
                problems.append(f"{where}: refused ({result.outcome}) but the state changed")
            public = case.path.startswith(PUBLIC_PREFIXES)
            if role == "anonymous" and result.outcome == "ok" and not public:
                problems.append(f"{where}: open to anonymous visitors")
            redirect_only = case.row in REDIRECT_ONLY
            if (
                role == "outsider"
                and result.outcome == "ok"
                and _has_object(case)
                and not public
                and not redirect_only
            ):
                problems.append(f"{where}: another collectivité's user reached the object")
            allowed = SENSITIVE.get(case.row)
            if allowed is not None and not _has_object(case):
                allowed = allowed | {"outsider"}  # in their own collectivité
            if allowed is not None and result.outcome == "ok" and role not in allowed:
                problems.append(f"{where}: sensitive action allowed")
    assert not unfilled, "routes without an object of the world (tests/security/routes.py):\n" + (
        "\n".join(unfilled)
    )
    assert set(SENSITIVE) <= set(observed), set(SENSITIVE) - set(observed)
    if WRITE:
        GOLDEN.write_text(json.dumps(observed, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
        write_doc(observed)
    golden = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    missing = sorted(set(observed) - set(golden))
    gone = sorted(set(golden) - set(observed))
    different = sorted(
        f"{row}: expected {golden[row]}, got {observed[row]}"
        for row in set(observed) & set(golden)
        if golden[row] != observed[row]
    )
    assert not problems, "\n".join(problems)
    assert not missing, "endpoints without a matrix entry (run make security-matrix, review):\n" + (
        "\n".join(missing)
    )
    assert not gone, "\n".join(gone)
    assert not different, "\n".join(different)
    # The table published in docs/security.md is the one this run produced: it cannot go stale.
    assert published_table() == render_table(observed), "run make security-matrix, review the diff"


SYMBOLS = {
    "ok": "✅",
    "login": "🔑",
    "403": "⛔",
    "denied": "⛔",
    "404": "∅",
    "error": "⚠️",
    "n/a": "",
    "shown": "👁",
    "ok-writes": "✍",
    "mixed": "±",
    "415": "⊘",
}
BEGIN = "<!-- matrix:begin (generated by make security-matrix; do not edit by hand) -->"
END = "<!-- matrix:end -->"


def render_table(observed: dict[str, dict[str, str]]) -> str:
    """The matrix as the Markdown table published in docs/security.md (between the markers)."""
    lines = [BEGIN, ""]
    header = "| request | " + " | ".join(ROLES) + " |"
    lines += [header, "|" + "---|" * (len(ROLES) + 1)]
    for row in sorted(observed, key=lambda r: (r.split(" ", 1)[1], r.split(" ", 1)[0])):
        cells = observed[row]
        if all(v == "n/a" for v in cells.values()):
            continue
        lines.append(
            f"| `{row}` | " + " | ".join(SYMBOLS.get(cells[r], cells[r]) for r in ROLES) + " |"
        )
    total = sum(1 for r in observed.values() for v in r.values() if v != "n/a")
    lines += [
        "",
        f"{len(observed)} requests × {len(ROLES)} roles = {total} checked cells. "
        + "; ".join(f"{SYMBOLS[k] or '(blank)'} {v}" for k, v in OUTCOMES.items())
        + "; ± depends on the object (several actions share the row).",
        "",
        END,
    ]
    return "\n".join(lines)


def published_table() -> str:
    text = DOC.read_text()
    return text[text.index(BEGIN) : text.index(END) + len(END)]


def write_doc(observed: dict[str, dict[str, str]]) -> None:
    text = DOC.read_text() if DOC.exists() else f"{BEGIN}\n{END}\n"
    start, end = text.index(BEGIN), text.index(END) + len(END)
    DOC.write_text(text[:start] + render_table(observed) + text[end:])
