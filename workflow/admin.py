from django.contrib import admin

from deliberations.admin import ReadOnlyAdmin

from .models import (
    AssigneeGroup,
    AuditEvent,
    Circuit,
    CircuitRun,
    Decision,
    Delegation,
    JournalAnchor,
    JournalChain,
    Notification,
    OpinionRequest,
    StepRun,
)


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


# Circuits, runs and delegations change only through the application (services and journal):
# the back-office reads them.
@admin.register(Circuit)
class CircuitAdmin(ReadOnlyAdmin):
    list_display = ("name", "collectivite", "phase", "is_default", "is_active")
    list_filter = ("phase", "is_active")


@admin.register(CircuitRun)
class CircuitRunAdmin(ReadOnlyAdmin):
    list_display = ("act", "flow", "circuit_name", "phase", "status", "started_by", "started_at")
    list_filter = ("status", "phase")


@admin.register(Delegation)
class DelegationAdmin(ReadOnlyAdmin):
    list_display = ("delegator", "delegate", "starts_on", "ends_on", "revoked_at")


admin.site.register(AssigneeGroup, ReadOnlyAdmin)
admin.site.register(StepRun, ReadOnlyAdmin)
admin.site.register(Decision, ReadOnlyAdmin)
admin.site.register(OpinionRequest, ReadOnlyAdmin)
admin.site.register(Notification, ReadOnlyAdmin)
