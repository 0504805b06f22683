"""Reading the manifests of a history import (docs/guide/migration.md): pure functions.

Two shapes carry the same columns:

* **CSV**, one act per row, a header line naming the columns (comma or semicolon separated,
  UTF-8 — Windows-1252 is accepted with a warning, since spreadsheets still save it);
* **JSON**, ``{"format": "delibre-history/1", "officials": "elus.csv", "classification":
  "classification.xml", "acts": [{…}, …]}`` (or just the list of acts), where ``annexes`` may be
  a list of ``{"path", "type", "title", "transmitted"}``.

Lines are the CSV's physical line where the row starts (the header is line 1) or the act's
position in the JSON list (from 1). Values stay as read here; ``history.checks`` parses them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from .enums import Severity
from .exceptions import ManifestUnreadable
from .report import MANIFEST, OFFICIALS, Problem

JSON_FORMAT = "delibre-history/1"

#: Columns of the acts manifest, in the order the guide documents them.
ACT_COLUMNS = (
    "number",
    "type",
    "nature",
    "matiere",
    "objet",
    "decision_date",
    "assembly",
    "seance_date",
    "members_in_office",
    "present",
    "represented",
    "for",
    "against",
    "abstention",
    "not_voting",
    "vote_result",
    "casting_vote",
    "rapporteur",
    "pdf",
    "annexes",
    "annex_types",
    "transmitted_on",
    "id_acte",
    "ar_date",
    "ar_file",
    "published_on",
    "confidential",
    "budget_amount",
    "budget_year",
    "budget_name",
)
ACT_REQUIRED = ("number", "type", "matiere", "objet", "pdf")

#: Columns of the elected officials' CSV.
OFFICIAL_COLUMNS = (
    "civility",
    "first_name",
    "last_name",
    "email",
    "assembly",
    "assembly_kind",
    "role",
    "quality",
    "political_group",
    "start_date",
    "end_date",
    "rank",
)
OFFICIAL_REQUIRED = ("civility", "first_name", "last_name", "assembly", "role", "start_date")


@dataclass(frozen=True)
class RawRow:
    """One row as read: its line and its values by column (strings, or JSON values)."""

    line: int
    values: dict[str, Any]


@dataclass
class Manifest:
    rows: list[RawRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: Paths named by a JSON manifest (relative to the files), else None.
    officials: str | None = None
    classification: str | None = None
    kind: str = "csv"


def _decode(content: bytes, *, source: str, name: str) -> tuple[str, list[Problem]]:
    try:
        return content.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        text = content.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise ManifestUnreadable(
            _("%(name)s is not a text file in UTF-8: save it as CSV UTF-8 and try again.")
            % {"name": name}
        ) from exc
    return text, [
        Problem(
            1,
            "",
            _(
                "The file is not in UTF-8: it was read as Windows-1252. Check the accents in the "
                "report, or save it as CSV UTF-8."
            ),
            "encoding",
            Severity.WARNING,
            source,
        )
    ]


def _dialect(text: str) -> str:
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def read_csv(
    content: bytes,
    *,
    name: str,
    columns: Iterable[str],
    required: Iterable[str],
    source: str,
) -> tuple[list[RawRow], list[Problem]]:
    """Rows of a CSV with a header line. Unknown columns are reported (warning) and ignored;
    a missing required column is an error reported once, on the header line."""
    text, problems = _decode(content, source=source, name=name)
    if not text.strip():
        raise ManifestUnreadable(_("%(name)s is empty.") % {"name": name})
    known = tuple(columns)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_dialect(text))
    try:
        header = [cell.strip().lower() for cell in next(reader)]
    except (csv.Error, StopIteration) as exc:
        raise ManifestUnreadable(
            _("%(name)s cannot be read as CSV: %(reason)s") % {"name": name, "reason": exc}
        ) from exc
    for column in header:
        if column and column not in known:
            problems.append(
                Problem(
                    1,
                    column,
                    _("Unknown column: it is ignored. The columns are listed in the guide."),
                    "unknown_column",
                    Severity.WARNING,
                    source,
                )
            )
    for column in required:
        if column not in header:
            problems.append(
                Problem(
                    1,
                    column,
                    _("This column is missing: every row needs it."),
                    "missing_column",
                    Severity.ERROR,
                    source,
                )
            )
    rows: list[RawRow] = []
    start = reader.line_num + 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                values = {
                    column: cells[index] if index < len(cells) else ""
                    for index, column in enumerate(header)
                    if column in known
                }
                rows.append(RawRow(start, values))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ManifestUnreadable(
            _("%(name)s cannot be read as CSV near line %(line)d: %(reason)s")
            % {"name": name, "line": reader.line_num, "reason": exc}
        ) from exc
    return rows, problems


def read_manifest(content: bytes, *, name: str) -> Manifest:
    """The acts manifest, CSV or JSON (decided by its first character). Raises
    ManifestUnreadable when it cannot be read at all."""
    stripped = content.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"{", b"["):
        return _read_json(content, name=name)
    rows, problems = read_csv(
        content, name=name, columns=ACT_COLUMNS, required=ACT_REQUIRED, source=MANIFEST
    )
    return Manifest(rows=rows, problems=problems, kind="csv")


def _read_json(content: bytes, *, name: str) -> Manifest:
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ManifestUnreadable(
            _("%(name)s is not valid JSON: %(reason)s") % {"name": name, "reason": exc}
        ) from exc
    manifest = Manifest(kind="json")
    if isinstance(data, dict):
        if data.get("format", JSON_FORMAT) != JSON_FORMAT:
            raise ManifestUnreadable(
                _("%(name)s declares the format %(format)s; Délibre reads %(expected)s.")
                % {"name": name, "format": data.get("format"), "expected": JSON_FORMAT}
            )
        acts = data.get("acts", [])
        for key in ("officials", "classification"):
            value = data.get(key)
            if value is not None and not isinstance(value, str):
                raise ManifestUnreadable(
                    _("In %(name)s, %(key)s must be the path of a file.")
                    % {"name": name, "key": key}
                )
        manifest.officials = data.get("officials") or None
        manifest.classification = data.get("classification") or None
    else:
        acts = data
    if not isinstance(acts, list):
        raise ManifestUnreadable(_("In %(name)s, acts must be a list.") % {"name": name})
    for position, item in enumerate(acts, start=1):
        if not isinstance(item, dict):
            manifest.problems.append(
                Problem(position, "", _("Each act is an object with named fields."), "not_object")
            )
            continue
        values = {}
        for key, value in item.items():
            column = str(key).strip().lower()
            if column in ACT_COLUMNS:
                values[column] = value
            else:
                manifest.problems.append(
                    Problem(
                        position,
                        column,
                        _("Unknown field: it is ignored. The fields are listed in the guide."),
                        "unknown_column",
                        Severity.WARNING,
                    )
                )
        for column in ACT_REQUIRED:
            if column not in values:
                values[column] = ""
        manifest.rows.append(RawRow(position, values))
    return manifest


def read_officials(content: bytes, *, name: str) -> tuple[list[RawRow], list[Problem]]:
    """The elected officials' CSV (one mandate per row)."""
    return read_csv(
        content,
        name=name,
        columns=OFFICIAL_COLUMNS,
        required=OFFICIAL_REQUIRED,
        source=OFFICIALS,
    )
