"""Reading PES values safely, and the keys of French identifiers (SIRET, SIREN, IBAN, RIB).

Every parser returns None for a value it cannot read: the XSD reports the value itself, and
the extraction must never fail on damaged input.
"""

from __future__ import annotations

import re
import string
from datetime import date
from decimal import Decimal

_LA_POSTE_SIREN = "356000000"


def luhn_ok(digits: str) -> bool:
    if not digits.isdigit() or not digits.isascii():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def siren_ok(value: str) -> bool:
    return len(value) == 9 and luhn_ok(value)


def siret_ok(value: str) -> bool:
    if len(value) != 14 or not value.isdigit():
        return False
    # La Poste's establishments do not follow Luhn: the sum of the digits is a multiple of 5.
    if value.startswith(_LA_POSTE_SIREN) and value != _LA_POSTE_SIREN + "00012":
        return sum(int(c) for c in value) % 5 == 0
    return luhn_ok(value)


_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}")
_IBAN_LETTERS = {ord(letter): str(value) for value, letter in enumerate(string.ascii_uppercase, 10)}


def iban_ok(value: str) -> bool:
    """ISO 13616: uppercase, and mod 97 of the rearranged number equals 1."""
    if not _IBAN.fullmatch(value):
        return False
    return int((value[4:] + value[:4]).translate(_IBAN_LETTERS)) % 97 == 1


_RIB_LETTERS = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "12345678912345678923456789")


def rib_ok(bank: str, branch: str, account: str, key: str) -> bool:
    """French RIB key: 97 - ((89 × bank + 15 × branch + 3 × account) mod 97)."""
    try:
        account_digits = int(account.upper().translate(_RIB_LETTERS))
        computed = 97 - ((89 * int(bank) + 15 * int(branch) + 3 * account_digits) % 97)
        return computed == int(key)
    except ValueError:
        return False


def decimal_or_none(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        result = Decimal(value.strip())
    except ArithmeticError:
        return None
    # The XSD caps amounts at 14 digits; anything wilder (1E+999999999) would overflow sums.
    if not result.is_finite() or not -20 < result.adjusted() < 20:
        return None
    return result


def int_or_none(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        return None
    return int(value)


def date_or_none(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def truthy(value: str | None) -> bool | None:
    if value is None:
        return None
    return value.strip().lower() in ("1", "true")
