"""What the checks find and the import writes: the plan of each act, official and séance,
and the checker that records every problem in the report."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from core.uploads import InvalidPdf, inspect_pdf
from deliberations.enums import ActType, AssemblyKind
from deliberations.models import Collectivite

from ..enums import RowOutcome, Severity
from ..files import FileProblem, FileSource, file_limit
from ..report import MANIFEST, ImportReport, Problem
from .values import fold

# -- The plan -----------------------------------------------------------------------------------


@dataclass
class FileFacts:
    path: str
    sha256: str
    size: int
    pages: int = 0


@dataclass
class AnnexPlan:
    path: str
    piece_type: str
    title: str
    transmitted: bool
    facts: FileFacts | None = None


@dataclass
class VoteCounts:
    members_in_office: int
    present: int
    represented: int
    for_count: int | None
    against_count: int | None
    abstention_count: int | None
    not_voting_count: int | None

    @property
    def has_ballots(self) -> bool:
        return self.for_count is not None


@dataclass
class SignatureResult:
    status: str
    count: int
    report: dict[str, Any]


@dataclass
class ActPlan:
    line: int
    number: str = ""
    act_type: str = ""
    nature: int = 0
    matiere: str = ""
    objet: str = ""
    decision_date: dt.date | None = None
    assembly: str = ""
    seance_day: dt.date | None = None
    seance_time: dt.time | None = None
    votes: VoteCounts | None = None
    vote_result: str = "adopted"
    casting_vote: bool = False
    rapporteur: str = ""
    pdf: FileFacts | None = None
    pdf_path: str = ""
    annexes: list[AnnexPlan] = field(default_factory=list)
    transmitted_on: dt.date | None = None
    id_acte: str = ""
    ar_date: dt.date | None = None
    ar_path: str = ""
    ar_file: FileFacts | None = None
    published_on: dt.date | None = None
    confidential: bool = False
    budget_amount: Decimal | None = None
    budget_year: int | None = None
    budget_name: str = ""
    outcome: str = RowOutcome.NEW
    data: dict[str, Any] = field(default_factory=dict)
    row_sha256: str = ""
    signature: SignatureResult | None = None
    #: (official key, assembly name) of the rapporteur's mandate, resolved by the checks.
    rapporteur_key: tuple[str, str, dt.date] | None = None

    @property
    def is_deliberation(self) -> bool:
        return self.act_type == ActType.DELIBERATION

    @property
    def seance_key(self) -> tuple[str, dt.date] | None:
        if not self.is_deliberation or self.seance_day is None:
            return None
        return (self.assembly, self.seance_day)

    @property
    def acknowledged(self) -> bool:
        return self.ar_date is not None

    @property
    def transmitted(self) -> bool:
        return self.acknowledged or self.transmitted_on is not None

    @property
    def target_status(self) -> str:
        if self.published_on is not None:
            return "published"
        if self.acknowledged:
            return "acknowledged"
        if self.transmitted:
            return "transmitted"
        return "signed"


@dataclass
class OfficialPlan:
    line: int
    civility: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    assembly: str = ""
    assembly_kind: str = AssemblyKind.COUNCIL
    role: str = ""
    quality: str = ""
    political_group: str = ""
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    rank: int = 100
    #: None: a new official; otherwise the existing ElectedOfficial's pk.
    official_id: int | None = None
    new_mandate: bool = True

    @property
    def key(self) -> str:
        return fold(f"{self.first_name} {self.last_name}")


@dataclass
class SeancePlan:
    assembly: str
    day: dt.date
    at: dt.datetime
    existing_id: int | None = None


@dataclass
class ClassificationIndex:
    """The matières (code → level) and types de pièce acts are checked against."""

    levels: dict[str, int] = field(default_factory=dict)
    piece_types: set[tuple[int, str]] = field(default_factory=set)
    available: bool = False


@dataclass
class Plan:
    collectivite: Collectivite
    report: ImportReport
    acts: list[ActPlan] = field(default_factory=list)
    officials: list[OfficialPlan] = field(default_factory=list)
    assemblies: dict[str, str] = field(default_factory=dict)
    seances: dict[tuple[str, dt.date], SeancePlan] = field(default_factory=dict)
    classification: bytes | None = None
    classification_name: str = ""
    classification_new: bool = False

    @property
    def new_acts(self) -> list[ActPlan]:
        return [act for act in self.acts if act.outcome == RowOutcome.NEW]

    @property
    def candidates(self) -> list[ActPlan]:
        """Acts to import, and those with errors (still checked, for a complete report)."""
        return [act for act in self.acts if act.outcome in (RowOutcome.NEW, RowOutcome.INVALID)]

    @property
    def new_officials(self) -> list[OfficialPlan]:
        seen: dict[str, OfficialPlan] = {}
        for official in self.officials:
            if official.official_id is None:
                seen.setdefault(official.key, official)
        return list(seen.values())

    @property
    def new_mandates(self) -> list[OfficialPlan]:
        return [o for o in self.officials if o.new_mandate]


class Checker:
    def __init__(self, collectivite: Collectivite, files: FileSource, report: ImportReport):
        self.collectivite = collectivite
        self.files = files
        self.report = report
        self.today = timezone.localdate()

    def problem(
        self,
        line: int | None,
        column: str,
        message: str,
        code: str,
        *,
        source: str = MANIFEST,
        severity: str = Severity.ERROR,
    ) -> None:
        self.report.add(Problem(line, column, message, code, severity, source))

    # -- Files ---------------------------------------------------------------------------------

    def read(self, line: int | None, column: str, path: str, *, source: str = MANIFEST):
        try:
            return self.files.read(path)
        except FileProblem as exc:
            self.problem(line, column, f"{path}: {exc.message}", exc.code, source=source)
            return None

    def pdf(self, line: int, column: str, path: str) -> tuple[FileFacts, bytes] | None:
        content = self.read(line, column, path)
        if content is None:
            return None
        try:
            facts = inspect_pdf(io.BytesIO(content), max_bytes=file_limit())
        except InvalidPdf as exc:
            self.problem(line, column, f"{path}: {exc.message}", "pdf_unreadable")
            return None
        return FileFacts(path, facts.sha256, facts.size, facts.page_count), content

    # -- Dates ----------------------------------------------------------------------------------

    def past(self, line: int, column: str, day: dt.date | None) -> None:
        if day is not None and day > self.today:
            self.problem(
                line,
                column,
                _("This date (%(date)s) is in the future: history holds past acts only.")
                % {"date": day.isoformat()},
                "date_future",
            )
