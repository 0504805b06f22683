"""Field validators for the facts French law and the prefecture impose."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .enums import ACT_NUMBER_RE, OBJET_MAX_LENGTH

_LA_POSTE_SIREN = "356000000"
# The ACTES XSD pattern for actes:Departement.
_DEPARTEMENT_RE = re.compile(r"^[09][0-9][0-9AB]$")


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def luhn_complete(body: str) -> str:
    """Append the check digit that makes ``body`` pass the Luhn test (demo and test data)."""
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


def validate_siren(value: str) -> None:
    if not re.fullmatch(r"\d{9}", value or ""):
        raise ValidationError(_("A SIREN number has exactly 9 digits."), code="siren_format")
    if value != _LA_POSTE_SIREN and not luhn_ok(value):
        raise ValidationError(
            _("%(value)s is not a valid SIREN number: its check digit is wrong.")
            % {"value": value},
            code="siren_checksum",
        )


def validate_siret(value: str) -> None:
    if not re.fullmatch(r"\d{14}", value or ""):
        raise ValidationError(_("A SIRET number has exactly 14 digits."), code="siret_format")
    if value.startswith(_LA_POSTE_SIREN):
        valid = sum(int(c) for c in value) % 5 == 0
    else:
        valid = luhn_ok(value)
    if not valid:
        raise ValidationError(
            _("%(value)s is not a valid SIRET number: its check digit is wrong.")
            % {"value": value},
            code="siret_checksum",
        )


def validate_departement(value: str) -> None:
    """The three-character ACTES département code: 001–095, 02A/02B, 971–976…"""
    if not _DEPARTEMENT_RE.fullmatch(value or ""):
        raise ValidationError(
            _("The département code has three characters, for example 034, 02A or 974."),
            code="departement",
        )


def validate_objet(value: str) -> None:
    if not value or not value.strip():
        raise ValidationError(_("The objet cannot be empty."), code="objet_empty")
    if "\n" in value or "\r" in value:
        raise ValidationError(
            _("The objet must fit on one line: remove the line breaks."), code="objet_multiline"
        )
    if len(value) > OBJET_MAX_LENGTH:
        raise ValidationError(
            _("The objet has %(length)d characters; the prefecture accepts at most %(max)d.")
            % {"length": len(value), "max": OBJET_MAX_LENGTH},
            code="objet_too_long",
        )


def validate_act_number(value: str) -> None:
    if not ACT_NUMBER_RE.fullmatch(value or ""):
        raise ValidationError(
            _(
                "%(value)s is not a valid act number: use 2 to 15 capital letters, digits or "
                "underscores, starting and ending with a letter or a digit."
            )
            % {"value": value},
            code="act_number",
        )
