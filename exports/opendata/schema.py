"""The vendored SCDL « Délibérations » table schema (schemas/scdl-deliberations/SOURCES.md)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "scdl-deliberations" / "schema.json"


@functools.cache
def table_schema() -> dict[str, Any]:
    """The table schema, parsed once per process."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def scdl_columns() -> tuple[str, ...]:
    """The 17 column names, in the schema's order."""
    return tuple(field["name"] for field in table_schema()["fields"])
