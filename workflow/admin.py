from django.contrib import admin

from deliberations.admin import ReadOnlyAdmin

from .models import AuditEvent, JournalAnchor, JournalChain


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "action",
        "object_type",
        "object_id",
        "actor_name",
        "chain",
        "seq",
    )
    list_filter = ("action", "object_type")
    search_fields = ("action", "object_id", "actor_name")


admin.site.register(JournalChain, ReadOnlyAdmin)
admin.site.register(JournalAnchor, ReadOnlyAdmin)
