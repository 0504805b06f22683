"""Serializers of the history import API."""

from __future__ import annotations

from rest_framework import serializers

from deliberations.models import Collectivite

from ..models import ImportBatch, ImportedAct


class ImportInputSerializer(serializers.Serializer):
    collectivite = serializers.PrimaryKeyRelatedField(queryset=Collectivite.objects.none())
    manifest = serializers.FileField(
        help_text="The manifest, CSV or JSON (docs/guide/migration.md)."
    )
    files = serializers.FileField(
        required=False, help_text="A zip of the PDFs, annexes and ARActe files the manifest names."
    )
    officials = serializers.FileField(required=False, help_text="The elected officials' CSV.")
    classification = serializers.FileField(
        required=False, help_text="The prefecture's classification (RetourClassification)."
    )
    dry_run = serializers.BooleanField(
        default=False, help_text="Only check: report every problem and write nothing."
    )

    def __init__(self, *args, visible_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collectivite"].queryset = Collectivite.objects.filter(pk__in=visible_ids)


class ProblemSerializer(serializers.Serializer):
    source = serializers.CharField()
    line = serializers.IntegerField(allow_null=True)
    field = serializers.CharField()
    code = serializers.CharField()
    severity = serializers.CharField()
    message = serializers.CharField()


class ReportSerializer(serializers.Serializer):
    """The report of the checks (and of the import, with its batch)."""

    manifest = serializers.CharField()
    manifest_sha256 = serializers.CharField()
    dry_run = serializers.BooleanField()
    ok = serializers.BooleanField()
    errors = serializers.IntegerField()
    warnings = serializers.IntegerField()
    problems = ProblemSerializer(many=True)
    counts = serializers.DictField()
    counters = serializers.ListField(child=serializers.DictField())
    acts = serializers.ListField(child=serializers.DictField())
    batch = serializers.IntegerField(allow_null=True)
    seconds = serializers.FloatField()


class RefusalSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    report = ReportSerializer()


class ImportBatchSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "collectivite",
            "source_name",
            "manifest_sha256",
            "created_by",
            "created_at",
            "counts",
            "report",
        ]
        read_only_fields = fields


class ImportedActSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportedAct
        fields = [
            "id",
            "batch",
            "collectivite",
            "act",
            "number",
            "line",
            "row_sha256",
            "pdf_name",
            "pdf_sha256",
            "pdf_size",
            "page_count",
            "signature_status",
            "signature_count",
            "signature_report",
            "transmitted_on",
            "id_acte",
            "ack_date",
            "published_on",
            "imported_at",
        ]
        read_only_fields = fields
