"""Serializers of the documents API (input parsing and output shape only)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api_fields import ScopedRelatedField
from deliberations.models import Act, Mandate, Seance

from ..enums import AnnexMode, DocumentKind, DocumentStatus
from ..models import RenderedDocument
from ..selectors import pack_progress


@extend_schema_field(OpenApiTypes.STR)
class PlainChoiceField(serializers.ChoiceField):
    """A choice published as a plain string whose values the description lists.

    ``kind`` and ``status`` are common field names across the apps: documenting them as
    strings keeps the schema's enum components free of name collisions.
    """

    def __init__(self, **kwargs: Any):
        choices = kwargs["choices"]
        values = ", ".join(str(value) for value, _label in choices)
        kwargs["help_text"] = f"{kwargs.get('help_text', '')} One of: {values}.".strip()
        super().__init__(**kwargs)


class SignatureFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label
    page = serializers.IntegerField(required=False, help_text="0-based page index (once rendered).")
    box = serializers.ListField(
        child=serializers.FloatField(),
        required=False,
        help_text="[x1, y1, x2, y2] in PDF points from the bottom-left corner.",
    )


class ProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField(read_only=True)
    total = serializers.IntegerField(read_only=True)
    percent = serializers.IntegerField(read_only=True)


class DocumentSerializer(serializers.ModelSerializer):
    kind = PlainChoiceField(choices=DocumentKind.choices, read_only=True)
    status = PlainChoiceField(
        choices=DocumentStatus.choices,
        read_only=True,
        help_text="pending until the background render ends.",
    )
    signature_fields = SignatureFieldSerializer(many=True, read_only=True)
    is_frozen = serializers.BooleanField(read_only=True)
    download_url = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField(
        help_text="Séance pack: its parts rendered so far (poll while pending); null otherwise."
    )

    class Meta:
        model = RenderedDocument
        fields = [
            "id",
            "kind",
            "version",
            "status",
            "error",
            "act",
            "seance",
            "recipient",
            "is_current",
            "supersedes",
            "is_frozen",
            "frozen_at",
            "template_name",
            "template_sha256",
            "snapshot_sha256",
            "content_sha256",
            "page_count",
            "signature_fields",
            "created_at",
            "rendered_at",
            "download_url",
            "progress",
        ]
        read_only_fields = fields

    @extend_schema_field(ProgressSerializer(allow_null=True))
    def get_progress(self, document: RenderedDocument) -> dict[str, int] | None:
        progress = pack_progress(document)
        if progress is None:
            return None
        return {"done": progress.done, "total": progress.total, "percent": progress.percent}

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, document: RenderedDocument) -> str | None:
        if document.status != DocumentStatus.READY:
            return None
        path = reverse("exports-api:document-file", args=[document.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class DocumentRequestSerializer(serializers.Serializer):
    kind = PlainChoiceField(choices=DocumentKind.choices)
    act = ScopedRelatedField(queryset=Act.objects.all(), required=False, allow_null=True)
    seance = ScopedRelatedField(queryset=Seance.objects.all(), required=False, allow_null=True)
    recipient = ScopedRelatedField(
        queryset=Mandate.objects.all(),
        scope="assembly__collectivite_id",
        required=False,
        allow_null=True,
        help_text="Convocations: one member (mandate id); leave empty for every member.",
    )
    annex_mode = PlainChoiceField(choices=AnnexMode.choices, default=AnnexMode.APPENDED)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("act")) == bool(attrs.get("seance")):
            raise serializers.ValidationError(_("Give either an act or a séance."))
        return attrs


class RerenderCheckSerializer(serializers.Serializer):
    identical = serializers.BooleanField()
    stored_sha256 = serializers.CharField()
    rerendered_sha256 = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
