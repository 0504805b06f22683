"""The SCDL « Délibérations » CSV (schema 2.1.5, vendored in schemas/scdl-deliberations/).

Writing: exactly the 17 columns of the schema, in its order, UTF-8 without BOM, comma separated,
quoted only when needed (RFC 4180, CRLF line ends), an empty string for a missing value (the
schema sets no ``missingValues``, so the Table Schema default ``""`` applies). Nothing is
returned unless every row passes the validator below (DESIGN.md decision 8).

Validating: the header, then for each cell the schema's ``required``, ``type`` (string, date as
``YYYY-MM-DD``, integer), ``format`` (uri) and ``pattern``, then every ``custom_checks`` entry of
the schema (``checks.py``), driven by the parameters written in the schema. Errors come back per
row, with the row's line number in the file (the header is line 1).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from django.utils.translation import gettext as _

from .checks import ScdlError, run_custom_checks
from .exceptions import InvalidOpenData
from .schema import scdl_columns, table_schema

_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_INTEGER_RE = re.compile(r"^-?[0-9]+$")
_URI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+$")


@dataclass(frozen=True, kw_only=True)
class DeliberationRow:
    """One SCDL row in Python types; field order = column order (the upper-cased names)."""

    coll_nom: str
    coll_siret: str
    delib_id: str
    delib_date: dt.date
    delib_matiere_code: str
    delib_matiere_nom: str
    delib_objet: str
    budget_annee: str | None = None
    budget_nom: str | None = None
    pref_id: str | None = None
    pref_date: dt.date | None = None
    vote_effectif: int | None = None
    vote_reel: int | None = None
    vote_pour: int | None = None
    vote_contre: int | None = None
    vote_abstention: int | None = None
    delib_url: str | None = None

    def cells(self) -> dict[str, str]:
        """Column name → the text written in the CSV (``""`` when missing)."""
        result = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if value is None:
                text = ""
            elif isinstance(value, dt.date):
                text = value.isoformat()
            else:
                text = str(value)
            result[field.name.upper()] = text
        return result


def parse_cell(kind: str, text: str) -> Any:
    """The typed value of a non-empty cell, or raise ValueError."""
    if kind == "date":
        if not _DATE_RE.match(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    if kind == "integer":
        if not _INTEGER_RE.match(text):
            raise ValueError(text)
        return int(text)
    return text


def _field_errors(cells: Mapping[str, str], line: int) -> tuple[list[ScdlError], dict[str, Any]]:
    errors: list[ScdlError] = []
    typed: dict[str, Any] = {}
    for field in table_schema()["fields"]:
        name, kind = field["name"], field["type"]
        text = cells.get(name, "")
        constraints = field.get("constraints", {})
        if text == "":
            if constraints.get("required"):
                errors.append(
                    ScdlError(line, name, "required", _("This column must have a value."))
                )
            continue
        try:
            typed[name] = parse_cell(kind, text)
        except ValueError:
            message = {
                "date": _("A date is written YYYY-MM-DD, for example 2024-03-05."),
                "integer": _("This column takes a whole number."),
            }[kind]
            errors.append(ScdlError(line, name, "type", message))
            continue
        if field.get("format") == "uri" and not _URI_RE.match(text):
            errors.append(
                ScdlError(line, name, "format", _("Give a full address, such as https://…"))
            )
        pattern = constraints.get("pattern")
        if pattern and not re.search(pattern, text, flags=re.ASCII):
            errors.append(
                ScdlError(
                    line,
                    name,
                    "pattern",
                    _("The value %(value)s does not have the expected form (%(pattern)s).")
                    % {"value": text, "pattern": pattern},
                )
            )
    return errors, typed


def validate_cells(cells: Mapping[str, str], *, line: int) -> list[ScdlError]:
    """All the schema's rules for one row of cell texts (column → text). No side effects."""
    errors, typed = _field_errors(cells, line)
    errors += run_custom_checks(cells, typed, line=line)
    return errors


def validate_scdl_csv(*, content: bytes) -> list[ScdlError]:
    """Check a whole CSV file against the schema; return every error (empty when valid).

    Accepts a UTF-8 BOM; refuses other encodings and a header other than the 17 columns in
    order. No side effects.
    """
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [ScdlError(1, None, "encoding", _("The file is not encoded in UTF-8."))]
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    columns = scdl_columns()
    if tuple(header) != columns:
        return [
            ScdlError(
                1,
                None,
                "header",
                _("The first line must list the %(count)d SCDL columns in order: %(columns)s.")
                % {"count": len(columns), "columns": ",".join(columns)},
            )
        ]
    errors: list[ScdlError] = []
    for line, values in enumerate(reader, start=2):
        if len(values) != len(columns):
            errors.append(
                ScdlError(
                    line,
                    None,
                    "row-length",
                    _("This line has %(found)d values instead of %(count)d.")
                    % {"found": len(values), "count": len(columns)},
                )
            )
            continue
        errors += validate_cells(dict(zip(columns, values, strict=True)), line=line)
    return errors


def write_scdl_csv(*, rows: Iterable[DeliberationRow]) -> bytes:
    """Return the SCDL CSV of ``rows``, after checking every row against the schema.

    Pure function. Raises InvalidOpenData (with ``errors``) if any row breaks a rule: no file
    with a wrong row leaves Délibre.
    """
    columns = scdl_columns()
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    errors: list[ScdlError] = []
    for line, row in enumerate(rows, start=2):
        cells = row.cells()
        errors += validate_cells(cells, line=line)
        writer.writerow([cells[column] for column in columns])
    if errors:
        raise InvalidOpenData(
            _(
                "%(count)d value(s) break the SCDL « Délibérations » rules (first: line "
                "%(line)d, %(column)s: %(message)s). Correct the acts and export again."
            )
            % {
                "count": len(errors),
                "line": errors[0].row,
                "column": errors[0].column or "-",
                "message": errors[0].message,
            },
            errors=errors,
        )
    return buffer.getvalue().encode("utf-8")
