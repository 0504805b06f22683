"""The classification the acts are checked against: the file given with the import, or the
collectivité's current one."""

from __future__ import annotations

import hashlib

from django.utils.translation import gettext as _

from deliberations.classification_file import parse_classification
from deliberations.exceptions import InvalidClassification
from deliberations.models import ClassificationVersion, Matiere, PieceType

from ..enums import Severity
from ..report import CLASSIFICATION, IMPORT
from .plan import Checker, ClassificationIndex, Plan

# -- Classification -----------------------------------------------------------------------------


def index_from_db(version: ClassificationVersion | None) -> ClassificationIndex:
    if version is None:
        return ClassificationIndex()
    return ClassificationIndex(
        levels=dict(Matiere.objects.filter(version=version).values_list("code", "level")),
        piece_types=set(PieceType.objects.filter(version=version).values_list("nature", "code")),
        available=True,
    )


def check_classification(
    plan: Plan, checker: Checker, content: bytes | None, name: str
) -> ClassificationIndex:
    current = ClassificationVersion.objects.filter(
        collectivite=plan.collectivite, is_current=True
    ).first()
    if content is None:
        index = index_from_db(current)
        if not index.available:
            checker.problem(
                None,
                "matiere",
                _(
                    "No classification of the prefecture is imported yet: give its file "
                    "(RetourClassification) with the import, or import it in the settings first."
                ),
                "classification_missing",
                source=IMPORT,
            )
        return index
    try:
        parsed = parse_classification(content)
    except InvalidClassification as exc:
        checker.problem(None, "", str(exc.message), "classification_invalid", source=CLASSIFICATION)
        return index_from_db(current)
    digest = hashlib.sha256(content).hexdigest()
    same_date = ClassificationVersion.objects.filter(
        collectivite=plan.collectivite, version_date=parsed.version_date
    ).first()
    if same_date is not None and same_date.source_sha256 != digest:
        checker.problem(
            None,
            "",
            _(
                "A different classification dated %(date)s is already imported: check that this "
                "is the prefecture's file."
            )
            % {"date": parsed.version_date.isoformat()},
            "classification_conflict",
            source=CLASSIFICATION,
        )
        return index_from_db(current)
    plan.classification = content
    plan.classification_name = name
    plan.classification_new = same_date is None
    if current is not None and current.version_date >= parsed.version_date:
        if current.version_date > parsed.version_date:
            checker.problem(
                None,
                "",
                _(
                    "This classification (%(date)s) is older than the current one (%(current)s): "
                    "it is kept, and the acts are checked against the current one."
                )
                % {"date": parsed.version_date.isoformat(), "current": current.version_date},
                "classification_older",
                source=CLASSIFICATION,
                severity=Severity.WARNING,
            )
        return index_from_db(current)
    return ClassificationIndex(
        levels={m.code: m.level for m in parsed.matieres},
        piece_types={(p.nature, p.code) for p in parsed.piece_types},
        available=True,
    )
