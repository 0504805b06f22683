"""Importing the prefecture's classification (matières and types de pièce)."""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.utils.translation import gettext as _

from workflow.journal import record_event

from ..classification_file import parse_classification
from ..enums import Role
from ..exceptions import InvalidClassification
from ..models import ClassificationVersion, Collectivite, Matiere, PieceType, User
from ..permissions import require_role
from ._common import locked


def import_classification(
    *, collectivite: Collectivite, actor: User, content: bytes, source_name: str = ""
) -> ClassificationVersion:
    """Load a RetourClassification file; its date becomes the current classification.

    Importing the same file again changes nothing. A different file with an already imported
    date is refused. An older date than the current one is kept but does not become current.
    Side effects: journal event ``collectivite.classification.imported``.
    """
    require_role(actor, collectivite, Role.ADMIN)
    parsed = parse_classification(content)
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        locked(Collectivite, collectivite.pk)
        existing = ClassificationVersion.objects.filter(
            collectivite=collectivite, version_date=parsed.version_date
        ).first()
        if existing is not None:
            if existing.source_sha256 == digest:
                return existing
            raise InvalidClassification(
                _(
                    "A different classification dated %(date)s is already imported. The "
                    "prefecture dates every new classification: check that this is the right file."
                )
                % {"date": parsed.version_date.isoformat()}
            )
        current = ClassificationVersion.objects.filter(
            collectivite=collectivite, is_current=True
        ).first()
        becomes_current = current is None or current.version_date < parsed.version_date
        if becomes_current and current is not None:
            current.is_current = False
            current.save(update_fields=["is_current"])
        version = ClassificationVersion.objects.create(
            collectivite=collectivite,
            version_date=parsed.version_date,
            is_current=becomes_current,
            source_name=source_name[:255],
            source_sha256=digest,
        )
        by_code: dict[str, Matiere] = {}
        for entry in parsed.matieres:  # parents always precede their children
            by_code[entry.code] = Matiere.objects.create(
                version=version,
                code=entry.code,
                label=entry.label[:255],
                level=entry.level,
                parent=by_code.get(entry.parent_code) if entry.parent_code else None,
            )
        PieceType.objects.bulk_create(
            [
                PieceType(version=version, nature=p.nature, code=p.code, label=p.label[:255])
                for p in {(p.nature, p.code): p for p in parsed.piece_types}.values()
            ]
        )
        record_event(
            collectivite,
            "collectivite.classification.imported",
            actor=actor,
            data={
                "version_date": parsed.version_date,
                "matieres": len(parsed.matieres),
                "piece_types": len(parsed.piece_types),
                "current": becomes_current,
                "sha256": digest,
                "source": source_name,
            },
        )
    return version
