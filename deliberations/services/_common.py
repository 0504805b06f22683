"""Helpers shared by the deliberations services."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models

from ..exceptions import InvalidData, ObjectNotFound

M = TypeVar("M", bound=models.Model)


def validation_message(error: ValidationError) -> tuple[str, str | None]:
    """The first message of a ValidationError, and the field it concerns."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for item in errors:
                return " ".join(str(m) for m in item.messages), (
                    None if field == "__all__" else field
                )
    return " ".join(str(m) for m in error.messages), None


def full_clean(instance: models.Model, *, exclude: Iterable[str] | None = None) -> None:
    """Run the model's validation and turn it into a domain error (nothing is saved)."""
    try:
        instance.full_clean(exclude=list(exclude or []), validate_unique=True)
    except ValidationError as exc:
        message, field = validation_message(exc)
        raise InvalidData(message, field=field) from exc


def apply_changes(
    instance: models.Model, changes: dict[str, Any], allowed: Iterable[str]
) -> list[str]:
    """Set the allowed fields that actually change; return their names."""
    allowed_set = set(allowed)
    unknown = set(changes) - allowed_set
    if unknown:
        raise InvalidData(f"Unknown or read-only fields: {', '.join(sorted(unknown))}")
    changed = []
    for name, value in changes.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed


def locked(model: type[M], pk: Any) -> M:
    """Re-read a row under a lock (DESIGN.md decision 3). Must run inside a transaction."""
    try:
        return model._default_manager.select_for_update().get(pk=pk)
    except model.DoesNotExist as exc:
        raise ObjectNotFound(f"{model._meta.verbose_name} {pk}") from exc


def journal_value(value: Any) -> Any:
    """How a field value is written in an audit event."""
    if isinstance(value, models.Model):
        return value.pk
    return value
