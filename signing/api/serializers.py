"""Serializers of the signing API (input parsing and output shape only)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from deliberations.models import User

from ..enums import BatchItemStatus, BatchStatus, Level, RevocationMode, SealBackend, SignatureKind
from ..models import (
    Signature,
    SigningBatch,
    SigningBatchItem,
    SigningSettings,
    TrustedRoot,
    UserCertificate,
    ValidationReport,
)
from ..services.configuration import SETTINGS_FIELDS


@extend_schema_field(OpenApiTypes.STR)
class PlainChoiceField(serializers.ChoiceField):
    """A choice published as a plain string listing its values (``kind``, ``status`` and
    ``level`` exist in several apps: no enum component, no name collision)."""

    def __init__(self, **kwargs: Any):
        values = ", ".join(str(value) for value, _label in kwargs["choices"])
        kwargs["help_text"] = f"{kwargs.get('help_text', '')} One of: {values}.".strip()
        super().__init__(**kwargs)


@extend_schema_field(OpenApiTypes.INT)
class MyCertificateField(serializers.PrimaryKeyRelatedField):
    """One of the requester's own certificates (someone else's is answered as unknown)."""

    def get_queryset(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return UserCertificate.objects.none()
        return UserCertificate.objects.filter(user=user)


@extend_schema_field(OpenApiTypes.INT)
class UserIdField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return User.objects.all()


# --- Certificates -------------------------------------------------------------------------------


class CertificateSerializer(serializers.ModelSerializer):
    class Meta:
        model = UserCertificate
        fields = [
            "id",
            "label",
            "common_name",
            "subject",
            "issuer",
            "serial",
            "fingerprint",
            "not_before",
            "not_after",
            "created_at",
        ]
        read_only_fields = fields


class CertificateUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The PKCS#12 file (.p12 or .pfx), with its key.")
    password = serializers.CharField(
        trim_whitespace=False,
        write_only=True,
        help_text="Opens the file once to read the certificate; never stored.",
    )
    label = serializers.CharField(  # type: ignore[assignment]  # a field, not Field.label
        required=False, allow_blank=True, default="", max_length=120
    )


# --- Signatures ---------------------------------------------------------------------------------


class ValidationReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = ValidationReport
        fields = [
            "id",
            "sha256",
            "all_valid",
            "ades_indications",
            "allow_fetching",
            "validated_at",
            "report_sha256",
            "report",
        ]
        read_only_fields = fields


class SignatureSerializer(serializers.ModelSerializer):
    kind = PlainChoiceField(choices=SignatureKind.choices, read_only=True)
    level = PlainChoiceField(choices=Level.choices, read_only=True)
    signer_username = serializers.SerializerMethodField()
    on_behalf_of_username = serializers.SerializerMethodField()
    all_valid = serializers.SerializerMethodField()
    file_url = serializers.SerializerMethodField()

    class Meta:
        model = Signature
        fields = [
            "id",
            "document",
            "act",
            "seance",
            "step_run",
            "decision",
            "sequence",
            "kind",
            "level",
            "field_name",
            "signer",
            "signer_username",
            "on_behalf_of",
            "on_behalf_of_username",
            "signer_name",
            "quality",
            "mention",
            "signed_at",
            "certificate_subject",
            "certificate_issuer",
            "certificate_serial",
            "input_sha256",
            "output_sha256",
            "size",
            "all_valid",
            "file_url",
        ]
        read_only_fields = fields

    def get_signer_username(self, obj: Signature) -> str | None:
        return obj.signer.username if obj.signer is not None else None

    def get_on_behalf_of_username(self, obj: Signature) -> str | None:
        return obj.on_behalf_of.username if obj.on_behalf_of is not None else None

    def get_all_valid(self, obj: Signature) -> bool | None:
        reports = sorted(obj.validation_reports.all(), key=lambda r: (r.validated_at, r.pk))
        return reports[-1].all_valid if reports else None

    def get_file_url(self, obj: Signature) -> str:
        return reverse("signing-api:signature-file", args=[obj.pk])


class SignStepSerializer(serializers.Serializer):
    certificate = MyCertificateField(
        required=False, allow_null=True, help_text="Your certificate (signature steps)."
    )
    password = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        write_only=True,
        help_text="The password of your certificate; used once, never stored.",
    )
    use_seal = serializers.BooleanField(
        required=False, default=False, help_text="Seal steps: sign with the server seal."
    )
    on_behalf_of = UserIdField(
        required=False,
        allow_null=True,
        help_text="The delegator you sign for, when you hold several delegations.",
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class SignDocumentSerializer(serializers.Serializer):
    certificate = MyCertificateField()
    password = serializers.CharField(trim_whitespace=False, write_only=True)
    field_name = serializers.CharField(  # type: ignore[assignment]  # a field, not Field.field_name
        required=False,
        allow_blank=True,
        default="",
        help_text="Sig_President or Sig_Secretaire when you hold both roles.",
    )


# --- Batches ------------------------------------------------------------------------------------


class BatchItemSerializer(serializers.ModelSerializer):
    status = PlainChoiceField(choices=BatchItemStatus.choices, read_only=True)
    act = serializers.IntegerField(source="step_run.run.act_id", read_only=True)

    class Meta:
        model = SigningBatchItem
        fields = [
            "position",
            "step_run",
            "act",
            "status",
            "error",
            "error_code",
            "signature",
            "processed_at",
        ]
        read_only_fields = fields


class BatchSerializer(serializers.ModelSerializer):
    status = PlainChoiceField(choices=BatchStatus.choices, read_only=True)
    items = BatchItemSerializer(many=True, read_only=True)
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = SigningBatch
        fields = [
            "id",
            "collectivite",
            "status",
            "total",
            "signed_count",
            "failed_count",
            "percent",
            "created_at",
            "started_at",
            "finished_at",
            "items",
        ]
        read_only_fields = fields


class BatchInputSerializer(serializers.Serializer):
    collectivite = serializers.IntegerField(help_text="The collectivité of the folders.")
    step_runs = serializers.ListField(
        child=serializers.IntegerField(), allow_empty=False, max_length=200
    )
    certificate = MyCertificateField()
    password = serializers.CharField(trim_whitespace=False, write_only=True)


class CandidateSerializer(serializers.Serializer):
    step_run = serializers.IntegerField(source="step.pk")
    step_label = serializers.CharField(source="step.label")
    act = serializers.IntegerField(source="act.pk")
    act_number = serializers.CharField(source="act.number")
    act_objet = serializers.CharField(source="act.objet")
    on_behalf_of = serializers.IntegerField(source="on_behalf_of.pk", allow_null=True)
    deadline = serializers.DateField(allow_null=True)


# --- Keys and trust -----------------------------------------------------------------------------


class TrustedRootSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrustedRoot
        fields = [
            "id",
            "collectivite",
            "label",
            "subject",
            "fingerprint",
            "not_after",
            "is_active",
            "pem",
            "created_at",
        ]
        read_only_fields = fields


class TrustedRootInputSerializer(serializers.Serializer):
    collectivite = serializers.IntegerField(
        required=False, allow_null=True, help_text="Empty: every collectivité (platform staff)."
    )
    pem = serializers.CharField(help_text="The authority's certificate, PEM.")
    label = serializers.CharField(  # type: ignore[assignment]  # a field, not Field.label
        required=False, allow_blank=True, default="", max_length=200
    )


class SigningSettingsSerializer(serializers.ModelSerializer):
    default_level = PlainChoiceField(
        choices=[("", "automatic"), *Level.choices], required=False, allow_blank=True
    )
    revocation = PlainChoiceField(choices=RevocationMode.choices, required=False)
    seal_backend = PlainChoiceField(choices=SealBackend.choices, required=False)
    effective_level = serializers.CharField(read_only=True)

    class Meta:
        model = SigningSettings
        fields = ["collectivite", *SETTINGS_FIELDS, "effective_level", "updated_at"]
        read_only_fields = ["collectivite", "effective_level", "updated_at"]


class SealCheckSerializer(serializers.Serializer):
    usable = serializers.BooleanField()
    problem = serializers.CharField()  # type: ignore[assignment]
    certificate = serializers.DictField()


class StepPolicySerializer(serializers.Serializer):
    level = PlainChoiceField(
        choices=[("", "default"), *Level.choices], required=False, allow_blank=True, default=""
    )
    field_name = serializers.CharField(  # type: ignore[assignment]  # not Field.field_name
        required=False, allow_blank=True, default="", max_length=64
    )


# --- Verification -------------------------------------------------------------------------------


class VerifyUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A signed PDF (or a PES XML flow).")


class VerificationSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="pdf or pes")
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    valid = serializers.BooleanField()
    signed_by_this_instance = serializers.BooleanField()
    match = serializers.DictField(allow_null=True)
    report = serializers.DictField(help_text="Per signature (PDF) or per bordereau (PES).")


class ActVerificationSerializer(serializers.Serializer):
    act_number = serializers.CharField()
    act_objet = serializers.CharField()
    collectivite = serializers.CharField()
    signed = serializers.BooleanField()
    version = serializers.IntegerField(allow_null=True)
    sha256 = serializers.CharField(allow_null=True)
    signed_at = serializers.DateTimeField(allow_null=True)
    all_valid = serializers.BooleanField(allow_null=True)
    report = serializers.DictField(allow_null=True)
