"""Turning a data snapshot into template context: checks, French formatting, customisation.

Templates only print what these helpers prepared (dates already formatted under the active
language, counts as integers, names as strings), so they stay free of logic and filters.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import dateformat, formats, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from .exceptions import InvalidCustomisation, InvalidSnapshot, MissingFile

_COLOUR_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_IMAGE_TYPES = {"image/png", "image/jpeg", "image/svg+xml"}

#: Wording a collectivité may replace without code changes (SNAPSHOTS.md, "Customisation").
WORDING_KEYS = frozenset(
    {
        "deliberation_title",
        "arrete_title",
        "assembly_formula",
        "deliberation_decision",
        "arrete_decision",
        "closing_formula",
        "certification",
        "appeal_notice",
        "publication_notice",
        "convocation_body",
        "minutes_title",
    }
)


# Snapshot access -------------------------------------------------------------------------------


def req(
    mapping: Mapping[str, Any], key: str, path: str, kind: type | tuple[type, ...] = str
) -> Any:
    """``mapping[key]``, which must exist and be of ``kind``; else :class:`InvalidSnapshot`."""
    if not isinstance(mapping, Mapping) or key not in mapping or mapping[key] is None:
        raise InvalidSnapshot(
            _("The document data lacks the field %(field)s.") % {"field": f"{path}.{key}"},
            field=f"{path}.{key}",
        )
    return _typed(mapping[key], f"{path}.{key}", kind)


def opt(
    mapping: Mapping[str, Any],
    key: str,
    path: str,
    kind: type | tuple[type, ...] = str,
    default: Any = None,
) -> Any:
    """``mapping[key]`` when present and not null, else ``default``; type-checked."""
    if not isinstance(mapping, Mapping) or mapping.get(key) is None:
        return default
    return _typed(mapping[key], f"{path}.{key}", kind)


def _typed(value: Any, path: str, kind: type | tuple[type, ...]) -> Any:
    # bool is an int in Python: a count must not silently accept true/false.
    if (isinstance(value, bool) and kind is int) or not isinstance(value, kind):
        raise InvalidSnapshot(
            _("The field %(field)s of the document data has the wrong type.") % {"field": path},
            field=path,
        )
    return value


def str_list(mapping: Mapping[str, Any], key: str, path: str) -> list[str]:
    values = opt(mapping, key, path, list, [])
    for index, value in enumerate(values):
        _typed(value, f"{path}.{key}[{index}]", str)
    return values


def count(mapping: Mapping[str, Any], key: str, path: str, *, required: bool = True) -> int | None:
    value = req(mapping, key, path, int) if required else opt(mapping, key, path, int)
    if value is not None and value < 0:
        raise InvalidSnapshot(
            _("The field %(field)s of the document data has the wrong type.")
            % {"field": f"{path}.{key}"},
            field=f"{path}.{key}",
        )
    return value


# Dates, numbers ---------------------------------------------------------------------------------


def parse_datetime(value: str, path: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError) as error:
        raise InvalidSnapshot(
            _("The field %(field)s is not a date and time.") % {"field": path}, field=path
        ) from error
    if parsed.tzinfo is None:
        raise InvalidSnapshot(
            _("The field %(field)s needs a time zone offset.") % {"field": path}, field=path
        )
    return parsed


def parse_date(value: str, path: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError) as error:
        raise InvalidSnapshot(
            _("The field %(field)s is not a date.") % {"field": path}, field=path
        ) from error


def format_date(value: dt.date) -> str:
    """``14 mars 2026``; French writes the first day of a month ``1er``."""
    text = formats.date_format(value, "DATE_FORMAT")
    if value.day == 1 and (translation.get_language() or "").startswith("fr"):
        text = re.sub(r"^1(?=\s)", "1er", text)
    return text


def format_time(value: dt.datetime) -> str:
    # Translators: Django date format of a time of day in documents; French uses "H\u00a0\h\u00a0i".
    return dateformat.format(value, pgettext("document time format", "g:i A"))


def format_datetime(value: dt.datetime) -> str:
    return _("%(date)s at %(time)s") % {"date": format_date(value), "time": format_time(value)}


def format_amount(value: str, path: str) -> str:
    """A decimal string in euros: ``12 345,67 €`` in French."""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError) as error:
        raise InvalidSnapshot(
            _("The field %(field)s is not an amount.") % {"field": path}, field=path
        ) from error
    number = formats.number_format(amount, 2, use_l10n=True, force_grouping=True)
    return f"{number}\u00a0€"


def w3c_datetime(value: dt.datetime) -> str:
    """The W3C form WeasyPrint reads from ``<meta name=dcterms.created>``."""
    text = value.strftime("%Y-%m-%dT%H:%M:%S%z")
    return f"{text[:-2]}:{text[-2:]}"


# People ----------------------------------------------------------------------------------------


def person(
    mapping: Mapping[str, Any], key: str, path: str, *, required: bool = True
) -> dict | None:
    value = req(mapping, key, path, dict) if required else opt(mapping, key, path, dict)
    if value is None:
        return None
    here = f"{path}.{key}"
    return {"name": req(value, "name", here), "quality": opt(value, "quality", here, str, "")}


# Files -----------------------------------------------------------------------------------------


def file_bytes(reference: Mapping[str, Any], path: str, files: Mapping[str, bytes]) -> bytes:
    """The bytes of a file named by ``{"sha256": …}`` in the snapshot, checked against the hash."""
    digest = req(reference, "sha256", path)
    if not _SHA256_RE.match(digest):
        raise InvalidSnapshot(
            _("The field %(field)s is not a SHA-256.") % {"field": f"{path}.sha256"},
            field=f"{path}.sha256",
        )
    data = files.get(digest)
    if data is None or hashlib.sha256(data).hexdigest() != digest:
        raise MissingFile(field=path)
    return data


def image_data_uri(reference: Mapping[str, Any], path: str, files: Mapping[str, bytes]) -> str:
    media_type = req(reference, "media_type", path)
    if media_type not in _IMAGE_TYPES:
        raise InvalidSnapshot(
            _("The image %(field)s must be PNG, JPEG or SVG.") % {"field": path}, field=path
        )
    data = file_bytes(reference, path, files)
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


# Collectivité and customisation --------------------------------------------------------------


@dataclass(frozen=True)
class Customisation:
    """What a collectivité may change in its documents without code changes."""

    header_lines: tuple[str, ...] = ()
    footer_text: str = ""
    primary_colour: str = "#1d3557"
    wording: dict[str, str] = field(default_factory=dict)
    show_logo: bool = True


def parse_customisation(value: Mapping[str, Any] | None) -> Customisation:
    if not value:
        return Customisation()
    if not isinstance(value, Mapping):
        raise InvalidCustomisation()
    known = {"header_lines", "footer_text", "primary_colour", "wording", "show_logo"}
    unknown = sorted(set(value) - known)
    if unknown:
        raise InvalidCustomisation(
            _("Unknown customisation setting: %(name)s.") % {"name": unknown[0]}, field=unknown[0]
        )
    header_lines = value.get("header_lines") or []
    footer_text = value.get("footer_text") or ""
    colour = value.get("primary_colour") or Customisation.primary_colour
    wording = value.get("wording") or {}
    show_logo = value.get("show_logo", True)
    if not isinstance(header_lines, list) or not all(isinstance(x, str) for x in header_lines):
        raise InvalidCustomisation(field="header_lines")
    if not isinstance(footer_text, str):
        raise InvalidCustomisation(field="footer_text")
    if not isinstance(colour, str) or not _COLOUR_RE.match(colour):
        raise InvalidCustomisation(
            _("The primary colour must be written #RRGGBB."), field="primary_colour"
        )
    if not isinstance(wording, Mapping) or not all(isinstance(v, str) for v in wording.values()):
        raise InvalidCustomisation(field="wording")
    unknown_wording = sorted(set(wording) - WORDING_KEYS)
    if unknown_wording:
        raise InvalidCustomisation(
            _("Unknown wording to customise: %(name)s.") % {"name": unknown_wording[0]},
            field="wording",
        )
    if not isinstance(show_logo, bool):
        raise InvalidCustomisation(field="show_logo")
    return Customisation(
        header_lines=tuple(header_lines),
        footer_text=footer_text,
        primary_colour=colour.lower(),
        wording=dict(wording),
        show_logo=show_logo,
    )


def collectivite_context(
    snapshot: Mapping[str, Any], files: Mapping[str, bytes], custom: Customisation
) -> dict[str, Any]:
    data = req(snapshot, "collectivite", "snapshot", dict)
    path = "snapshot.collectivite"
    logo = opt(data, "logo", path, dict)
    address_lines = [
        line
        for line in (
            opt(data, "address", path, str, ""),
            " ".join(
                part
                for part in (
                    opt(data, "postal_code", path, str, ""),
                    opt(data, "city", path, str, ""),
                )
                if part
            ),
        )
        if line
    ]
    return {
        "name": req(data, "name", path),
        "city": opt(data, "city", path, str, ""),
        "address_lines": address_lines,
        "siren": opt(data, "siren", path, str, ""),
        "website": opt(data, "website", path, str, ""),
        "logo_uri": image_data_uri(logo, f"{path}.logo", files)
        if logo and custom.show_logo
        else "",
        "header_lines": list(custom.header_lines),
    }


def common_context(
    snapshot: Mapping[str, Any],
    files: Mapping[str, bytes],
    custom: Customisation,
    *,
    title: str,
) -> dict[str, Any]:
    """Context shared by every document: metadata, letterhead, customisation."""
    rendered_at = parse_datetime(req(snapshot, "rendered_at", "snapshot"), "snapshot.rendered_at")
    return {
        "doc": {
            "title": title,
            "lang": translation.get_language() or "fr",
            "created": w3c_datetime(rendered_at),
            "rendered_on": format_date(rendered_at),
        },
        "collectivite": collectivite_context(snapshot, files, custom),
        "wording": custom.wording,
        "footer_text": custom.footer_text,
    }
