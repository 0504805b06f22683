"""The ``custom_checks`` of the SCDL « Délibérations » schema, as Validata implements them.

Each check is driven by the parameters written in schema.json, so a new schema version with the
same check names needs no code change, and an unknown check name fails loudly. Behaviour follows
validata-core (the validator schema.data.gouv.fr points to):

* ``french-siret-value``: 14 digits with a valid Luhn key; La Poste's establishments (SIREN
  356000000) use "sum of the digits is a multiple of 5" instead (deliberations.validators);
* ``year-interval-value``: ``AAAA/AAAA`` with the first year strictly before the second, or a
  single ``AAAA`` when ``allow-year-only`` is yes;
* ``cohesive-columns-value``: the listed columns are all filled or all empty;
* ``compare-columns-value``: when both cells have a value, ``column op column2`` holds (dates and
  integers compare as such);
* ``sum-columns-value``: when all cells have a value, ``column`` equals the sum of ``columns``
  (VOTE_REEL = VOTE_POUR + VOTE_CONTRE + VOTE_ABSTENTION);
* ``nomenclature-actes-value``: ``level-1 label/level-2 label`` where the level-1 label is one of
  the nine national ACTES matières (compared without case or accents) with no space around the
  slash. Délibre also enforces what the schema's description requires and Validata does not
  check: lower case, no comma, no parenthesis; and (check ``delibre-matiere-code``) that
  DELIB_MATIERE_CODE starts with the number of that level-1 matière.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from deliberations.validators import validate_siret

from .schema import table_schema


@dataclass(frozen=True)
class ScdlError:
    """One broken rule: line in the file (header = 1), column (None for the header), check."""

    row: int
    column: str | None
    check: str
    message: str


#: The nine level-1 matières of the national ACTES nomenclature, by code.
ACTES_LEVEL1 = {
    1: "Commande publique",
    2: "Urbanisme",
    3: "Domaine et patrimoine",
    4: "Fonction publique",
    5: "Institutions et vie politique",
    6: "Libertés publiques et pouvoirs de police",
    7: "Finances locales",
    8: "Domaines de compétences par thèmes",
    9: "Autres domaines de compétences",
}
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "<=": operator.le,
    "<": operator.lt,
}


def _fold(text: str) -> str:
    """Lower case without accents, as Validata compares nomenclature labels."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(char for char in decomposed if unicodedata.category(char) != "Mn")


_LEVEL1_BY_FOLDED = {_fold(label): code for code, label in ACTES_LEVEL1.items()}


def matiere_nom(*, level1: str, level2: str) -> str:
    """DELIB_MATIERE_NOM from the classification's labels: ``level1/level2``, lower case,
    without commas or parentheses (a slash inside a label would split it: it becomes a space).
    """

    def clean(label: str) -> str:
        text = re.sub(r"[,()/]", " ", label.lower())
        return re.sub(r"\s+", " ", text).strip()

    return f"{clean(level1)}/{clean(level2)}"


#: (column, message) pairs: what a check found wrong in one row.
Findings = list[tuple[str, str]]
Check = Callable[[Mapping[str, str], Mapping[str, Any], dict[str, Any]], Findings]


def _siret(cells: Mapping[str, str], typed: Mapping[str, Any], params: dict[str, Any]) -> Findings:
    column = params["column"]
    value = cells.get(column, "")
    if not re.fullmatch(r"[0-9]{14}", value):
        return []  # empty or malformed: the required/pattern checks already say so
    try:
        validate_siret(value)
    except ValidationError:
        return [(column, _("%(value)s is not a valid SIRET number.") % {"value": value})]
    return []


def _year_interval(
    cells: Mapping[str, str], typed: Mapping[str, Any], params: dict[str, Any]
) -> Findings:
    column = params["column"]
    value = cells.get(column, "")
    if not value:
        return []
    allow_year_only = params.get("allow-year-only") in ("yes", "true")
    match = re.fullmatch(r"([0-9]{4})/([0-9]{4})", value)
    if match is None:
        if allow_year_only and re.fullmatch(r"[0-9]{4}", value):
            return []
        expected = _("a year (YYYY) or a period (YYYY/YYYY)") if allow_year_only else "YYYY/YYYY"
        return [(column, _("Expected %(expected)s.") % {"expected": expected})]
    first, second = int(match[1]), int(match[2])
    if first >= second:
        return [(column, _("In a period, the second year must come after the first."))]
    return []


def _cohesive(
    cells: Mapping[str, str], typed: Mapping[str, Any], params: dict[str, Any]
) -> Findings:
    names = [params["column"], *params["othercolumns"]]
    filled = [bool(cells.get(name, "")) for name in names]
    if any(filled) and not all(filled):
        return [
            (
                params["column"],
                _("The columns %(columns)s must all have a value or all be empty.")
                % {"columns": ", ".join(names)},
            )
        ]
    return []


def _compare(
    cells: Mapping[str, str], typed: Mapping[str, Any], params: dict[str, Any]
) -> Findings:
    left, right, op = params["column"], params["column2"], params["op"]
    if left not in typed or right not in typed:
        return []  # a missing or mistyped value: other checks report it
    if not _OPERATORS[op](typed[left], typed[right]):
        return [
            (
                left,
                _("%(left)s (%(a)s) must be %(op)s %(right)s (%(b)s).")
                % {"left": left, "a": cells[left], "op": op, "right": right, "b": cells[right]},
            )
        ]
    return []


def _sum(cells: Mapping[str, str], typed: Mapping[str, Any], params: dict[str, Any]) -> Findings:
    total, parts = params["column"], params["columns"]
    if total not in typed or any(part not in typed for part in parts):
        return []
    computed = sum(typed[part] for part in parts)
    if computed != typed[total]:
        return [
            (
                total,
                _("%(total)s is %(value)s but %(parts)s add up to %(sum)d.")
                % {
                    "total": total,
                    "value": cells[total],
                    "parts": " + ".join(parts),
                    "sum": computed,
                },
            )
        ]
    return []


def _nomenclature(
    cells: Mapping[str, str], typed: Mapping[str, Any], params: dict[str, Any]
) -> Findings:
    column = params["column"]
    value = cells.get(column, "")
    if not value:
        return []
    if "/" not in value:
        return [(column, _("The slash « / » between the two matière labels is missing."))]
    prefix = value[: value.index("/")]
    if "/ " in value or _fold(prefix) != _fold(prefix.rstrip()):
        return [(column, _("No space may stand before or after the slash « / »."))]
    if _fold(prefix) not in _LEVEL1_BY_FOLDED:
        return [
            (
                column,
                _("« %(prefix)s » is not one of the nine ACTES matières.") % {"prefix": prefix},
            )
        ]
    if value != value.lower() or re.search(r"[,()]", value):
        return [
            (
                column,
                _(
                    "Write the matière in lower case, without commas or parentheses, e.g. %(example)s."
                )
                % {"example": matiere_nom(level1=prefix, level2=value[len(prefix) + 1 :])},
            )
        ]
    return []


CUSTOM_CHECKS: dict[str, Check] = {
    "french-siret-value": _siret,
    "year-interval-value": _year_interval,
    "cohesive-columns-value": _cohesive,
    "compare-columns-value": _compare,
    "sum-columns-value": _sum,
    "nomenclature-actes-value": _nomenclature,
}


def _matiere_code(cells: Mapping[str, str]) -> Findings:
    code, name = cells.get("DELIB_MATIERE_CODE", ""), cells.get("DELIB_MATIERE_NOM", "")
    if not re.fullmatch(r"[0-9]\.[0-9]{1,2}", code) or "/" not in name:
        return []
    expected = _LEVEL1_BY_FOLDED.get(_fold(name[: name.index("/")]))
    if expected is not None and int(code[0]) != expected:
        return [
            (
                "DELIB_MATIERE_CODE",
                _(
                    "The code %(code)s does not belong to the matière « %(name)s » (code %(expected)d)."
                )
                % {"code": code, "name": name[: name.index("/")], "expected": expected},
            )
        ]
    return []


def run_custom_checks(
    cells: Mapping[str, str], typed: Mapping[str, Any], *, line: int
) -> list[ScdlError]:
    """Every custom check of the schema, plus Délibre's matière-code check, for one row."""
    errors = []
    for entry in table_schema().get("custom_checks", []):
        check = CUSTOM_CHECKS.get(entry["name"])
        if check is None:
            raise LookupError(f"SCDL custom check {entry['name']!r} is not implemented")
        for column, message in check(cells, typed, entry["params"]):
            errors.append(ScdlError(line, column, entry["name"], message))
    for column, message in _matiere_code(cells):
        errors.append(ScdlError(line, column, "delibre-matiere-code", message))
    return errors
