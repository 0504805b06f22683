"""Sending one request as one role and saying what happened, with the state checked.

Each request runs inside a savepoint that is rolled back afterwards, so every request of the
matrix starts from the same world. A refusal must leave every row of the application's tables
(journal included) as it was.
"""

from __future__ import annotations

import copy
import hashlib
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

from django.apps import apps
from django.contrib.messages import get_messages
from django.db import connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.exceptions import DelibreError

APP_LABELS = (
    "accounts",
    "deliberations",
    "workflow",
    "signing",
    "exports",
    "pes",
    "actes",
    "publication",
)

#: What a cell of the matrix says.
OUTCOMES = {
    "ok": "allowed: done or shown",
    "login": "refused: login required (302 to the login page, or 401/403 for the API)",
    "403": "refused: 403 Forbidden",
    "denied": "refused: a domain error saying the role is missing (page message or API 403)",
    "404": "refused: 404 (not found, or another collectivité's object: no existence leak)",
    "error": "refused: invalid input or wrong state (400/409 or a page error), nothing changed",
    "shown": "allowed to send, but nothing was done (a form shown again, nothing to change)",
    "ok-writes": "a GET that wrote to the database",
    "n/a": "method not allowed (405)",
    "415": "refused: the content type is not the one the endpoint reads (a JSON body sent to an upload)",
}


def state_checksum() -> str:
    """A hash of every row of the application's tables (journal, files' names included)."""
    digest = hashlib.sha256()
    for model in apps.get_models():
        if model._meta.app_label not in APP_LABELS or model._meta.proxy:
            continue
        digest.update(model._meta.label.encode())
        for row in model.objects.order_by("pk").values_list():
            digest.update(repr(row).encode())
    return digest.hexdigest()


@contextmanager
def captured_domain_errors():
    raised: list[DelibreError] = []
    original = DelibreError.__init__

    def spy(self, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        raised.append(self)

    with mock.patch.object(DelibreError, "__init__", spy):
        yield raised


@dataclass
class Result:
    outcome: str
    status: int
    changed: bool
    detail: str = ""


def _form_errors(response: Any) -> bool:
    context = getattr(response, "context", None)
    if not context:
        return False
    for sub in context:
        for value in sub.dicts if hasattr(sub, "dicts") else [sub]:
            if not isinstance(value, dict):
                continue
            for item in value.values():
                errors = getattr(item, "errors", None)
                if errors and hasattr(item, "is_bound") and item.is_bound:
                    return True
    return False


def classify(response: Any, raised: list[DelibreError], *, anonymous: bool, api: bool) -> str:
    status = response.status_code
    if status == 405:
        return "n/a"
    if status >= 500:
        return "500"
    location = response.get("Location", "") if status in (301, 302) else ""
    if anonymous and (location.startswith("/login/") or status == 401):
        return "login"
    if anonymous and api and status == 403 and not raised:
        return "login"
    if status == 404:
        return "404"
    forbidden = [e for e in raised if e.kind == "forbidden"]
    if forbidden and status in (200, 302, 400, 403):
        return "denied"
    if status == 403:
        return "403"
    flashed = [m for m in get_messages(response.wsgi_request) if m.level_tag == "error"]
    if status in (400, 409, 422, 503, 429) or flashed or raised or _form_errors(response):
        return "error"
    if 200 <= status < 400:
        return "ok"
    return str(status)


def probe(
    client: Client, method: str, path: str, *, data: Any, anonymous: bool, api: bool, baseline: str
) -> Result:
    """Send the request in a savepoint, classify it, check the state, roll everything back."""
    # CaptureQueriesContext slices Django's query log, a deque capped at 9,000 entries: once full,
    # the slice is empty and writes would go unseen. Start each request with an empty log.
    reset_queries()
    sid = transaction.savepoint()
    cookies = client.cookies
    client.cookies = copy.deepcopy(cookies)
    try:
        with captured_domain_errors() as raised, CaptureQueriesContext(connection) as queries:
            kwargs: dict[str, Any] = {}
            if api and method in ("POST", "PATCH", "PUT"):
                kwargs = {"data": data or {}, "content_type": "application/json"}
                if isinstance(data, dict) and any(hasattr(v, "read") for v in data.values()):
                    kwargs = {"data": data}
            elif method == "POST":
                kwargs = {"data": data or {}}
            response = getattr(client, method.lower())(path, **kwargs)
        outcome = classify(response, raised, anonymous=anonymous, api=api)
        # A refusal that wrote nothing changed nothing; one that wrote is checked row by row
        # (a write rolled back by the service's own transaction leaves the state as it was).
        writes = [
            q["sql"]
            for q in queries.captured_queries
            if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
            and "django_session" not in q["sql"]
        ]
        if outcome == "ok" and method != "GET" and not writes:
            outcome = "shown"  # answered without changing anything (a form shown again…)
        if outcome == "ok" and method == "GET" and writes:
            outcome = "ok-writes"  # a GET that writes: reported, it should not
        changed = outcome not in ("ok", "ok-writes") and bool(writes)
        changed = changed and state_checksum() != baseline
        detail = "; ".join(f"{type(e).__name__}: {e}" for e in raised)[:300]
        return Result(outcome, response.status_code, changed, detail)
    finally:
        transaction.savepoint_rollback(sid)
        # A logout (or a session rotated) must not carry over to the next request.
        client.cookies = cookies
