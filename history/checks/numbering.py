"""Counters continued after the highest imported number of each numbering pattern."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

from django.utils import timezone
from django.utils.translation import gettext as _

from deliberations.enums import ActType
from deliberations.models import Collectivite, Counter, NumberingScheme
from deliberations.numbering import parse_pattern

from ..enums import Severity
from ..report import IMPORT, CounterContinuation, ImportReport, Problem
from .plan import ActPlan

# -- Numbering ----------------------------------------------------------------------------------

_TOKEN = re.compile(r"\{(YYYY|YY|MM|DD|SEQ(?::(\d+))?)\}")


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """A regular expression reading back the numbers a numbering pattern produces."""
    parts, last = [], 0
    for match in _TOKEN.finditer(pattern):
        parts.append(re.escape(pattern[last : match.start()]))
        token = match.group(1)
        if token == "YYYY":
            parts.append(r"(?P<year>[0-9]{4})")
        elif token == "YY":
            parts.append(r"(?P<yy>[0-9]{2})")
        elif token in ("MM", "DD"):
            parts.append(r"[0-9]{2}")
        else:
            parts.append(rf"(?P<seq>[0-9]{{{match.group(2) or 1}}})")
        last = match.end()
    parts.append(re.escape(pattern[last:]))
    return re.compile("^" + "".join(parts) + "$")


def plan_counters(
    collectivite: Collectivite, acts: list[ActPlan], report: ImportReport
) -> list[CounterContinuation]:
    """Counters to raise so that numbering continues after the highest imported number.

    An imported number is read back with the numbering pattern of its act's type: the year from
    {YYYY}/{YY} (else the decision date's), the sequence from {SEQ:n}. Each counter (name, year,
    or 0 when it never restarts) is raised to the highest sequence found, never lowered;
    nothing is consumed. Numbers that the pattern cannot read leave the counter as it is
    (a warning names the current year's).
    """
    today = timezone.localdate()
    schemes = {
        scheme.act_type: scheme
        for scheme in NumberingScheme.objects.filter(collectivite=collectivite)
    }
    highest: dict[tuple[str, int], tuple[int, NumberingScheme, int]] = {}
    unread: dict[str, list[str]] = defaultdict(list)
    for act in acts:
        scheme = schemes.get(act.act_type)
        if scheme is None or act.decision_date is None:
            continue
        match = pattern_regex(scheme.pattern).match(act.number)
        if match is None:
            if act.decision_date.year == today.year:
                unread[act.act_type].append(act.number)
            continue
        groups = match.groupdict()
        year = (
            int(groups["year"])
            if groups.get("year")
            else 2000 + int(groups["yy"])
            if groups.get("yy")
            else act.decision_date.year
        )
        key = (scheme.counter_name, year if scheme.yearly_reset else 0)
        sequence = int(groups["seq"])
        if key not in highest or highest[key][0] < sequence:
            highest[key] = (sequence, scheme, year)
    for act_type, numbers in sorted(unread.items()):
        scheme = schemes[act_type]
        report.add(
            Problem(
                None,
                "number",
                _(
                    "%(count)d numbers of type %(type)s for %(year)d (%(first)s…) do not follow "
                    "the numbering pattern %(pattern)s, so the counter does not continue them. "
                    "To go on with the previous numbering, set the pattern in the settings "
                    "before importing."
                )
                % {
                    "count": len(numbers),
                    "type": ActType(act_type).label,
                    "year": today.year,
                    "first": numbers[0],
                    "pattern": scheme.pattern,
                },
                "numbering_not_continued",
                Severity.WARNING,
                IMPORT,
            )
        )
    result = []
    current = {
        (counter.name, counter.year): counter.last_value
        for counter in Counter.objects.filter(collectivite=collectivite)
    }
    for (name, year), (sequence, scheme, real_year) in sorted(highest.items()):
        before = current.get((name, year), 0)
        if sequence <= before:
            continue
        pattern = parse_pattern(scheme.pattern)
        on = today if real_year == today.year else dt.date(real_year, 12, 31)
        next_number = (
            pattern.format(sequence=sequence + 1, on=on)
            if sequence + 1 <= pattern.max_sequence
            else ""
        )
        result.append(
            CounterContinuation(
                counter=name,
                year=year,
                act_type=scheme.act_type,
                pattern=scheme.pattern,
                before=before,
                after=sequence,
                next_number=next_number,
            )
        )
    return result
