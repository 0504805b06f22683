"""Back-office views of the publication (staff): read-only; publishing goes through the
services (staff pages, API, scenario)."""

from __future__ import annotations

from django.contrib import admin

from exports.actes.admin import ReadOnlyAdmin

from .models import Publication, SeancePublication


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdmin):
    list_display = ("identifier", "collectivite", "published_at", "author_name", "unpublished_at")
    list_filter = ("collectivite",)
    search_fields = ("identifier", "act__objet")


@admin.register(SeancePublication)
class SeancePublicationAdmin(ReadOnlyAdmin):
    list_display = ("seance", "kind", "published_at", "unpublished_at")
    list_filter = ("kind", "collectivite")
