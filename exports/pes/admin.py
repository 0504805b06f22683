"""Back-office of the treasury flows: read only. Flows, their sending and what the treasury
answers change only through the services (pages, API, commands), which journal every change."""

from django.contrib import admin

from deliberations.admin import ReadOnlyAdmin

from .models import (
    Bordereau,
    PesAcquit,
    PesFlow,
    PesRetour,
    PesSettings,
    PesTransmission,
    PesVerificationReport,
    PlannedMandate,
)


@admin.register(PesFlow)
class PesFlowAdmin(ReadOnlyAdmin):
    list_display = ("name", "collectivite", "source", "status", "bordereau_count", "created_at")
    list_filter = ("status", "source", "collectivite")
    search_fields = ("name", "file_name", "id_coll")


@admin.register(Bordereau)
class BordereauAdmin(ReadOnlyAdmin):
    list_display = ("flow", "kind", "exercice", "id_bord", "piece_count", "total_ht", "status")
    list_filter = ("kind", "status")


@admin.register(PesTransmission)
class PesTransmissionAdmin(ReadOnlyAdmin):
    list_display = ("flow", "connector", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "connector")


for model in (PesAcquit, PesRetour, PesVerificationReport, PesSettings, PlannedMandate):
    admin.site.register(model, ReadOnlyAdmin)
