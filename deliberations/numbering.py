"""Act number patterns: ``DEL{YYYY}_{SEQ:4}`` → ``DEL2026_0042``.

Pure functions; the counter itself is bumped under a lock by ``services.acts.assign_number``.
A pattern is accepted only if every number it can produce satisfies the ACTES NumeroInterne
rule, so a bad pattern is refused when it is configured, not when an act is numbered.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .enums import ACT_NUMBER_RE
from .exceptions import NumberingError

_TOKEN_RE = re.compile(r"\{(YYYY|YY|MM|DD|SEQ(?::(\d+))?)\}")
_LITERAL_RE = re.compile(r"^[0-9A-Z_]*$")


@dataclass(frozen=True)
class Pattern:
    text: str
    seq_width: int

    @property
    def max_sequence(self) -> int:
        return 10**self.seq_width - 1

    def format(self, *, sequence: int, on: dt.date) -> str:
        if sequence < 1 or sequence > self.max_sequence:
            raise NumberingError(
                _(
                    "The counter reached %(value)d, more than the %(width)d digits of the "
                    "pattern %(pattern)s allow. Ask an administrator to widen the sequence."
                )
                % {"value": sequence, "width": self.seq_width, "pattern": self.text}
            )

        def token(match: re.Match[str]) -> str:
            name = match.group(1)
            if name == "YYYY":
                return f"{on.year:04d}"
            if name == "YY":
                return f"{on.year % 100:02d}"
            if name == "MM":
                return f"{on.month:02d}"
            if name == "DD":
                return f"{on.day:02d}"
            return f"{sequence:0{self.seq_width}d}"

        return _TOKEN_RE.sub(token, self.text)


def parse_pattern(text: str) -> Pattern:
    """Check a numbering pattern and return it; raise NumberingError explaining what is wrong."""
    tokens = list(_TOKEN_RE.finditer(text or ""))
    seq_tokens = [t for t in tokens if t.group(1).startswith("SEQ")]
    if len(seq_tokens) != 1:
        raise NumberingError(
            _(
                "The pattern must contain the sequence token {SEQ:n} exactly once, e.g. DEL{YYYY}_{SEQ:4}."
            )
        )
    width_text = seq_tokens[0].group(2)
    if width_text is None:
        raise NumberingError(_("Give the width of the sequence, e.g. {SEQ:4} for 0001 to 9999."))
    width = int(width_text)
    if not 1 <= width <= 10:
        raise NumberingError(_("The sequence width must be between 1 and 10 digits."))
    literal = _TOKEN_RE.sub("", text)
    if not _LITERAL_RE.fullmatch(literal):
        raise NumberingError(
            _(
                "Only capital letters, digits, underscores and the tokens {YYYY}, {YY}, {MM}, "
                "{DD} and {SEQ:n} may appear in a pattern: the prefecture refuses other characters."
            )
        )
    pattern = Pattern(text=text, seq_width=width)
    sample_dates = (dt.date(2026, 1, 1), dt.date(2099, 12, 31))
    for sample in (
        pattern.format(sequence=s, on=d) for s in (1, pattern.max_sequence) for d in sample_dates
    ):
        if not ACT_NUMBER_RE.fullmatch(sample):
            raise NumberingError(
                _(
                    "This pattern can produce %(sample)s, which the prefecture refuses: a number "
                    "has 2 to 15 characters and starts and ends with a letter or a digit."
                )
                % {"sample": sample}
            )
    return pattern
