"""Deleting everything a training sandbox holds, except what must stay (ADR 0010).

What belongs to a collectivité is found from the models themselves: every model with a chain of
foreign keys leading to ``Collectivite`` (through the auto-created many-to-many tables too), so
that a model added later is purged without anyone remembering to list it. What stays: the
collectivité row, its members' roles (``Membership``), its numbering patterns, the users, and
the audit journal (chains, events, anchors) — the journal is append-only, even for a sandbox.

Rows are deleted with ``QuerySet._raw_delete``: Django's collector refuses ``PROTECT`` relations
even between rows that all go in the same transaction, while the database's foreign keys are
deferred to the commit, and checked right after the deletes (``check_constraints``), so a row
outside the sandbox still pointing at a deleted one stops the reset and nothing changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection, models

#: Models never purged (see the module docstring).
KEEP = frozenset(
    {
        "deliberations.collectivite",
        "deliberations.membership",
        "deliberations.numberingscheme",
        "deliberations.user",
        "workflow.journalchain",
        "workflow.auditevent",
        "workflow.journalanchor",
    }
)
CHUNK = 500


def _chunks(values: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def purgeable_models() -> list[type[models.Model]]:
    """Every model whose rows may belong to a collectivité, except those kept."""
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.label_lower not in KEEP
    ]


def owned_ids(collectivite: models.Model) -> dict[type[models.Model], set]:
    """The rows that belong to the collectivité, by model: those with a foreign key to it, then
    those with a foreign key to such a row, and so on (breadth first, one ``IN`` query per key
    and per batch of new rows, so that no query joins many tables)."""
    candidates = purgeable_models()
    keys = {
        model: [
            (fk.attname, fk.related_model)
            for fk in model._meta.concrete_fields
            if fk.is_relation and fk.related_model is not None and fk.related_model is not model
        ]
        for model in candidates
    }
    found: dict[type[models.Model], set] = defaultdict(set)
    delta: dict[type[models.Model], set] = {type(collectivite): {collectivite.pk}}
    while delta:
        fresh: dict[type[models.Model], set] = defaultdict(set)
        for model in candidates:
            for attname, target in keys[model]:
                for chunk in _chunks(sorted(delta.get(target, ()))):
                    rows = model._base_manager.filter(**{f"{attname}__in": chunk}).order_by()
                    for pk in rows.values_list("pk", flat=True):
                        if pk not in found[model]:
                            found[model].add(pk)
                            fresh[model].add(pk)
        delta = {model: pks for model, pks in fresh.items() if pks}
    return {model: pks for model, pks in found.items() if pks}


@dataclass
class Purge:
    """What a purge deleted: rows per model label, and the stored files to delete after commit."""

    rows: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def purge_collectivite(collectivite: models.Model) -> Purge:
    """Delete the collectivité's data (see the module docstring). Run inside a transaction,
    with the collectivité locked; delete ``Purge.files`` from the storage after commit."""
    result = Purge()
    selected = {model: sorted(pks) for model, pks in owned_ids(collectivite).items()}
    for model, ids in selected.items():
        file_fields = [
            f.name for f in model._meta.concrete_fields if isinstance(f, models.FileField)
        ]
        if file_fields:
            for chunk in _chunks(ids):
                rows = model._base_manager.filter(pk__in=chunk).order_by()
                for names in rows.values_list(*file_fields):
                    result.files.extend(name for name in names if name)
    for model, ids in selected.items():
        for chunk in _chunks(ids):
            model._base_manager.filter(pk__in=chunk)._raw_delete(connection.alias)
        result.rows[model._meta.label_lower] = len(ids)
    referencing = {
        other._meta.db_table
        for other in apps.get_models(include_auto_created=True)
        for fk in other._meta.concrete_fields
        if fk.is_relation and fk.related_model in selected
    } | {model._meta.db_table for model in selected}
    connection.check_constraints(table_names=sorted(referencing))
    return result
