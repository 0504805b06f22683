"""The elected officials' CSV, the assemblies, the séances of the deliberations and their
rapporteurs: who sat where, in Délibre and in the import."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from deliberations.enums import SeanceStatus
from deliberations.models import Assembly, Collectivite, ElectedOfficial, Mandate, Seance

from ..enums import RowOutcome
from ..manifest import RawRow
from ..report import OFFICIALS
from .plan import Checker, OfficialPlan, Plan, SeancePlan
from .values import (
    DEFAULT_SEANCE_TIME,
    KINDS,
    ROLES,
    BadValue,
    as_text,
    fold,
    parse_date,
    parse_integer,
)

# -- Elected officials --------------------------------------------------------------------------


@dataclass
class Council:
    """Who sat where, in Délibre and in the officials' CSV: for rapporteurs and assemblies."""

    assemblies: dict[str, str] = field(default_factory=dict)  # name → kind
    #: official key → [(assembly name, start, end)]
    seats: dict[str, list[tuple[str, dt.date, dt.date | None]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    officials: dict[str, list[int | None]] = field(default_factory=lambda: defaultdict(list))


def council_from_db(collectivite: Collectivite) -> Council:
    council = Council()
    for name, kind in Assembly.objects.filter(collectivite=collectivite).values_list(
        "name", "kind"
    ):
        council.assemblies[name] = kind
    for official in ElectedOfficial.objects.filter(collectivite=collectivite):
        council.officials[fold(f"{official.first_name} {official.last_name}")].append(official.pk)
    for mandate in Mandate.objects.filter(official__collectivite=collectivite).select_related(
        "official", "assembly"
    ):
        key = fold(f"{mandate.official.first_name} {mandate.official.last_name}")
        council.seats[key].append((mandate.assembly.name, mandate.start_date, mandate.end_date))
    return council


def check_officials(plan: Plan, checker: Checker, rows: list[RawRow], council: Council) -> None:
    existing_mandates = {
        (fold(f"{m.official.first_name} {m.official.last_name}"), m.assembly.name, m.start_date)
        for m in Mandate.objects.filter(official__collectivite=plan.collectivite).select_related(
            "official", "assembly"
        )
    }
    seen: dict[tuple[str, str, dt.date], int] = {}
    for row in rows:
        values, line = row.values, row.line
        official = OfficialPlan(line=line)
        errors_before = len(checker.report.errors)

        def bad(column: str, exc: BadValue, line: int = line) -> None:
            checker.problem(line, column, exc.message, exc.code, source=OFFICIALS)

        civility = as_text(values.get("civility"))
        official.civility = {"mme": "Mme", "madame": "Mme", "m.": "M.", "m": "M."}.get(
            civility.lower(), ""
        )
        if not official.civility:
            bad("civility", BadValue(_("Write Mme or M."), "civility_invalid"))
        official.first_name = as_text(values.get("first_name"))
        official.last_name = as_text(values.get("last_name"))
        for column in ("first_name", "last_name"):
            if not getattr(official, column):
                bad(column, BadValue(_("This column must have a value."), "required"))
        official.email = as_text(values.get("email"))
        official.assembly = as_text(values.get("assembly"))
        if not official.assembly:
            bad("assembly", BadValue(_("Name the assembly the official sits in."), "required"))
        kind = fold(as_text(values.get("assembly_kind")) or "council")
        official.assembly_kind = KINDS.get(kind, "")
        if not official.assembly_kind:
            bad(
                "assembly_kind",
                BadValue(_("Write council, bureau or commission."), "assembly_kind_invalid"),
            )
        role = ROLES.get(fold(as_text(values.get("role"))))
        if role is None:
            bad(
                "role",
                BadValue(
                    _(
                        "Unknown role: write mayor, deputy_mayor, president, vice_president, "
                        "delegate_councillor or councillor (or maire, adjoint, conseiller…)."
                    ),
                    "role_invalid",
                ),
            )
        else:
            official.role = role
        official.quality = as_text(values.get("quality"))[:200]
        official.political_group = as_text(values.get("political_group"))[:120]
        for column in ("start_date", "end_date"):
            try:
                setattr(official, column, parse_date(values.get(column)))
            except BadValue as exc:
                bad(column, exc)
        if official.start_date is None and not any(
            p.line == line and p.field == "start_date" for p in checker.report.problems
        ):
            bad("start_date", BadValue(_("This column must have a value."), "required"))
        if official.start_date and official.end_date and official.end_date < official.start_date:
            bad("end_date", BadValue(_("A mandate cannot end before it starts."), "date_order"))
        try:
            official.rank = parse_integer(values.get("rank")) or 100
        except BadValue as exc:
            bad("rank", exc)
        if len(checker.report.errors) > errors_before:
            continue
        assert official.start_date is not None
        key = (official.key, official.assembly, official.start_date)
        if key in seen:
            bad(
                "start_date",
                BadValue(
                    _("The same mandate is already on line %(line)d.") % {"line": seen[key]},
                    "mandate_duplicate",
                ),
            )
            continue
        seen[key] = line
        known = council.officials.get(official.key, [])
        ids = [pk for pk in known if pk is not None]
        if len(ids) > 1:
            bad(
                "last_name",
                BadValue(
                    _(
                        "Two elected officials of Délibre have this name: enter this mandate "
                        "in the settings instead."
                    ),
                    "official_ambiguous",
                ),
            )
            continue
        official.official_id = ids[0] if ids else None
        if not known:  # a new official (a second mandate of theirs finds them planned)
            council.officials[official.key].append(None)
        official.new_mandate = key not in existing_mandates
        if official.new_mandate:
            for assembly, start, end in council.seats.get(official.key, []):
                if assembly != official.assembly:
                    continue
                if (end is None or end >= official.start_date) and (
                    official.end_date is None or start <= official.end_date
                ):
                    bad(
                        "start_date",
                        BadValue(
                            _(
                                "%(name)s already sits in %(assembly)s during this period "
                                "(from %(start)s)."
                            )
                            % {
                                "name": f"{official.first_name} {official.last_name}",
                                "assembly": assembly,
                                "start": start.isoformat(),
                            },
                            "mandate_overlap",
                        ),
                    )
                    break
            else:
                council.seats[official.key].append(
                    (official.assembly, official.start_date, official.end_date)
                )
                if official.assembly not in council.assemblies:
                    council.assemblies[official.assembly] = official.assembly_kind
                    plan.assemblies[official.assembly] = official.assembly_kind
        plan.officials.append(official)


def check_seances(plan: Plan, checker: Checker, council: Council) -> None:
    collectivite = plan.collectivite
    for act in plan.candidates:
        if not act.is_deliberation:
            continue
        if act.assembly and act.assembly not in council.assemblies:
            checker.problem(
                act.line,
                "assembly",
                _(
                    "Unknown assembly %(name)s: create it in the settings, or list its members "
                    "in the elected officials' file."
                )
                % {"name": act.assembly},
                "assembly_unknown",
            )
            act.outcome = RowOutcome.INVALID
            continue
        key = act.seance_key
        if key is None:
            continue
        seance = plan.seances.get(key)
        if seance is None:
            at = timezone.make_aware(
                dt.datetime.combine(key[1], act.seance_time or DEFAULT_SEANCE_TIME)
            )
            existing = (
                Seance.objects.filter(
                    collectivite=collectivite, assembly__name=act.assembly, date__date=key[1]
                )
                .order_by("pk")
                .first()
            )
            seance = SeancePlan(
                assembly=act.assembly,
                day=key[1],
                at=existing.date if existing else at,
                existing_id=existing.pk if existing else None,
            )
            plan.seances[key] = seance
            if existing is not None and existing.status != SeanceStatus.CLOSED:
                checker.problem(
                    act.line,
                    "seance_date",
                    _(
                        "Délibre has a séance of %(assembly)s on %(day)s that is not closed: "
                        "close it, or check the date."
                    )
                    % {"assembly": act.assembly, "day": key[1].isoformat()},
                    "seance_open",
                )
                act.outcome = RowOutcome.INVALID


def check_rapporteurs(plan: Plan, checker: Checker, council: Council) -> None:
    for act in plan.candidates:
        if not act.rapporteur or not act.is_deliberation:
            continue
        if act.assembly not in council.assemblies:
            continue  # already reported (assembly_unknown): no second, derived problem
        words = act.rapporteur.split()
        candidates = {fold(act.rapporteur)}
        if len(words) > 1:  # "NOM Prénom" as well as "Prénom NOM"
            candidates.add(fold(" ".join(words[1:] + words[:1])))
        keys = [key for key in candidates if key in council.officials]
        if len(keys) != 1 or len(council.officials[keys[0]]) != 1:
            checker.problem(
                act.line,
                "rapporteur",
                _(
                    "%(name)s is not an elected official of the collectivité (or two have this "
                    "name): write the first name and last name as in the officials' list."
                )
                % {"name": act.rapporteur},
                "rapporteur_unknown",
            )
            act.outcome = RowOutcome.INVALID
            continue
        day = act.decision_date
        seat = next(
            (
                (keys[0], assembly, start)
                for assembly, start, end in council.seats.get(keys[0], [])
                if (not act.is_deliberation or assembly == act.assembly)
                and day is not None
                and start <= day
                and (end is None or end >= day)
            ),
            None,
        )
        if seat is None:
            checker.problem(
                act.line,
                "rapporteur",
                _("%(name)s did not sit in %(assembly)s on %(day)s.")
                % {
                    "name": act.rapporteur,
                    "assembly": act.assembly or "—",
                    "day": day.isoformat() if day else "—",
                },
                "rapporteur_not_sitting",
            )
            act.outcome = RowOutcome.INVALID
            continue
        act.rapporteur_key = seat
