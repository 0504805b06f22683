"""Back-office views of the prefecture exchanges (staff): read-only.

Transmissions and messages change only through exports.actes.services (the Prefecture pages,
the API, the commands and the tasks); the admin lists them for support and audit.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from .models import PrefectureMessage, TdtSettings, Transmission


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(TdtSettings)
class TdtSettingsAdmin(ReadOnlyAdmin):
    list_display = ("collectivite", "connector", "s2low_url", "folder_path", "updated_at")


@admin.register(Transmission)
class TransmissionAdmin(ReadOnlyAdmin):
    list_display = ("envelope_name", "kind", "act", "status", "connector", "attempts", "created_at")
    list_filter = ("status", "kind", "connector", "collectivite")
    search_fields = ("envelope_name", "id_acte", "act__number", "external_id")


@admin.register(PrefectureMessage)
class PrefectureMessageAdmin(ReadOnlyAdmin):
    list_display = ("kind", "id_acte", "act", "status", "source", "received_at")
    list_filter = ("status", "kind", "source", "collectivite")
    search_fields = ("id_acte", "act__number", "file_name")
