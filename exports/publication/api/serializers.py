"""Serializers of the publication API (input parsing and output shape only)."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from core.api_fields import ScopedRelatedField
from deliberations.models import Act, Seance
from exports.actes.api.serializers import CodeField

from ..enums import SeanceDocument
from ..models import Publication, SeancePublication


class PublicationSerializer(serializers.ModelSerializer):
    page_url = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()
    is_online = serializers.BooleanField(read_only=True)

    class Meta:
        model = Publication
        fields = [
            "id",
            "act",
            "identifier",
            "published_at",
            "published_by",
            "author_name",
            "author_quality",
            "file_sha256",
            "file_size",
            "pdf_source",
            "is_online",
            "unpublished_at",
            "unpublish_reason",
            "page_url",
            "pdf_url",
        ]
        read_only_fields = fields

    def _portal_kwargs(self, obj: Publication) -> dict[str, str]:
        return {"slug": obj.collectivite.slug, "identifier": obj.identifier}

    def get_page_url(self, obj: Publication) -> str:
        return reverse("publication:act", kwargs=self._portal_kwargs(obj))

    def get_pdf_url(self, obj: Publication) -> str:
        return reverse("publication:act-pdf", kwargs=self._portal_kwargs(obj))


class PublishActSerializer(serializers.Serializer):
    act = ScopedRelatedField(queryset=Act.objects.all())


class UnpublishSerializer(serializers.Serializer):
    reason = serializers.CharField()


class SeancePublicationSerializer(serializers.ModelSerializer):
    kind = CodeField(choices=SeanceDocument.choices, read_only=True)
    is_online = serializers.BooleanField(read_only=True)

    class Meta:
        model = SeancePublication
        fields = [
            "id",
            "seance",
            "kind",
            "published_at",
            "published_by",
            "file_sha256",
            "file_size",
            "is_online",
            "unpublished_at",
            "unpublish_reason",
        ]
        read_only_fields = fields


class PublishSeanceDocumentSerializer(serializers.Serializer):
    seance = ScopedRelatedField(queryset=Seance.objects.all())
    kind = CodeField(choices=SeanceDocument.choices)


class OpenDataQuerySerializer(serializers.Serializer):
    collectivite = serializers.IntegerField()
    year = serializers.IntegerField(required=False, min_value=1900, max_value=2999)
    format = CodeField(choices=[("csv", "CSV"), ("json", "JSON")], required=False, default="csv")
