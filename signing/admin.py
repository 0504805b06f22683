"""Staff back-office: read-only views of the signing tables (changes go through the pages, the
API and the services, which check rights and write the journal)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from .models import (
    Signature,
    SigningBatch,
    SigningSettings,
    TrustedRoot,
    UserCertificate,
    ValidationReport,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(TrustedRoot)
class TrustedRootAdmin(ReadOnlyAdmin):
    list_display = ["label", "collectivite", "not_after", "is_active", "fingerprint"]
    list_filter = ["is_active"]


@admin.register(SigningSettings)
class SigningSettingsAdmin(ReadOnlyAdmin):
    list_display = ["collectivite", "tsa_url", "default_level", "seal_backend", "updated_at"]


@admin.register(UserCertificate)
class UserCertificateAdmin(ReadOnlyAdmin):
    list_display = ["common_name", "user", "issuer", "not_after"]
    exclude = ["file"]


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    list_display = ["document", "sequence", "kind", "level", "field_name", "signer", "signed_at"]
    list_filter = ["kind", "level"]


@admin.register(ValidationReport)
class ValidationReportAdmin(ReadOnlyAdmin):
    list_display = ["signature", "all_valid", "validated_at"]


@admin.register(SigningBatch)
class SigningBatchAdmin(ReadOnlyAdmin):
    list_display = ["pk", "created_by", "status", "total", "signed_count", "failed_count"]
