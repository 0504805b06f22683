"""Checking a history import before anything is written (docs/adr/0009-history-import.md).

:func:`check_import` reads the manifest, the elected officials' CSV, the classification and
every file the rows name, and returns a :class:`Plan`: every problem (file, line, column,
reason) and, when there is no error, exactly what the import will write. It only reads: the
database (the collectivité's classification, officials, assemblies, séances, acts, counters)
and the files; the dry run is this function alone.

Idempotence: each act is keyed by its number in the collectivité; its row is normalised and
hashed together with the SHA-256 of every file it names (``row_sha256``). An act already
imported with the same hash is *unchanged* (skipped); with another hash it is a *conflict*
(an error: an imported act is never overwritten).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

from deliberations.models import Collectivite

from ..enums import RowOutcome, SignatureCheck
from ..files import FileSource
from ..manifest import Manifest, read_manifest, read_officials
from ..report import IMPORT, ImportReport
from .acts import canonical, check_acts
from .classification import check_classification
from .council import check_officials, check_rapporteurs, check_seances, council_from_db
from .numbering import pattern_regex, plan_counters
from .plan import ActPlan, Checker, Plan, SeancePlan
from .signatures import summarize
from .values import fold

__all__ = [
    "ActPlan",
    "Plan",
    "SeancePlan",
    "canonical",
    "check_import",
    "fold",
    "pattern_regex",
    "plan_counters",
    "summarize",
]


# -- Entry point --------------------------------------------------------------------------------


def check_import(
    *,
    collectivite: Collectivite,
    manifest: bytes,
    manifest_name: str,
    files: FileSource,
    officials: bytes | None = None,
    officials_name: str = "",
    classification: bytes | None = None,
    classification_name: str = "",
) -> Plan:
    """Check everything; return the plan (its report lists every problem).

    Raises ManifestUnreadable when the manifest itself cannot be read (nothing else is
    checked then). No side effect: reads the database and the files only.
    """
    report = ImportReport(
        manifest_name=manifest_name, manifest_sha256=hashlib.sha256(manifest).hexdigest()
    )
    plan = Plan(collectivite=collectivite, report=report)
    checker = Checker(collectivite, files, report)
    parsed: Manifest = read_manifest(manifest, name=manifest_name)
    report.problems.extend(parsed.problems)
    if classification is None and parsed.classification:
        classification = checker.read(None, "classification", parsed.classification, source=IMPORT)
        classification_name = parsed.classification
    if officials is None and parsed.officials:
        officials = checker.read(None, "officials", parsed.officials, source=IMPORT)
        officials_name = parsed.officials
    index = check_classification(plan, checker, classification, classification_name)
    council = council_from_db(collectivite)
    if officials is not None:
        rows, problems = read_officials(officials, name=officials_name or "officials.csv")
        report.problems.extend(problems)
        check_officials(plan, checker, rows, council)
    check_acts(plan, checker, parsed.rows, index)
    check_seances(plan, checker, council)
    check_rapporteurs(plan, checker, council)
    report.counters = plan_counters(collectivite, plan.new_acts, report)
    _count(plan)
    return plan


def _count(plan: Plan) -> None:
    report = plan.report
    outcomes: defaultdict[str, int] = defaultdict(int)
    signatures: dict[str, int] = {str(check): 0 for check in SignatureCheck}
    for act in plan.acts:
        outcomes[act.outcome] += 1
        if act.outcome == RowOutcome.NEW and act.signature is not None:
            signatures[act.signature.status] += 1
        report.acts.append(
            {
                "line": act.line,
                "number": act.number,
                "type": act.act_type,
                "decision_date": act.decision_date.isoformat() if act.decision_date else None,
                "outcome": str(act.outcome),
                "status": act.target_status,
                "signatures": act.signature.status if act.signature else None,
            }
        )
    new = plan.new_acts
    report.counts = {
        "rows": len(plan.acts),
        "new": outcomes[RowOutcome.NEW],
        "unchanged": outcomes[RowOutcome.UNCHANGED],
        "conflicts": outcomes[RowOutcome.CONFLICT],
        "invalid": outcomes[RowOutcome.INVALID],
        "officials": len(plan.new_officials),
        "mandates": len(plan.new_mandates),
        "assemblies": len(plan.assemblies),
        "classification": 1 if plan.classification_new else 0,
        "seances": sum(
            1
            for seance in plan.seances.values()
            if seance.existing_id is None
            and any(a.seance_key == (seance.assembly, seance.day) for a in new)
        ),
        "annexes": sum(len(a.annexes) for a in new),
        "acknowledgements": sum(1 for a in new if a.acknowledged),
        "publications": sum(1 for a in new if a.published_on),
        "signatures": signatures,
    }
