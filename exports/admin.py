"""Staff back-office: rendered documents and settings, read-only (changes go through the
services, from the documents pages)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from .models import DocumentSettings, RenderedDocument


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(RenderedDocument)
class RenderedDocumentAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "collectivite",
        "kind",
        "act",
        "seance",
        "recipient",
        "version",
        "status",
        "is_current",
        "frozen_at",
        "created_at",
    )
    list_filter = ("kind", "status", "is_current", "collectivite")
    search_fields = ("act__number", "content_sha256", "snapshot_sha256", "verification_token")
    list_select_related = ("collectivite", "act", "seance__assembly", "recipient__official")


@admin.register(DocumentSettings)
class DocumentSettingsAdmin(ReadOnlyAdmin):
    list_display = ("collectivite", "primary_colour", "show_logo", "publication_seal", "updated_at")
