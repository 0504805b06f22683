"""API representations (read) and inputs (write) of the deliberations app."""

from __future__ import annotations

from rest_framework import serializers

from core.api_fields import ScopedRelatedField

from ..enums import AttendanceStatus, BallotChoice, Role, VoteMode, VoteResult
from ..models import (
    Act,
    AgendaItem,
    Annex,
    Assembly,
    Ballot,
    ClassificationVersion,
    Collectivite,
    ElectedOfficial,
    ItemAttendance,
    Mandate,
    Matiere,
    NumberingScheme,
    RollCall,
    Seance,
    Service,
    User,
    Vote,
)
from ..services.organisation import COLLECTIVITE_FIELDS


class CollectiviteSerializer(serializers.ModelSerializer):
    convocation_clear_days = serializers.IntegerField(read_only=True)

    class Meta:
        model = Collectivite
        fields = ["id", "slug", "is_training", "convocation_clear_days", *COLLECTIVITE_FIELDS]
        read_only_fields = ["id", "slug", "is_training", "logo"]


class CollectiviteUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Collectivite
        fields = [f for f in COLLECTIVITE_FIELDS if f != "logo"]
        extra_kwargs = {f: {"required": False, "validators": []} for f in fields}


class RoleGrantSerializer(serializers.Serializer):
    user = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.all())
    role = serializers.ChoiceField(choices=Role.choices)


class ServiceSerializer(serializers.ModelSerializer):
    collectivite = ScopedRelatedField(queryset=Collectivite.objects.all(), scope="id")

    class Meta:
        model = Service
        fields = ["id", "collectivite", "name", "code"]


class AssemblySerializer(serializers.ModelSerializer):
    collectivite = ScopedRelatedField(queryset=Collectivite.objects.all(), scope="id")

    class Meta:
        model = Assembly
        fields = ["id", "collectivite", "name", "kind", "quorum_required"]


class ElectedOfficialSerializer(serializers.ModelSerializer):
    collectivite = ScopedRelatedField(queryset=Collectivite.objects.all(), scope="id")
    user = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = ElectedOfficial
        fields = ["id", "collectivite", "civility", "first_name", "last_name", "email", "user"]


class MandateSerializer(serializers.ModelSerializer):
    official = ScopedRelatedField(queryset=ElectedOfficial.objects.all())
    assembly = ScopedRelatedField(queryset=Assembly.objects.all())
    official_name = serializers.CharField(source="official.full_name", read_only=True)

    class Meta:
        model = Mandate
        fields = [
            "id",
            "official",
            "official_name",
            "assembly",
            "role",
            "quality",
            "political_group",
            "start_date",
            "end_date",
            "rank",
        ]
        read_only_fields = ["end_date"]


class EndMandateSerializer(serializers.Serializer):
    end_date = serializers.DateField()


class MatiereSerializer(serializers.ModelSerializer):
    class Meta:
        model = Matiere
        fields = ["id", "code", "label", "level", "parent"]


class ClassificationVersionSerializer(serializers.ModelSerializer):
    matieres = serializers.IntegerField(source="matieres.count", read_only=True)

    class Meta:
        model = ClassificationVersion
        fields = [
            "id",
            "collectivite",
            "version_date",
            "is_current",
            "source_name",
            "imported_at",
            "matieres",
        ]


class ClassificationImportSerializer(serializers.Serializer):
    collectivite = ScopedRelatedField(queryset=Collectivite.objects.all(), scope="id")
    file = serializers.FileField()


class NumberingSchemeSerializer(serializers.ModelSerializer):
    collectivite = ScopedRelatedField(queryset=Collectivite.objects.all(), scope="id")

    class Meta:
        model = NumberingScheme
        fields = ["id", "collectivite", "act_type", "pattern", "counter_name", "yearly_reset"]
        validators: list = []


class AnnexSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Annex
        fields = [
            "id",
            "title",
            "original_name",
            "sha256",
            "size",
            "page_count",
            "position",
            "transmitted",
            "piece_type",
            "uploaded_at",
            "download_url",
        ]

    def get_download_url(self, annex: Annex) -> str:
        return f"/api/annexes/{annex.pk}/file/"


class AnnexUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    title = serializers.CharField(max_length=255, required=False, allow_blank=True)
    transmitted = serializers.BooleanField(default=True)
    piece_type = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")


class ActSerializer(serializers.ModelSerializer):
    collectivite = ScopedRelatedField(queryset=Collectivite.objects.all(), scope="id")
    matiere = ScopedRelatedField(
        queryset=Matiere.objects.all(),
        scope="version__collectivite_id",
        required=False,
        allow_null=True,
    )
    assembly = ScopedRelatedField(queryset=Assembly.objects.all(), required=False, allow_null=True)
    rapporteur = ScopedRelatedField(
        queryset=Mandate.objects.all(),
        scope="assembly__collectivite_id",
        required=False,
        allow_null=True,
    )
    service = ScopedRelatedField(queryset=Service.objects.all(), required=False, allow_null=True)
    drafter = serializers.CharField(source="drafter.username", read_only=True)
    matiere_code = serializers.CharField(source="matiere.code", read_only=True, default=None)
    annexes = AnnexSerializer(many=True, read_only=True)
    visas = serializers.ListField(child=serializers.CharField(), required=False)
    considerants = serializers.ListField(child=serializers.CharField(), required=False)
    articles = serializers.ListField(child=serializers.CharField(), required=False)

    class Meta:
        model = Act
        fields = [
            "id",
            "collectivite",
            "act_type",
            "nature",
            "matiere",
            "matiere_code",
            "objet",
            "summary",
            "visas",
            "considerants",
            "articles",
            "assembly",
            "rapporteur",
            "service",
            "drafter",
            "budget_amount",
            "budget_year",
            "budget_name",
            "budget_line",
            "confidential",
            "status",
            "number",
            "decision_date",
            "revision",
            "created_at",
            "updated_at",
            "annexes",
        ]
        read_only_fields = [
            "status",
            "number",
            "decision_date",
            "revision",
            "created_at",
            "updated_at",
        ]
        # The services validate (objet on one line, unique number…) and answer with their messages.
        extra_kwargs = {"objet": {"validators": []}, "nature": {"required": False}}
        validators: list = []


class ActUpdateSerializer(ActSerializer):
    collectivite = serializers.PrimaryKeyRelatedField(read_only=True)
    revision = serializers.IntegerField(
        help_text="The revision you edited; refused with 409 if someone saved in between."
    )

    class Meta(ActSerializer.Meta):
        read_only_fields = [
            "collectivite",
            "status",
            "number",
            "decision_date",
            "created_at",
            "updated_at",
        ]


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, required=False, default="")


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(allow_blank=True, required=False, default="")


class NumberSerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="Date of the number (default: today).")


class SeanceSerializer(serializers.ModelSerializer):
    collectivite = ScopedRelatedField(queryset=Collectivite.objects.all(), scope="id")
    assembly = ScopedRelatedField(queryset=Assembly.objects.all())
    president = ScopedRelatedField(
        queryset=Mandate.objects.all(),
        scope="assembly__collectivite_id",
        required=False,
        allow_null=True,
    )
    secretary = ScopedRelatedField(
        queryset=Mandate.objects.all(),
        scope="assembly__collectivite_id",
        required=False,
        allow_null=True,
    )

    class Meta:
        model = Seance
        fields = [
            "id",
            "collectivite",
            "assembly",
            "date",
            "place",
            "president",
            "secretary",
            "urgency",
            "convocation_date",
            "status",
            "opened_at",
            "closed_at",
            "revision",
        ]
        read_only_fields = ["convocation_date", "status", "opened_at", "closed_at", "revision"]


class SeanceUpdateSerializer(SeanceSerializer):
    collectivite = serializers.PrimaryKeyRelatedField(read_only=True)
    assembly = serializers.PrimaryKeyRelatedField(read_only=True)
    revision = serializers.IntegerField()

    class Meta(SeanceSerializer.Meta):
        read_only_fields = [
            "collectivite",
            "assembly",
            "convocation_date",
            "status",
            "opened_at",
            "closed_at",
        ]


class VoteSerializer(serializers.ModelSerializer):
    voters = serializers.IntegerField(read_only=True)

    class Meta:
        model = Vote
        fields = [
            "mode",
            "secret",
            "members_in_office",
            "present",
            "represented",
            "for_count",
            "against_count",
            "abstention_count",
            "not_voting_count",
            "voters",
            "president_casting_vote",
            "result",
            "recorded_at",
        ]


class AgendaItemSerializer(serializers.ModelSerializer):
    act_objet = serializers.CharField(source="act.objet", read_only=True)
    act_number = serializers.CharField(source="act.number", read_only=True)
    act_status = serializers.CharField(source="act.status", read_only=True)
    vote = VoteSerializer(read_only=True)

    class Meta:
        model = AgendaItem
        fields = [
            "id",
            "seance",
            "act",
            "act_objet",
            "act_number",
            "act_status",
            "position",
            "added_late",
            "status",
            "postponed_to",
            "vote",
        ]


class SeanceDetailSerializer(SeanceSerializer):
    items = AgendaItemSerializer(many=True, read_only=True)
    convocation = serializers.SerializerMethodField()

    class Meta(SeanceSerializer.Meta):
        fields = [*SeanceSerializer.Meta.fields, "items", "convocation"]

    def get_convocation(self, seance: Seance) -> dict:
        from ..selectors import convocation_check

        check = convocation_check(seance)
        return {
            "clear_days": check.clear_days,
            "required": check.required,
            "ok": check.ok,
            "message": check.message,
        }


class AddToAgendaSerializer(serializers.Serializer):
    act = ScopedRelatedField(queryset=Act.objects.all())
    position = serializers.IntegerField(required=False, min_value=1)


class ReorderSerializer(serializers.Serializer):
    item_ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)


class ConveneSerializer(serializers.Serializer):
    convocation_date = serializers.DateField(required=False)


class AttendanceEntrySerializer(serializers.Serializer):
    mandate = serializers.IntegerField()
    status = serializers.ChoiceField(choices=AttendanceStatus.choices)
    proxy_holder = serializers.IntegerField(required=False, allow_null=True)


class RollCallSerializer(serializers.Serializer):
    entries = AttendanceEntrySerializer(many=True)


class RollCallEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = RollCall
        fields = ["mandate", "status", "proxy_holder"]


class ItemAttendanceSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="mandate.official.full_name", read_only=True)

    class Meta:
        model = ItemAttendance
        fields = ["mandate", "name", "status", "proxy_holder", "interested"]


class PostponeSerializer(serializers.Serializer):
    to_seance = ScopedRelatedField(queryset=Seance.objects.all(), required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class MovementSerializer(serializers.Serializer):
    mandate = ScopedRelatedField(queryset=Mandate.objects.all(), scope="assembly__collectivite_id")
    status = serializers.ChoiceField(choices=AttendanceStatus.choices)
    proxy_holder = ScopedRelatedField(
        queryset=Mandate.objects.all(),
        scope="assembly__collectivite_id",
        required=False,
        allow_null=True,
    )


class InterestSerializer(serializers.Serializer):
    mandate = ScopedRelatedField(queryset=Mandate.objects.all(), scope="assembly__collectivite_id")
    interested = serializers.BooleanField(default=True)


class VoteInputSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=VoteMode.choices)
    secret = serializers.BooleanField(default=False)
    choices = serializers.DictField(
        child=serializers.ChoiceField(choices=BallotChoice.choices),
        required=False,
        help_text="Per-member mode: mandate id → for/against/abstention/not_voting.",
    )
    default_choice = serializers.ChoiceField(
        choices=BallotChoice.choices, required=False, allow_null=True
    )
    counts = serializers.DictField(child=serializers.IntegerField(min_value=0), required=False)
    result = serializers.ChoiceField(
        choices=[VoteResult.ADOPTED, VoteResult.REJECTED], required=False
    )
    president_choice = serializers.ChoiceField(
        choices=BallotChoice.choices, required=False, allow_null=True
    )

    def validate_choices(self, value: dict) -> dict[int, str]:
        try:
            return {int(key): choice for key, choice in value.items()}
        except ValueError as exc:
            raise serializers.ValidationError("Keys must be mandate ids.") from exc


class BallotSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ballot
        fields = ["mandate", "cast_by", "choice"]
