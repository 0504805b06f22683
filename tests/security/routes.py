"""Every URL of the project, from the resolver, with the objects of the world to fill it.

``cases(world)`` yields one request per (route, action, method): a route whose parameters this
module cannot fill raises, so that a new endpoint fails the matrix until it is described here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from .world import World

API_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Route:
    name: str
    template: str  # "api/acts/{pk}/"
    parts: tuple[str, ...] = field(repr=False)
    callback: Any = field(repr=False)

    @property
    def api(self) -> bool:
        return self.template.startswith("api/")

    @property
    def params(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.template)

    def methods(self) -> list[str]:
        actions = getattr(self.callback, "actions", None)
        if actions:
            # DRF adds "head" to this shared mapping at the first request the view serves: the
            # matrix must not depend on which tests ran before it.
            return [m.upper() for m in actions if m not in ("head", "options")]
        view_class = getattr(self.callback, "view_class", None) or getattr(
            self.callback, "cls", None
        )
        if view_class is not None and self.api:
            return [m.upper() for m in API_METHODS if hasattr(view_class, m)]
        return ["GET", "POST"]

    def path(self, values: dict[str, Any]) -> str:
        out = self.template
        for key, value in values.items():
            out = out.replace("{" + key + "}", str(value))
        return "/" + out


def _template(part: str) -> str:
    part = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", part)
    part = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", part)
    return part.replace("^", "").replace("$", "")


def all_routes() -> list[Route]:
    """Every named URL except the Django admin (tested on its own) and format suffixes."""
    found: list[Route] = []

    def walk(patterns: list[Any], prefix: tuple[str, ...], namespace: str | None) -> None:
        for pattern in patterns:
            part = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                ns = pattern.namespace
                full_ns = f"{namespace}:{ns}" if namespace and ns else ns or namespace
                walk(pattern.url_patterns, (*prefix, part), full_ns)
            elif isinstance(pattern, URLPattern):
                if "format" in part or "(?P<format>" in part:
                    continue
                name = pattern.name or ""
                full = f"{namespace}:{name}" if namespace else name
                template = "".join(_template(p) for p in (*prefix, part))
                if template.startswith("admin/"):
                    continue
                found.append(Route(full, template, (*prefix, part), pattern.callback))

    walk(get_resolver().url_patterns, (), None)
    return found


def _pk(key: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"pk": w[key].pk}


# Which object of the world fills the {pk} of each page (by URL name).
UI_PK = {
    **dict.fromkeys(
        [
            "exports:act-documents",
            "exports:act-panel",
            "exports:act-request",
            "exports:act-preview",
        ],
        "adopted",
    ),
    **dict.fromkeys(
        [
            "exports:seance-documents",
            "exports:seance-panel",
            "exports:seance-request",
            "exports:convocations-zip",
            "signing:seance",
            "publication:seance",
            "publication:seance-pdf",
        ],
        "past_seance",
    ),
    **dict.fromkeys(
        [
            "exports:status",
            "exports:view",
            "exports:download",
            "exports:pack-progress",
            "signing:sign-document",
        ],
        "document",
    ),
    "signing:sign-step": "sign_step",
    "signing:version-file": "signature",
    "signing:version-report": "signature",
    "signing:batch": "batch",
    "signing:batch-progress": "batch",
    "signing:certificate-delete": "certificate",
    "signing:root-toggle": "root",
    "signing:step-policy": "circuit_step",
    "actes:prepare": "adopted",
    **dict.fromkeys(
        [
            "actes:transmission",
            "actes:transmit",
            "actes:discard",
            "actes:reconcile",
            "actes:cancel",
            "actes:archive",
        ],
        "transmission",
    ),
    **dict.fromkeys(
        [
            "actes:message",
            "actes:answer",
            "actes:close",
            "actes:import-classification",
            "actes:message-file",
            "actes:message-document",
        ],
        "message",
    ),
    "publication-staff:publish": "validated",
    "publication-staff:unpublish": "publication",
    "publication-staff:publish-seance-document": "past_seance",
    "publication-staff:unpublish-seance-document": "seance_publication",
    "delegation-revoke": "delegation",
    "circuit-start": "draft",
    **dict.fromkeys(["step-approve", "step-reject", "step-skip", "step-opinion"], "visa_step"),
    "opinion-answer": "opinion",
    "run-recall": "run",
    "circuit-edit": "circuit",
    "circuit-deactivate": "circuit",
    "group-edit": "group",
    "pes-return-download": "retour",
    **dict.fromkeys(
        [
            "pes-flow-detail",
            "pes-bordereau",
            "pes-attachment",
            "pes-flow-download",
            "pes-flow-download-original",
            "pes-flow-start",
            "pes-flow-visa",
            "pes-flow-reject",
            "pes-flow-recall",
            "pes-flow-sign",
            "pes-flow-withdraw",
            "pes-flow-send",
            "pes-transmission-retry",
            "pes-flow-acquit",
            "pes-flow-verify",
            "pes-report",
        ],
        "flow",
    ),
    **dict.fromkeys(["act-detail", "act-edit", "act-annex-add", "act-action"], "draft"),
    **dict.fromkeys(["annex-download", "annex-remove"], "annex"),
    **dict.fromkeys(
        ["seance-detail", "seance-edit", "seance-roll-call", "seance-action"], "seance"
    ),
    **dict.fromkeys(["item-detail", "item-action"], "item"),
}

API_PK = {
    "collectivite": lambda w: w.collectivite,
    "service": lambda w: w.collectivite.services.order_by("pk").first(),
    "assembly": lambda w: w["seance"].assembly,
    "elected-official": lambda w: w["official"],
    "mandate": lambda w: w["official"].mandates.order_by("pk").first(),
    "classification": lambda w: w.collectivite.classification_versions.order_by("pk").first(),
    "act": lambda w: w["draft"],
    "annex": lambda w: w["annex"],
    "seance": lambda w: w["seance"],
    "agenda-item": lambda w: w["item"],
    "exports-api:document": lambda w: w["document"],
    "signing-api:sign-step": lambda w: w["sign_step"],
    "signing-api:sign-document": lambda w: w["document"],
    "signing-api:step-policy": lambda w: w["circuit_step"],
    "signing-api:signature": lambda w: w["signature"],
    "signing-api:certificate": lambda w: w["certificate"],
    "signing-api:batch": lambda w: w["batch"],
    "signing-api:trusted-root": lambda w: w["root"],
    "assignee-group": lambda w: w["group"],
    "circuit": lambda w: w["circuit"],
    "run": lambda w: w["run"],
    "step-run": lambda w: w["visa_step"],
    "opinion": lambda w: w["opinion"],
    "delegation": lambda w: w["delegation"],
    "notification": lambda w: w["notification"],
    "api-pes-flow": lambda w: w["flow"],
    "api-pes-bordereau": lambda w: w["bordereau"],
    "api-pes-retour": lambda w: w["retour"],
    "api-pes-transmission": lambda w: w["pes_transmission"],
    "actes-api:transmission": lambda w: w["transmission"],
    "actes-api:message": lambda w: w["message"],
    "publication-api:publication": lambda w: w["publication"],
    "publication-api:seance-publication": lambda w: w["seance_publication"],
}
#: API objects the world does not hold (they are covered by their app's tests): an id that
#: exists nowhere, so the row documents the answer to an unknown id.
API_ABSENT = {
    "api-pes-acquit",
    "api-pes-verification-report",
    "api-pes-import",
    "history-api:import",
    "history-api:act",
}
#: Pages whose object the world does not hold (their app's tests cover them).
UI_ABSENT = {"pes-import-detail", "pes-import-progress"}
#: Apps whose objects the world does not build yet (history import, training sandbox): their
#: routes are probed with an id that exists nowhere, which still checks logins and no 500.
ABSENT_APPS = ("history", "training")
ABSENT_PK = 987654

#: Actions carried in the URL: one matrix row each.
NAMED_ACTIONS = {
    "act-action": ["validate", "withdraw", "number"],
    "seance-action": ["agenda", "convene", "open", "close", "up", "down"],
    "item-action": [
        "vote",
        "movement",
        "interest",
        "no-interest",
        "postpone",
        "remove",
        "cancel-vote",
    ],
    "settings-tab": [
        "identity",
        "assemblies",
        "officials",
        "services",
        "numbering",
        "classification",
        "users",
    ],
}
NAMED_ACTIONS["settings-save"] = NAMED_ACTIONS["settings-tab"]


def _api_basename(name: str) -> str:
    ns, _, short = name.rpartition(":")
    for suffix in (
        "-list",
        "-detail",
        "-file",
        "-reports",
        "-pieces",
        "-archive",
        "-journal",
        "-annexes",
        "-attendance",
        "-candidates",
    ):
        if short.endswith(suffix):
            short = short[: -len(suffix)]
            break
    else:
        short = short.rsplit("-", 1)[0] if "-" in short else short
    return f"{ns}:{short}" if ns else short


def _api_object(route: Route, world: World) -> Any:
    name = route.name
    if name.startswith(ABSENT_APPS):
        return None
    candidates = [name.rsplit("-", n)[0] for n in range(0, 4) if name.count("-") >= n]
    for candidate in candidates:
        if candidate in API_PK:
            return API_PK[candidate](world)
        if candidate in API_ABSENT:
            return None
    raise KeyError(f"no object of the world for the API route {name} ({route.template})")


@dataclass(frozen=True)
class Case:
    row: str  # what the matrix row is called: "POST /acts/{pk}/validate/"
    route: Route
    method: str
    path: str
    action: str = ""


def fill(route: Route, world: World) -> Iterator[tuple[str, dict[str, Any]]]:
    """(action, path values) for each request the route needs."""
    params = route.params
    if not params:
        yield "", {}
        return
    values: dict[str, Any] = {}
    actions = [""]
    for param in params:
        if param in ("pk", "act_pk") and route.api:
            obj = _api_object(route, world) if param == "pk" else world["draft"]
            if route.name == "api-pes-planned-mandates":
                obj = world["adopted"]
            values[param] = obj.pk if obj is not None else ABSENT_PK
        elif param == "pk":
            key = UI_PK.get(route.name)
            absent = route.name in UI_ABSENT or route.name.startswith(ABSENT_APPS)
            if key is None and not absent:
                raise KeyError(f"no object of the world for {route.name} ({route.template})")
            values["pk"] = world[key].pk if key else ABSENT_PK
        elif param == "act_pk":
            values["act_pk"] = world["adopted"].pk
        elif param == "collectivite_pk":
            values[param] = world.collectivite.pk
        elif param == "token":
            values[param] = world["document"].verification_token
        elif route.name.startswith("guide:") and param in ("slug", "role"):
            values[param] = "clerk"  # a guide chapter and tour by role, not a collectivité
        elif route.name == "guide:image" and param == "name":
            values[param] = "absent.png"
        elif param == "slug":
            values[param] = world.collectivite.slug
        elif param == "identifier":
            values[param] = world["publication"].identifier
        elif param == "bordereau_pk":
            values[param] = world["bordereau"].pk
        elif param == "attachment_pk":
            values[param] = world["attachment"].pk
        elif param == "report_pk":
            values[param] = 987654  # no verification report in the world
        elif param == "official_pk":
            values[param] = world["official"].pk
        elif param == "index":
            values[param] = 0
        elif param == "family":
            values[param] = "act"
        elif param == "kind" and route.name == "pes-return-download":
            values[param] = "retour"
        elif param == "kind":
            values[param] = "minutes"
        elif param in ("name", "tab"):
            actions = NAMED_ACTIONS[route.name]
            values[param] = "{action}"
        else:
            raise KeyError(f"cannot fill {{{param}}} of {route.name} ({route.template})")
    for action in actions:
        filled = {k: (action if v == "{action}" else v) for k, v in values.items()}
        yield action, filled


def cases(world: World, unfilled: list[str] | None = None) -> Iterator[Case]:
    """Every request of the matrix; routes that cannot be filled are listed in ``unfilled``."""
    for route in all_routes():
        try:
            filled = list(fill(route, world))
        except KeyError as exc:
            if unfilled is None:
                raise
            unfilled.append(str(exc.args[0]))
            continue
        for action, values in filled:
            path = route.path(values)
            shown = route.template
            for key in ("name", "tab"):
                shown = shown.replace("{" + key + "}", action) if action else shown
            for method in route.methods():
                yield Case(f"{method} /{shown}", route, method, path, action)
