"""The vendored @ctes XSD (schemas/SOURCES.md), compiled once per process."""

from __future__ import annotations

import functools
import threading
from pathlib import Path

from django.utils.translation import gettext as _
from lxml import etree

from core.xml import safe_parser

from .exceptions import InvalidActesData

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
SCHEMA_PATH = SCHEMA_DIR / "actesv1_1.xsd"

# An XMLSchema object keeps one error log: concurrent validations (threaded stand-in server,
# threaded workers) would mix their errors, so validations take turns.
_lock = threading.Lock()


@functools.cache
def actes_schema() -> etree.XMLSchema:
    """Compile actesv1_1.xsd (it imports siret.xsd and insee-commun.xsd from the same folder)."""
    document = etree.parse(str(SCHEMA_PATH), parser=safe_parser())
    return etree.XMLSchema(document)


def schema_errors(element: etree._Element) -> tuple[str, ...]:
    """Return the XSD violations of a message (empty when valid), as ``line N: reason``."""
    schema = actes_schema()
    with _lock:
        if schema.validate(element):
            return ()
        return tuple(f"line {error.line}: {error.message}" for error in schema.error_log)


def check_against_schema(content: bytes, *, name: str) -> None:
    """Parse bytes Délibre wrote and refuse them unless they satisfy the XSD.

    Parsing the serialised bytes (not the tree in memory) checks exactly what leaves.
    """
    element = etree.fromstring(content, parser=safe_parser())
    errors = schema_errors(element)
    if errors:
        raise InvalidActesData(
            _(
                "The @ctes message %(name)s does not satisfy the ACTES schema (%(errors)s). "
                "Correct the act data and try again."
            )
            % {"name": name, "errors": "; ".join(errors[:3])},
            code="schema_invalid",
        )
