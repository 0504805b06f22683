"""Read-only back-office views of the history import (rows are written by services only)."""

from __future__ import annotations

from django.contrib import admin

from .models import ImportBatch, ImportedAct


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnly):
    list_display = ("source_name", "collectivite", "created_by", "created_at")
    list_filter = ("collectivite",)


@admin.register(ImportedAct)
class ImportedActAdmin(ReadOnly):
    list_display = ("number", "collectivite", "signature_status", "ack_date", "published_on")
    list_filter = ("collectivite", "signature_status")
    search_fields = ("number",)
