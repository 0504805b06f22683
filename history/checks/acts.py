"""Each act of the manifest: its values checked column by column, its files, its votes and
dates, its hash (idempotence) and its outcome: new, unchanged, conflict or invalid."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from deliberations.enums import ACT_NUMBER_RE, DEFAULT_NATURE, ActesNature, ActType
from deliberations.models import Act
from deliberations.validators import validate_objet

from ..enums import RowOutcome, Severity
from ..manifest import RawRow
from ..models import ImportedAct
from .plan import ActPlan, AnnexPlan, Checker, ClassificationIndex, Plan, VoteCounts
from .prefecture import check_ar_file, check_id_acte
from .signatures import SignatureChecks
from .values import (
    BALLOT_COLUMNS,
    NATURES,
    RESULTS,
    TYPES,
    VOTE_COLUMNS,
    BadValue,
    as_text,
    fold,
    parse_boolean,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_integer,
    split_list,
)

# -- Acts ---------------------------------------------------------------------------------------


def parse_act(row: RawRow, checker: Checker, index: ClassificationIndex) -> ActPlan:
    """One act's values, each column checked on its own (every problem is reported)."""
    values, line = row.values, row.line
    act = ActPlan(line=line)

    def bad(column: str, exc: BadValue) -> None:
        checker.problem(line, column, exc.message, exc.code)

    act.number = as_text(values.get("number"))
    if not act.number:
        bad("number", BadValue(_("This column must have a value."), "required"))
    elif not ACT_NUMBER_RE.fullmatch(act.number):
        bad(
            "number",
            BadValue(
                _(
                    "%(value)s is not a valid number for the prefecture (ACTES): 2 to 15 capital "
                    "letters, digits or underscores, starting and ending with a letter or a digit."
                )
                % {"value": act.number},
                "number_invalid",
            ),
        )
    kind = TYPES.get(fold(as_text(values.get("type"))))
    if kind is None:
        bad(
            "type",
            BadValue(
                _("Unknown type: write deliberation, arrete, decision, contract or other."),
                "type_invalid",
            ),
        )
    else:
        act.act_type = kind
    nature_text = as_text(values.get("nature")).upper()
    if nature_text:
        nature = NATURES.get(nature_text)
        if nature is None and nature_text.isdigit() and int(nature_text) in ActesNature.values:
            nature = ActesNature(int(nature_text))
        if nature is None:
            bad(
                "nature",
                BadValue(
                    _("Unknown ACTES nature: write 1 to 6, or DE, AR, AI, CC, BF, AU."),
                    "nature_invalid",
                ),
            )
        else:
            act.nature = int(nature)
    elif kind is not None:
        act.nature = int(DEFAULT_NATURE[ActType(kind)])
    raw_matiere = as_text(values.get("matiere"))
    act.matiere = raw_matiere.split()[0] if raw_matiere else ""
    if not act.matiere:
        bad("matiere", BadValue(_("This column must have a value."), "required"))
    elif index.available:
        level = index.levels.get(act.matiere)
        if level is None:
            bad(
                "matiere",
                BadValue(
                    _("The matière %(code)s is not in the prefecture's classification.")
                    % {"code": act.matiere},
                    "matiere_unknown",
                ),
            )
        elif level < 2:
            bad(
                "matiere",
                BadValue(
                    _("Give a matière of level 2 or deeper (for example 7.1), not %(code)s.")
                    % {"code": act.matiere},
                    "matiere_level",
                ),
            )
    objet = values.get("objet")
    act.objet = str(objet).strip(" \t") if objet is not None else ""
    try:
        validate_objet(act.objet)
    except ValidationError as exc:
        bad("objet", BadValue(" ".join(str(m) for m in exc.messages), exc.code or "objet_invalid"))
    for column in ("decision_date", "transmitted_on", "ar_date", "published_on"):
        try:
            setattr(act, column, parse_date(values.get(column)))
        except BadValue as exc:
            bad(column, exc)
        checker.past(line, column, getattr(act, column))
    try:
        seance = parse_datetime(values.get("seance_date"))
    except BadValue as exc:
        bad("seance_date", exc)
        seance = None
    if seance is not None:
        act.seance_day, act.seance_time = seance
        checker.past(line, "seance_date", act.seance_day)
    act.assembly = " ".join(as_text(values.get("assembly")).split())
    act.rapporteur = " ".join(as_text(values.get("rapporteur")).split())
    counts: dict[str, int | None] = {}
    for column in (*VOTE_COLUMNS, *BALLOT_COLUMNS, "not_voting"):
        try:
            counts[column] = parse_integer(values.get(column))
        except BadValue as exc:
            bad(column, exc)
            counts[column] = None
    result = RESULTS.get(fold(as_text(values.get("vote_result")) or "adopted"))
    if result is None:
        bad(
            "vote_result",
            BadValue(_("Write adopted or noted (prend acte)."), "vote_result_invalid"),
        )
    else:
        act.vote_result = result
    for column in ("casting_vote", "confidential"):
        try:
            setattr(act, column, parse_boolean(values.get(column)))
        except BadValue as exc:
            bad(column, exc)
    act.pdf_path = as_text(values.get("pdf"))
    if not act.pdf_path:
        bad("pdf", BadValue(_("Every act needs its PDF: give the path of the file."), "required"))
    paths = split_list(values.get("annexes"))
    types = split_list(values.get("annex_types"))
    if len(types) > len(paths):
        bad(
            "annex_types",
            BadValue(_("There are more types de pièce than annexes."), "annex_types_count"),
        )
    for position, entry in enumerate(paths):
        if isinstance(entry, dict):
            annex = AnnexPlan(
                path=as_text(entry.get("path")),
                piece_type=as_text(entry.get("type")).upper(),
                title=as_text(entry.get("title")),
                transmitted=entry.get("transmitted", True) is not False,
            )
        else:
            annex = AnnexPlan(
                path=as_text(entry),
                piece_type=as_text(types[position]).upper() if position < len(types) else "",
                title="",
                transmitted=True,
            )
        annex.title = annex.title or annex.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        act.annexes.append(annex)
    act.id_acte = as_text(values.get("id_acte"))
    act.ar_path = as_text(values.get("ar_file"))
    try:
        act.budget_amount = parse_decimal(values.get("budget_amount"))
    except BadValue as exc:
        bad("budget_amount", exc)
    try:
        year = parse_integer(values.get("budget_year"))
        act.budget_year = year
        if year is not None and not 1900 <= year <= 2100:
            raise BadValue(_("Give the budget year, such as 2024."), "integer_invalid")
    except BadValue as exc:
        bad("budget_year", exc)
    act.budget_name = as_text(values.get("budget_name"))[:120]
    _check_votes(act, counts, checker)
    return act


def _check_votes(act: ActPlan, counts: dict[str, int | None], checker: Checker) -> None:
    line = act.line

    def bad(column: str, message: str, code: str, severity: str = Severity.ERROR) -> None:
        checker.problem(line, column, message, code, severity=severity)

    given = [column for column, value in counts.items() if value is not None]
    if act.act_type and not act.is_deliberation:
        given_columns = {
            "assembly": act.assembly,
            "seance_date": act.seance_day,
            "rapporteur": act.rapporteur,
        }
        for column, value in given_columns.items():
            if value:
                bad(
                    column,
                    _("Only deliberations are voted in séance: leave this column empty."),
                    "not_voted",
                )
        for column in given:
            bad(
                column,
                _("Only deliberations are voted: leave the vote columns empty."),
                "not_voted",
            )
        if act.decision_date is None:
            bad("decision_date", _("Give the date the act was signed."), "required")
        return
    if not act.is_deliberation:
        return
    if not act.assembly:
        bad("assembly", _("A deliberation needs the assembly that voted it."), "required")
    if act.seance_day is None:
        bad("seance_date", _("A deliberation needs the date of its séance."), "required")
    elif act.decision_date is None:
        act.decision_date = act.seance_day
    elif act.decision_date != act.seance_day:
        bad(
            "decision_date",
            _("A deliberation is decided on the day of its séance (%(day)s).")
            % {"day": act.seance_day.isoformat()},
            "date_mismatch",
        )
    missing = [column for column in VOTE_COLUMNS if counts.get(column) is None]
    if missing:
        for column in missing:
            bad(
                column,
                _("Give the number of members in office, present and represented."),
                "votes_missing",
            )
        return
    ballots = [counts.get(column) for column in BALLOT_COLUMNS]
    if any(value is None for value in ballots) and any(value is not None for value in ballots):
        for column, ballot in zip(BALLOT_COLUMNS, ballots, strict=True):
            if ballot is None:
                bad(
                    column,
                    _("Give the votes for, against and abstentions together, or none."),
                    "votes_incomplete",
                )
        return
    votes = VoteCounts(
        members_in_office=counts["members_in_office"] or 0,
        present=counts["present"] or 0,
        represented=counts["represented"] or 0,
        for_count=counts["for"],
        against_count=counts["against"],
        abstention_count=counts["abstention"],
        not_voting_count=counts["not_voting"] if counts["for"] is not None else None,
    )
    act.votes = votes
    if votes.present + votes.represented > votes.members_in_office:
        bad(
            "present",
            _(
                "Present (%(present)d) and represented (%(represented)d) members outnumber the "
                "members in office (%(office)d)."
            )
            % {
                "present": votes.present,
                "represented": votes.represented,
                "office": votes.members_in_office,
            },
            "votes_inconsistent",
        )
    if votes.represented > votes.present:
        bad(
            "represented",
            _("Each proxy is held by a member present: more proxies than members present."),
            "votes_inconsistent",
        )
    if votes.present < votes.members_in_office // 2 + 1:
        bad(
            "present",
            _(
                "Fewer than half the members in office were present: this is lawful only after "
                "a first séance without quorum (second convocation). Check the counts."
            ),
            "quorum",
            Severity.WARNING,
        )
    if act.vote_result == "noted":
        if votes.has_ballots:
            bad(
                "vote_result",
                _("An act taken note of (prend acte) has no vote: leave the votes empty."),
                "votes_inconsistent",
            )
        return
    if not votes.has_ballots:
        return
    assert votes.for_count is not None and votes.against_count is not None
    voters = votes.for_count + votes.against_count + (votes.abstention_count or 0)
    if voters + (votes.not_voting_count or 0) > votes.present + votes.represented:
        bad(
            "for",
            _("%(voters)d votes for members present or represented: %(count)d at most.")
            % {
                "voters": voters + (votes.not_voting_count or 0),
                "count": votes.present + votes.represented,
            },
            "votes_inconsistent",
        )
    if votes.for_count < votes.against_count or (
        votes.for_count == votes.against_count and not act.casting_vote
    ):
        bad(
            "for",
            _(
                "With %(for)d for and %(against)d against the deliberation was not adopted: "
                "only adopted acts are imported (write casting_vote yes for a tie decided by "
                "the president)."
            )
            % {"for": votes.for_count, "against": votes.against_count},
            "votes_not_adopted",
        )


def _check_dates(act: ActPlan, checker: Checker) -> None:
    decided = act.decision_date
    if decided is None:
        return
    for column in ("transmitted_on", "ar_date", "published_on"):
        day = getattr(act, column)
        if day is not None and day < decided:
            checker.problem(
                act.line,
                column,
                _("This date is before the decision (%(date)s).") % {"date": decided.isoformat()},
                "date_order",
            )
    if act.transmitted_on and act.ar_date and act.ar_date < act.transmitted_on:
        checker.problem(
            act.line,
            "ar_date",
            _("The prefecture cannot acknowledge an act before it was sent."),
            "date_order",
        )
    if act.confidential and act.published_on:
        checker.problem(
            act.line,
            "published_on",
            _(
                "A confidential act is never published: remove the publication date or the "
                "confidential flag."
            ),
            "confidential_published",
        )


def row_data(act: ActPlan, raw: dict[str, Any]) -> dict[str, Any]:
    """The row, normalised, with the files' hashes: what ``row_sha256`` covers."""
    votes = act.votes
    return {
        "number": act.number,
        "type": act.act_type,
        "nature": act.nature,
        "matiere": act.matiere,
        "objet": act.objet,
        "decision_date": act.decision_date,
        "assembly": act.assembly,
        "seance_date": as_text(raw.get("seance_date")),
        "votes": (
            {
                "members_in_office": votes.members_in_office,
                "present": votes.present,
                "represented": votes.represented,
                "for": votes.for_count,
                "against": votes.against_count,
                "abstention": votes.abstention_count,
                "not_voting": votes.not_voting_count,
            }
            if votes
            else None
        ),
        "vote_result": act.vote_result if act.is_deliberation else "",
        "casting_vote": act.casting_vote,
        "rapporteur": act.rapporteur,
        "pdf": {"path": act.pdf_path, "sha256": act.pdf.sha256 if act.pdf else ""},
        "annexes": [
            {
                "path": a.path,
                "type": a.piece_type,
                "title": a.title,
                "transmitted": a.transmitted,
                "sha256": a.facts.sha256 if a.facts else "",
            }
            for a in act.annexes
        ],
        "transmitted_on": act.transmitted_on,
        "id_acte": as_text(raw.get("id_acte")),
        "ar_date": as_text(raw.get("ar_date")),
        "ar_file": (
            {"path": act.ar_path, "sha256": act.ar_file.sha256 if act.ar_file else ""}
            if act.ar_path
            else None
        ),
        "published_on": act.published_on,
        "confidential": act.confidential,
        "budget": (
            {
                "amount": str(act.budget_amount) if act.budget_amount is not None else None,
                "year": act.budget_year,
                "name": act.budget_name,
            }
            if act.budget_amount is not None or act.budget_year or act.budget_name
            else None
        ),
    }


def canonical(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    before_json = json.loads(canonical(before))
    after_json = json.loads(canonical(after))
    return sorted(k for k in after_json if before_json.get(k) != after_json.get(k))


def check_acts(
    plan: Plan,
    checker: Checker,
    rows: list[RawRow],
    index: ClassificationIndex,
) -> None:
    collectivite = plan.collectivite
    signatures = SignatureChecks(collectivite)
    imported = {
        record.number: record for record in ImportedAct.objects.filter(collectivite=collectivite)
    }
    others = set(
        Act.objects.filter(collectivite=collectivite)
        .exclude(number="")
        .exclude(history_import__isnull=False)
        .values_list("number", flat=True)
    )
    first_line: dict[str, int] = {}
    for row in rows:
        errors_before = len(checker.report.errors)
        act = parse_act(row, checker, index)
        if act.number in first_line:
            checker.problem(
                act.line,
                "number",
                _("The number %(number)s is already on line %(line)d.")
                % {"number": act.number, "line": first_line[act.number]},
                "number_duplicate",
            )
        elif act.number:
            first_line[act.number] = act.line
        if act.number in others:
            checker.problem(
                act.line,
                "number",
                _(
                    "An act of Délibre already has the number %(number)s: the history cannot "
                    "take it."
                )
                % {"number": act.number},
                "number_taken",
            )
        _check_dates(act, checker)
        content = None
        if act.pdf_path:
            found = checker.pdf(act.line, "pdf", act.pdf_path)
            if found is not None:
                act.pdf, content = found
        for annex in act.annexes:
            facts = checker.pdf(act.line, "annexes", annex.path) if annex.path else None
            if not annex.path:
                checker.problem(act.line, "annexes", _("An annex has no path."), "file_missing")
            if facts is not None:
                annex.facts = facts[0]
            if (
                annex.piece_type
                and index.piece_types
                and act.nature
                and (act.nature, annex.piece_type) not in index.piece_types
            ):
                checker.problem(
                    act.line,
                    "annex_types",
                    _("The type de pièce %(type)s is not allowed for the nature %(nature)s.")
                    % {"type": annex.piece_type, "nature": act.nature},
                    "piece_type_unknown",
                )
        check_ar_file(act, collectivite, checker)
        check_id_acte(act, collectivite, checker)
        act.data = json.loads(canonical(row_data(act, row.values)))
        act.row_sha256 = hashlib.sha256(canonical(act.data).encode()).hexdigest()
        previous = imported.get(act.number)
        if previous is None and content is not None and len(checker.report.errors) == errors_before:
            signatures.check(act, content, checker)
        if len(checker.report.errors) > errors_before:
            act.outcome = RowOutcome.INVALID
        elif previous is not None and previous.row_sha256 == act.row_sha256:
            act.outcome = RowOutcome.UNCHANGED
        elif previous is not None:
            act.outcome = RowOutcome.CONFLICT
            checker.problem(
                act.line,
                "number",
                _(
                    "The act %(number)s was imported on %(date)s with other values (%(fields)s): "
                    "an imported act is never overwritten. Restore the row as it was, or remove "
                    "it from the manifest."
                )
                % {
                    "number": act.number,
                    "date": previous.imported_at.date().isoformat(),
                    "fields": ", ".join(changed_fields(previous.data, act.data)),
                },
                "conflict",
            )
        plan.acts.append(act)
    signatures.finish(checker)
