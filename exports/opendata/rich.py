"""Délibre's richer JSON export: the SCDL fields plus votes per member, rapporteur and links.

The format is defined by ``schemas/delibre-deliberations-1.0.schema.json`` (JSON Schema 2020-12,
descriptions in French for the public): one object per deliberation carrying the 17 SCDL
columns under their SCDL names (typed: integers as numbers, dates as ``YYYY-MM-DD``, ``null``
when missing), then ``rapporteur`` ({nom, qualite} or null), ``date_seance``,
``date_mise_en_ligne``, ``liens`` ({document, page, verification}) and ``votes`` (one entry per
member: elu, qualite, vote pour/contre/abstention/ne_prend_pas_part, procuration_donnee_a).

Before anything is returned, each row passes the SCDL rules, the per-member votes must add up
to the SCDL counts, and the whole document is validated against the JSON Schema.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from .checks import ScdlError
from .exceptions import InvalidOpenData
from .scdl import DeliberationRow, validate_cells

JSON_SCHEMA_PATH = (
    Path(__file__).resolve().parent / "schemas" / "delibre-deliberations-1.0.schema.json"
)
VOTE_CHOICES = ("pour", "contre", "abstention", "ne_prend_pas_part")


@dataclasses.dataclass(frozen=True, kw_only=True)
class MemberVote:
    """How one member's voice was cast; ``proxy_holder`` voted for them by proxy."""

    member: str
    vote: str
    role: str = ""
    proxy_holder: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class RichDeliberation:
    scdl: DeliberationRow
    rapporteur: str | None = None
    rapporteur_role: str = ""
    seance_date: dt.date | None = None
    published_on: dt.date | None = None
    page_url: str | None = None
    verification_url: str | None = None
    votes: tuple[MemberVote, ...] = ()


@functools.cache
def json_schema() -> dict[str, Any]:
    return json.loads(JSON_SCHEMA_PATH.read_text(encoding="utf-8"))


def _scdl_values(row: DeliberationRow) -> dict[str, Any]:
    values = {}
    for field in dataclasses.fields(row):
        value = getattr(row, field.name)
        values[field.name.upper()] = value.isoformat() if isinstance(value, dt.date) else value
    return values


def _vote_errors(item: RichDeliberation, line: int) -> list[ScdlError]:
    if not item.votes:
        return []
    errors = []
    for vote in item.votes:
        if vote.vote not in VOTE_CHOICES:
            errors.append(
                ScdlError(
                    line, "votes", "vote-choice", _("Unknown vote %(vote)s.") % {"vote": vote.vote}
                )
            )
    counts = {
        "VOTE_POUR": "pour",
        "VOTE_CONTRE": "contre",
        "VOTE_ABSTENTION": "abstention",
    }
    for column, choice in counts.items():
        expected = getattr(item.scdl, column.lower())
        found = sum(1 for vote in item.votes if vote.vote == choice)
        if expected is not None and expected != found:
            errors.append(
                ScdlError(
                    line,
                    column,
                    "votes-total",
                    _("%(column)s is %(expected)d but %(found)d members voted so.")
                    % {"column": column, "expected": expected, "found": found},
                )
            )
    return errors


def write_deliberations_json(
    *,
    collectivite_name: str,
    collectivite_siret: str,
    deliberations: Iterable[RichDeliberation],
    generated_at: dt.datetime,
) -> bytes:
    """Return the JSON export (UTF-8, indented, keys in a stable order). Pure function.

    Raises InvalidOpenData (with ``errors``) when a row breaks the SCDL rules or its votes do
    not match its counts; nothing is returned half-checked.
    """
    import jsonschema  # a dependency of drf-spectacular; only needed here

    items = []
    errors: list[ScdlError] = []
    for line, item in enumerate(deliberations, start=1):
        errors += validate_cells(item.scdl.cells(), line=line)
        errors += _vote_errors(item, line)
        items.append(
            {
                **_scdl_values(item.scdl),
                "rapporteur": (
                    {"nom": item.rapporteur, "qualite": item.rapporteur_role}
                    if item.rapporteur
                    else None
                ),
                "date_seance": item.seance_date.isoformat() if item.seance_date else None,
                "date_mise_en_ligne": item.published_on.isoformat() if item.published_on else None,
                "liens": {
                    "document": item.scdl.delib_url,
                    "page": item.page_url,
                    "verification": item.verification_url,
                },
                "votes": [
                    {
                        "elu": vote.member,
                        "qualite": vote.role,
                        "vote": vote.vote,
                        "procuration_donnee_a": vote.proxy_holder,
                    }
                    for vote in item.votes
                ],
            }
        )
    if errors:
        raise InvalidOpenData(
            _(
                "%(count)d value(s) break the open-data rules (first: deliberation %(line)d, "
                "%(column)s: %(message)s). Correct the acts and export again."
            )
            % {
                "count": len(errors),
                "line": errors[0].row,
                "column": errors[0].column or "-",
                "message": errors[0].message,
            },
            errors=errors,
        )
    document = {
        "$schema": json_schema()["$id"],
        "version": "1.0",
        "generated_at": generated_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "collectivite": {"nom": collectivite_name, "siret": collectivite_siret},
        "deliberations": items,
    }
    validator = jsonschema.Draft202012Validator(
        json_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    problem = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if problem is not None:
        where = "/".join(str(part) for part in problem.absolute_path)
        raise InvalidOpenData(
            _("The JSON export does not match its schema at %(where)s: %(reason)s")
            % {"where": where or "/", "reason": problem.message},
            errors=[ScdlError(0, where or None, "json-schema", problem.message)],
        )
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
