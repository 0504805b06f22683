"""What the checks of an import found, as plain data: shown by the command, the page and the API.

A :class:`Problem` names where (the file, its line — the CSV line, header = 1, or the position in
a JSON list — and the column) and why, in a sentence that says what to do. Errors stop the
import; warnings are shown and the import goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .enums import Severity

#: Where a problem was found: the acts manifest, the elected officials' CSV, the
#: classification file, or the whole import.
MANIFEST = "manifest"
OFFICIALS = "officials"
CLASSIFICATION = "classification"
IMPORT = "import"


@dataclass(frozen=True)
class Problem:
    line: int | None
    field: str
    message: str
    code: str
    severity: str = Severity.ERROR
    source: str = MANIFEST

    @property
    def is_error(self) -> bool:
        return self.severity == Severity.ERROR

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "line": self.line,
            "field": self.field,
            "code": self.code,
            "severity": str(self.severity),
            "message": str(self.message),
        }


@dataclass(frozen=True)
class CounterContinuation:
    """A numbering counter raised so that the next number follows the highest imported one."""

    counter: str
    year: int
    act_type: str
    pattern: str
    before: int
    after: int
    next_number: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "counter": self.counter,
            "year": self.year,
            "act_type": self.act_type,
            "pattern": self.pattern,
            "before": self.before,
            "after": self.after,
            "next_number": self.next_number,
        }


@dataclass
class ImportReport:
    """Every problem, and what the import does (or did) when there is none."""

    manifest_name: str = ""
    manifest_sha256: str = ""
    dry_run: bool = True
    problems: list[Problem] = field(default_factory=list)
    #: new, unchanged, conflicts, officials, mandates, assemblies, seances, annexes,
    #: acknowledgements, publications, classification, and signatures by SignatureCheck.
    counts: dict[str, Any] = field(default_factory=dict)
    counters: list[CounterContinuation] = field(default_factory=list)
    #: One line per act of the manifest: number, outcome, signature check.
    acts: list[dict[str, Any]] = field(default_factory=list)
    batch_id: int | None = None
    seconds: float = 0.0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def has_changes(self) -> bool:
        return any(
            self.counts.get(key)
            for key in ("new", "officials", "mandates", "assemblies", "classification")
        )

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def sorted_problems(self) -> list[Problem]:
        order = {IMPORT: 0, CLASSIFICATION: 1, OFFICIALS: 2, MANIFEST: 3}
        return sorted(
            self.problems,
            key=lambda p: (order.get(p.source, 9), p.line or 0, p.field, p.code),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "manifest": self.manifest_name,
            "manifest_sha256": self.manifest_sha256,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [p.as_dict() for p in self.sorted_problems()],
            "counts": self.counts,
            "counters": [c.as_dict() for c in self.counters],
            "acts": self.acts,
            "batch": self.batch_id,
            "seconds": round(self.seconds, 3),
        }
