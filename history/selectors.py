"""Reads of the history import shared by the pages, the API and the command."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from deliberations.models import Collectivite
from deliberations.permissions import collectivite_ids_for

from .models import ImportBatch, ImportedAct


def batches_of(collectivite: Collectivite) -> QuerySet[ImportBatch]:
    return ImportBatch.objects.filter(collectivite=collectivite).select_related("created_by")


def visible_batches(user: Any) -> QuerySet[ImportBatch]:
    return ImportBatch.objects.filter(collectivite_id__in=collectivite_ids_for(user))


def visible_imported_acts(user: Any) -> QuerySet[ImportedAct]:
    return ImportedAct.objects.filter(collectivite_id__in=collectivite_ids_for(user))


def acts_of(batch: ImportBatch) -> QuerySet[ImportedAct]:
    return batch.acts.select_related("act").order_by("line")
