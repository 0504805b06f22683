"""Serializers of the prefecture exchanges API (input parsing and output shape only)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api_fields import ScopedRelatedField
from deliberations.models import Act

from .. import reader
from ..enums import (
    PrefectureMessageKind,
    PrefectureMessageStatus,
    TdtConnector,
    TransmissionKind,
    TransmissionStatus,
)
from ..exceptions import ActesError
from ..models import PrefectureMessage, Transmission


@extend_schema_field(OpenApiTypes.STR)
class CodeField(serializers.ChoiceField):
    """A choice published as a plain string listing its values (common names such as
    ``status`` and ``kind`` then never collide between the apps' enum components)."""

    def __init__(self, **kwargs: Any):
        values = ", ".join(str(value) for value, _label in kwargs["choices"])
        kwargs["help_text"] = f"{kwargs.get('help_text', '')} One of: {values}.".strip()
        super().__init__(**kwargs)


class TransmissionSerializer(serializers.ModelSerializer):
    kind = CodeField(choices=TransmissionKind.choices, read_only=True)
    status = CodeField(choices=TransmissionStatus.choices, read_only=True)
    connector = CodeField(choices=TdtConnector.choices, read_only=True)
    archive_url = serializers.SerializerMethodField()

    class Meta:
        model = Transmission
        fields = [
            "id",
            "act",
            "kind",
            "status",
            "connector",
            "envelope_name",
            "message_name",
            "archive_name",
            "archive_sha256",
            "archive_size",
            "documents",
            "objet",
            "classification_date",
            "previous_id_acte",
            "external_id",
            "outcome_unknown",
            "attempts",
            "last_error",
            "id_acte",
            "ack_date",
            "anomaly",
            "reply_to",
            "cancels",
            "created_at",
            "queued_at",
            "sent_at",
            "acknowledged_at",
            "archive_url",
        ]
        read_only_fields = fields

    def get_archive_url(self, obj: Transmission) -> str:
        return reverse("actes-api:transmission-archive", args=[obj.pk])


class TransmissionPrepareSerializer(serializers.Serializer):
    act = ScopedRelatedField(queryset=Act.objects.all())


class TransmissionCancelSerializer(serializers.Serializer):
    reason = serializers.CharField()


class TransmissionDiscardSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class TransmissionReconcileSerializer(serializers.Serializer):
    received = serializers.BooleanField(help_text="True when the TdT has the act.")
    external_id = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="S2LOW's transaction number."
    )


class PrefectureMessageSerializer(serializers.ModelSerializer):
    kind = CodeField(choices=PrefectureMessageKind.choices, read_only=True)
    status = CodeField(choices=PrefectureMessageStatus.choices, read_only=True)
    answers: Any = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    file_url = serializers.SerializerMethodField()

    class Meta:
        model = PrefectureMessage
        fields = [
            "id",
            "act",
            "transmission",
            "kind",
            "status",
            "id_acte",
            "message_date",
            "received_at",
            "source",
            "deadline",
            "data",
            "file_name",
            "file_sha256",
            "answered_by",
            "answered_at",
            "answers",
            "file_url",
        ]
        read_only_fields = fields

    def get_file_url(self, obj: PrefectureMessage) -> str:
        return reverse("actes-api:message-file", args=[obj.pk])


class PrefectureImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A tar.gz package or an XML message (150 MB at most).")
    collectivite = serializers.IntegerField(
        required=False, help_text="Defaults to the user's only collectivité."
    )

    def validate_file(self, upload: Any) -> Any:
        # Refused on its size before anything reads it into memory.
        try:
            reader.check_size(upload.size)
        except ActesError as exc:
            raise serializers.ValidationError(str(exc.message), code="too_large") from exc
        return upload


class PollRequestSerializer(serializers.Serializer):
    collectivite = serializers.IntegerField(
        required=False, help_text="Defaults to the user's only collectivité."
    )


class PollReportSerializer(serializers.Serializer):
    sent = serializers.IntegerField(help_text="Waiting transmissions sent now.")
    checked = serializers.IntegerField(help_text="Transmission statuses read from the TdT.")
    imported = serializers.IntegerField(help_text="Prefecture messages imported.")
    errors = serializers.ListField(child=serializers.CharField())


class PrefectureAnswerSerializer(serializers.Serializer):
    kind = CodeField(choices=TransmissionKind.choices)
    documents = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, help_text="PDF files."
    )


class PrefectureCloseSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
