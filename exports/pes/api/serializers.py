"""API representations (read) and inputs (write) of treasury flows."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api_fields import ScopedRelatedField
from deliberations.models import Act, Collectivite, User
from workflow.models import Circuit

from ..models import (
    Bordereau,
    PesAcquit,
    PesAttachment,
    PesFlow,
    PesImport,
    PesRetour,
    PesTransmission,
    PesVerificationReport,
    Piece,
    PlannedMandate,
)


class PesIssueSerializer(serializers.Serializer):
    code = serializers.CharField()
    severity = serializers.CharField()
    line = serializers.IntegerField(allow_null=True)
    path = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class PesBordereauSerializer(serializers.ModelSerializer):
    class Meta:
        model = Bordereau
        fields = [
            "id",
            "flow",
            "position",
            "kind",
            "element_id",
            "exercice",
            "id_bord",
            "date_emission",
            "typ_bord",
            "piece_count",
            "mt_cumul_annuel",
            "total_ht",
            "total_tva",
            "status",
            "signed",
            "signer_name",
            "certificate_serial",
            "certificate_issuer",
            "signing_time",
            "claimed_role",
            "signature_policy",
            "ack_accepted",
            "ack_errors",
            "acknowledged_at",
        ]


class PesAttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = PesAttachment
        fields = ["id", "id_unique", "nom_pj", "type_pj", "description", "mime_type"]


class PesTransmissionSerializer(serializers.ModelSerializer):
    class Meta:
        model = PesTransmission
        fields = [
            "id",
            "flow",
            "connector",
            "status",
            "attempts",
            "external_id",
            "target",
            "last_error",
            "created_at",
            "sent_at",
        ]


class PesFlowSerializer(serializers.ModelSerializer):
    bordereaux = PesBordereauSerializer(many=True, read_only=True)
    attachments = PesAttachmentSerializer(many=True, read_only=True)
    warnings = PesIssueSerializer(many=True, read_only=True)
    created_by_name = serializers.SerializerMethodField()

    class Meta:
        model = PesFlow
        fields = [
            "id",
            "collectivite",
            "source",
            "act",
            "name",
            "status",
            "original_sha256",
            "current_sha256",
            "size",
            "schema_version",
            "encoding",
            "file_type",
            "file_name",
            "emitter",
            "dte_str",
            "id_post",
            "libelle_poste",
            "id_coll",
            "cod_col",
            "cod_bud",
            "libelle_col_bud",
            "dematerialised",
            "bordereau_count",
            "piece_count",
            "attachment_count",
            "total_ht",
            "total_tva",
            "warnings",
            "created_by",
            "created_by_name",
            "created_at",
            "signed_at",
            "sent_at",
            "bordereaux",
            "attachments",
        ]

    def get_created_by_name(self, flow: PesFlow) -> str:
        return flow.created_by.display_name


class PesFlowListSerializer(serializers.ModelSerializer):
    class Meta:
        model = PesFlow
        fields = [
            "id",
            "collectivite",
            "source",
            "act",
            "name",
            "file_name",
            "status",
            "cod_col",
            "cod_bud",
            "bordereau_count",
            "piece_count",
            "total_ht",
            "total_tva",
            "created_at",
            "signed_at",
            "sent_at",
        ]


class PesPieceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Piece
        fields = [
            "id",
            "position",
            "id_pce",
            "typ_pce",
            "nat_pce",
            "objet",
            "cod_serv",
            "date_echeance",
            "tiers_name",
            "tiers_id",
            "nature",
            "fonction",
            "operation",
            "total_ht",
            "total_tva",
            "line_count",
            "lines",
            "pj_refs",
        ]


class PesAcquitSerializer(serializers.ModelSerializer):
    class Meta:
        model = PesAcquit
        fields = [
            "id",
            "collectivite",
            "flow",
            "name",
            "sha256",
            "accepted",
            "elements",
            "schema_issues",
            "source",
            "imported_at",
        ]


class ImportProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField(help_text="Bytes of the file read so far.")
    total = serializers.IntegerField(help_text="Size of the file in bytes.")
    percent = serializers.IntegerField()


class PesImportSerializer(serializers.ModelSerializer):
    issues = PesIssueSerializer(many=True, read_only=True)
    progress = serializers.SerializerMethodField(
        help_text=(
            "How far the worker got (poll while queued or running); null when refused, or "
            "while running if the server's cache is not shared with its workers."
        )
    )

    class Meta:
        model = PesImport
        fields = [
            "id",
            "collectivite",
            "name",
            "sha256",
            "size",
            "status",
            "progress",
            "flow",
            "error",
            "issues",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ImportProgressSerializer(allow_null=True))
    def get_progress(self, job: PesImport) -> dict[str, int] | None:
        from ..services import import_progress

        figure = import_progress(job)
        if figure is None:
            return None
        return {"done": figure.done, "total": figure.total, "percent": figure.percent}


class PesRetourSerializer(serializers.ModelSerializer):
    class Meta:
        model = PesRetour
        fields = ["id", "collectivite", "flow", "name", "sha256", "bordereaux", "imported_at"]


class PesVerificationReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = PesVerificationReport
        fields = [
            "id",
            "flow",
            "file_sha256",
            "valid",
            "chain_checked",
            "bordereaux",
            "requested_by",
            "created_at",
        ]


class PlannedMandateSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlannedMandate
        fields = [
            "id",
            "position",
            "beneficiary",
            "siret",
            "iban",
            "bic",
            "amount",
            "nature",
            "fonction",
            "objet",
            "address",
            "postal_code",
            "city",
        ]


# --- inputs -----------------------------------------------------------------------------------


class PesImportInputSerializer(serializers.Serializer):
    collectivite = ScopedRelatedField(queryset=Collectivite.objects.all(), scope="id")
    file = serializers.FileField(help_text="The PES_Aller XML file.")


class PesBuildInputSerializer(serializers.Serializer):
    act = ScopedRelatedField(
        queryset=Act.objects.all(), help_text="An adopted deliberation with its mandats to issue."
    )
    issued_on = serializers.DateField(required=False, allow_null=True)


class PesStartInputSerializer(serializers.Serializer):
    circuit = ScopedRelatedField(
        queryset=Circuit.objects.all(),
        required=False,
        allow_null=True,
        help_text="A PES circuit of the collectivité; the default one when omitted.",
    )


def _behalf() -> serializers.PrimaryKeyRelatedField:
    return ScopedRelatedField(
        queryset=User.objects.all(),
        scope="memberships__collectivite_id",
        required=False,
        allow_null=True,
        help_text="The delegator you act for, when you hold several delegations.",
    )


class PesVisaInputSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    on_behalf_of = _behalf()


class PesRejectInputSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)
    on_behalf_of = _behalf()


class PesReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class PesSignInputSerializer(serializers.Serializer):
    certificate = serializers.FileField(
        required=False,
        help_text="The signer's PKCS#12 (.p12/.pfx); used for this signature only, not kept.",
    )
    password = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        write_only=True,
        help_text="The PKCS#12 password; never stored.",
    )
    use_token = serializers.BooleanField(
        required=False, default=False, help_text="Sign with the server's PKCS#11 token."
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    on_behalf_of = _behalf()

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if not data.get("use_token") and not data.get("certificate"):
            raise serializers.ValidationError(
                {"certificate": "Give the PKCS#12 file, or use_token."}
            )
        return data


class PesUploadInputSerializer(serializers.Serializer):
    file = serializers.FileField()


class PesReturnInputSerializer(serializers.Serializer):
    collectivite = ScopedRelatedField(queryset=Collectivite.objects.all(), scope="id")
    file = serializers.FileField()
    flow = serializers.IntegerField(
        required=False, allow_null=True, help_text="The flow it answers; found otherwise."
    )
