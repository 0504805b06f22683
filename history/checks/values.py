"""Reading the values of a manifest cell: text, dates, numbers, yes/no, and the words
accepted for types, roles and results (compared folded: lower case, no accents)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from deliberations.enums import ActesNature, ActType, AssemblyKind, MandateRole


def fold(text: str) -> str:
    """Lower case without accents and with single spaces: how names are compared."""
    decomposed = unicodedata.normalize("NFD", " ".join(str(text).split()).lower())
    return "".join(char for char in decomposed if unicodedata.category(char) != "Mn")


#: The hour a séance is recorded at when the manifest gives only its day.
DEFAULT_SEANCE_TIME = dt.time(18, 0)

TYPES = {
    "deliberation": ActType.DELIBERATION,
    "délibération": ActType.DELIBERATION,
    "arrete": ActType.ARRETE,
    "arrêté": ActType.ARRETE,
    "decision": ActType.DECISION,
    "décision": ActType.DECISION,
    "contract": ActType.CONTRACT,
    "contrat": ActType.CONTRACT,
    "convention": ActType.CONTRACT,
    "other": ActType.OTHER,
    "autre": ActType.OTHER,
}
NATURES = {nature.abbreviation: nature for nature in ActesNature}
ROLES = {
    **{role.value: role for role in MandateRole},
    "maire": MandateRole.MAYOR,
    "adjoint": MandateRole.DEPUTY_MAYOR,
    "adjointe": MandateRole.DEPUTY_MAYOR,
    "adjoint au maire": MandateRole.DEPUTY_MAYOR,
    "président": MandateRole.PRESIDENT,
    "présidente": MandateRole.PRESIDENT,
    "vice-président": MandateRole.VICE_PRESIDENT,
    "vice-présidente": MandateRole.VICE_PRESIDENT,
    "conseiller délégué": MandateRole.DELEGATE_COUNCILLOR,
    "conseillère déléguée": MandateRole.DELEGATE_COUNCILLOR,
    "conseiller": MandateRole.COUNCILLOR,
    "conseillère": MandateRole.COUNCILLOR,
    "conseiller municipal": MandateRole.COUNCILLOR,
    "conseillère municipale": MandateRole.COUNCILLOR,
}
KINDS = {
    **{kind.value: kind for kind in AssemblyKind},
    "conseil": AssemblyKind.COUNCIL,
    "conseil municipal": AssemblyKind.COUNCIL,
    "conseil communautaire": AssemblyKind.COUNCIL,
}


def _folded(table: dict[str, Any]) -> dict[str, Any]:
    return {fold(key): value for key, value in table.items()}


TYPES = _folded(TYPES)
ROLES = _folded(ROLES)
KINDS = _folded(KINDS)
TRUE_WORDS = {"1", "true", "yes", "oui", "o", "y", "x", "vrai"}
FALSE_WORDS = {"", "0", "false", "no", "non", "n", "faux"}
RESULTS = {"adopted": "adopted", "adopté": "adopted", "adopte": "adopted", "noted": "noted"}
RESULTS.update({"prend acte": "noted", "pris acte": "noted"})
RESULTS = _folded(RESULTS)
VOTE_COLUMNS = ("members_in_office", "present", "represented")
BALLOT_COLUMNS = ("for", "against", "abstention")


class BadValue(Exception):
    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


# -- Values -------------------------------------------------------------------------------------


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).strip()


def parse_date(value: Any) -> dt.date | None:
    text = as_text(value)
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            # a calendar day, not an instant: no time zone to attach
            return dt.datetime.strptime(text, pattern).date()  # noqa: DTZ007
        except ValueError:
            continue
    raise BadValue(_("Write the date as YYYY-MM-DD (or DD/MM/YYYY)."), "date_invalid")


def parse_datetime(value: Any) -> tuple[dt.date, dt.time | None] | None:
    text = as_text(value).replace("T", " ")
    if not text:
        return None
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M"):
        try:
            # the séance's local wall-clock time; made aware with the day by the caller
            moment = dt.datetime.strptime(text, pattern)  # noqa: DTZ007
            return moment.date(), moment.time()
        except ValueError:
            continue
    day = parse_date(text)
    assert day is not None
    return day, None


def parse_integer(value: Any) -> int | None:
    if isinstance(value, bool):
        raise BadValue(_("Give a whole number."), "integer_invalid")
    if isinstance(value, int):
        number = value
    else:
        text = as_text(value)
        if not text:
            return None
        if not re.fullmatch(r"[0-9]+", text):
            raise BadValue(_("Give a whole number (0 or more)."), "integer_invalid")
        number = int(text)
    if number < 0 or number > 32767:
        raise BadValue(_("Give a whole number between 0 and 32767."), "integer_invalid")
    return number


def parse_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = fold(as_text(value))
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise BadValue(_("Write yes or no (oui or non)."), "boolean_invalid")


def parse_decimal(value: Any) -> Decimal | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value)).quantize(Decimal("0.01"))
    text = as_text(value).replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if not text:
        return None
    try:
        amount = Decimal(text.replace(",", "."))
    except InvalidOperation as exc:
        raise BadValue(_("Give an amount such as 48500.00."), "amount_invalid") from exc
    if not amount.is_finite() or abs(amount) >= Decimal("1e12"):
        raise BadValue(_("Give an amount such as 48500.00."), "amount_invalid")
    return amount.quantize(Decimal("0.01"))


def split_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [part.strip() for part in as_text(value).split(";") if part.strip()]
