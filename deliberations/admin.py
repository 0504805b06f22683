"""Django admin: a back-office for platform staff. It reads everything and changes state only
through the services (creating or editing a collectivité); every other change goes through the
application, where the journal records it."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from . import models, services
from .services.organisation import COLLECTIVITE_FIELDS


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "email", "is_staff", "is_active")


@admin.register(models.Collectivite)
class CollectiviteAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "siren", "departement", "population", "is_training")
    search_fields = ("name", "siren")
    readonly_fields = ("created_at",)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in COLLECTIVITE_FIELDS
        }
        if change:
            services.update_collectivite(
                collectivite=models.Collectivite.objects.get(pk=obj.pk), actor=request.user, **data
            )
        else:
            created = services.create_collectivite(
                actor=request.user,
                name=obj.name,
                slug=obj.slug,
                kind=obj.kind,
                siren=obj.siren,
                departement=obj.departement,
                population=obj.population,
                is_training=obj.is_training,
                **{
                    k: v
                    for k, v in data.items()
                    if k not in {"name", "kind", "siren", "departement", "population"}
                },
            )
            obj.pk = created.pk


@admin.register(models.Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ("user", "collectivite", "role")
    list_filter = ("role", "collectivite")


@admin.register(models.Act)
class ActAdmin(ReadOnlyAdmin):
    list_display = ("number", "objet", "act_type", "status", "collectivite", "decision_date")
    list_filter = ("status", "act_type", "collectivite")
    search_fields = ("number", "objet")


@admin.register(models.Seance)
class SeanceAdmin(ReadOnlyAdmin):
    list_display = ("assembly", "date", "status", "collectivite")
    list_filter = ("status", "collectivite")


for model in (
    models.Assembly,
    models.ElectedOfficial,
    models.Mandate,
    models.Service,
    models.NumberingScheme,
    models.ClassificationVersion,
    models.Annex,
    models.AgendaItem,
    models.Vote,
):
    admin.site.register(model, ReadOnlyAdmin)
