"""API representations (read) and inputs (write) of circuits, runs, delegations and the inbox."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api_fields import ScopedRelatedField
from deliberations.enums import ActType
from deliberations.models import Collectivite, Service, User

from ..enums import CircuitPhase, NotificationMode, StepKind, StepMode
from ..models import (
    AssigneeGroup,
    AuditEvent,
    Circuit,
    CircuitRun,
    CircuitStep,
    Decision,
    Delegation,
    Notification,
    OpinionRequest,
    StepAssignee,
    StepRun,
)
from ..selectors import InboxItem, delegation_mention


class ScopedUserField(ScopedRelatedField):
    """A user of one of the requester's collectivités (by id)."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("queryset", User.objects.all())
        super().__init__(scope="memberships__collectivite_id", **kwargs)

    def get_queryset(self):
        return super().get_queryset().distinct()


def _name(user: User | None) -> str | None:
    return user.display_name if user is not None else None


# --- Desks and circuits -----------------------------------------------------------------------


class AssigneeGroupSerializer(serializers.ModelSerializer):
    collectivite = ScopedRelatedField(queryset=Collectivite.objects.all(), scope="id")
    members = ScopedUserField(many=True, required=False)

    class Meta:
        model = AssigneeGroup
        fields = ["id", "collectivite", "name", "members", "is_active"]
        read_only_fields = ["is_active"]
        validators: list = []


class AssigneeGroupUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    members = ScopedUserField(many=True, required=False)


class CircuitStepSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=StepKind.choices)
    mode = serializers.ChoiceField(choices=StepMode.choices, default=StepMode.ONE)
    users = ScopedUserField(many=True, required=False)
    groups = ScopedRelatedField(queryset=AssigneeGroup.objects.all(), many=True, required=False)

    class Meta:
        model = CircuitStep
        fields = [
            "position",
            "kind",
            "mode",
            "label",
            "users",
            "groups",
            "deadline_days",
            "signer_quality",
        ]
        read_only_fields = ["position"]


class CircuitSerializer(serializers.ModelSerializer):
    collectivite = ScopedRelatedField(queryset=Collectivite.objects.all(), scope="id")
    phase = serializers.ChoiceField(choices=CircuitPhase.choices)
    act_types = serializers.ListField(
        child=serializers.ChoiceField(choices=ActType.choices), required=False
    )
    services = ScopedRelatedField(queryset=Service.objects.all(), many=True, required=False)
    steps = CircuitStepSerializer(many=True)

    class Meta:
        model = Circuit
        fields = [
            "id",
            "collectivite",
            "name",
            "phase",
            "act_types",
            "services",
            "is_default",
            "is_active",
            "steps",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["is_active", "created_at", "updated_at"]
        validators: list = []


class CircuitUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    act_types = serializers.ListField(
        child=serializers.ChoiceField(choices=ActType.choices), required=False
    )
    services = ScopedRelatedField(queryset=Service.objects.all(), many=True, required=False)
    is_default = serializers.BooleanField(required=False)
    steps = CircuitStepSerializer(
        many=True, required=False, help_text="When given, replaces every step of the circuit."
    )


# --- Runs -------------------------------------------------------------------------------------


class StepAssigneeSerializer(serializers.ModelSerializer):
    user_name = serializers.SerializerMethodField()
    group_name = serializers.CharField(source="group.name", read_only=True, default=None)

    class Meta:
        model = StepAssignee
        fields = ["id", "user", "user_name", "group", "group_name"]

    def get_user_name(self, assignee: StepAssignee) -> str | None:
        return _name(assignee.user)


class DecisionSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()
    on_behalf_of_name = serializers.SerializerMethodField()

    class Meta:
        model = Decision
        fields = [
            "id",
            "action",
            "assignee",
            "actor",
            "actor_name",
            "on_behalf_of",
            "on_behalf_of_name",
            "comment",
            "signature",
            "created_at",
        ]

    def get_actor_name(self, decision: Decision) -> str:
        return decision.actor.display_name

    def get_on_behalf_of_name(self, decision: Decision) -> str | None:
        return _name(decision.on_behalf_of)


class OpinionRequestSerializer(serializers.ModelSerializer):
    act = serializers.IntegerField(source="step_run.run.act_id", read_only=True, allow_null=True)
    requested_by_name = serializers.SerializerMethodField()
    requested_from_name = serializers.SerializerMethodField()

    class Meta:
        model = OpinionRequest
        fields = [
            "id",
            "act",
            "step_run",
            "requested_by",
            "requested_by_name",
            "requested_from",
            "requested_from_name",
            "question",
            "answer",
            "requested_at",
            "answered_at",
        ]

    def get_requested_by_name(self, opinion: OpinionRequest) -> str:
        return opinion.requested_by.display_name

    def get_requested_from_name(self, opinion: OpinionRequest) -> str:
        return opinion.requested_from.display_name


class StepRunSerializer(serializers.ModelSerializer):
    assignees = StepAssigneeSerializer(many=True, read_only=True)
    decisions = DecisionSerializer(many=True, read_only=True)
    opinions = OpinionRequestSerializer(many=True, read_only=True)

    class Meta:
        model = StepRun
        fields = [
            "id",
            "run",
            "position",
            "kind",
            "mode",
            "label",
            "signer_quality",
            "deadline",
            "status",
            "activated_at",
            "completed_at",
            "assignees",
            "decisions",
            "opinions",
        ]


class CircuitRunSerializer(serializers.ModelSerializer):
    started_by_name = serializers.SerializerMethodField()
    steps = StepRunSerializer(many=True, read_only=True)

    class Meta:
        model = CircuitRun
        fields = [
            "id",
            "act",
            "flow",
            "circuit",
            "circuit_name",
            "phase",
            "status",
            "started_by",
            "started_by_name",
            "started_at",
            "completed_at",
            "steps",
        ]

    def get_started_by_name(self, run: CircuitRun) -> str:
        return run.started_by.display_name


class StartCircuitSerializer(serializers.Serializer):
    circuit = ScopedRelatedField(
        queryset=Circuit.objects.all(),
        required=False,
        allow_null=True,
        help_text="One of the circuits that apply to the act; the default one when omitted.",
    )


class ApproveSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    on_behalf_of = ScopedUserField(
        required=False,
        allow_null=True,
        help_text="The delegator you act for, when you hold several delegations.",
    )


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)
    on_behalf_of = ScopedUserField(required=False, allow_null=True)


class SkipSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class OpinionInputSerializer(serializers.Serializer):
    requested_from = ScopedUserField()
    question = serializers.CharField(allow_blank=True)
    on_behalf_of = ScopedUserField(required=False, allow_null=True)


class AnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(allow_blank=True)


class RecallSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


# --- Delegations ------------------------------------------------------------------------------


class DelegationSerializer(serializers.ModelSerializer):
    collectivite = ScopedRelatedField(queryset=Collectivite.objects.all(), scope="id")
    delegator = ScopedUserField(required=False, help_text="Yourself when omitted.")
    delegate = ScopedUserField()
    delegator_name = serializers.SerializerMethodField()
    delegate_name = serializers.SerializerMethodField()
    act_types = serializers.ListField(
        child=serializers.ChoiceField(choices=ActType.choices), required=False
    )
    matiere_codes = serializers.ListField(child=serializers.CharField(), required=False)
    mention = serializers.SerializerMethodField()

    class Meta:
        model = Delegation
        fields = [
            "id",
            "collectivite",
            "delegator",
            "delegator_name",
            "delegate",
            "delegate_name",
            "starts_on",
            "ends_on",
            "act_types",
            "matiere_codes",
            "scope",
            "quality",
            "reference",
            "mention",
            "created_at",
            "revoked_at",
        ]
        read_only_fields = ["created_at", "revoked_at"]
        validators: list = []

    def get_delegator_name(self, delegation: Delegation) -> str:
        return delegation.delegator.display_name

    def get_delegate_name(self, delegation: Delegation) -> str:
        return delegation.delegate.display_name

    def get_mention(self, delegation: Delegation) -> str:
        """The legal mention printed with a signature made by this delegation."""
        return delegation_mention(delegation)


# --- Inbox, notifications, journal ------------------------------------------------------------


class InboxItemSerializer(serializers.Serializer):
    kind = serializers.SerializerMethodField()
    act = serializers.IntegerField(source="act.pk", allow_null=True, default=None)
    act_objet = serializers.CharField(source="act.objet", allow_null=True, default=None)
    act_number = serializers.CharField(source="act.number", allow_null=True, default=None)
    act_type = serializers.CharField(source="act.act_type", allow_null=True, default=None)
    flow = serializers.IntegerField(
        source="flow.pk", allow_null=True, default=None, help_text="A PES flow to sign or visa."
    )
    flow_title = serializers.CharField(source="flow.title", allow_null=True, default=None)
    step_run = serializers.IntegerField(source="step.pk")
    step_label = serializers.CharField(source="step.label")
    step_kind = serializers.CharField(source="step.kind")
    received_at = serializers.DateTimeField()
    deadline = serializers.DateField(allow_null=True)
    late = serializers.BooleanField()
    on_behalf_of = serializers.IntegerField(source="on_behalf_of.pk", allow_null=True, default=None)
    on_behalf_of_name = serializers.SerializerMethodField()
    opinion = serializers.IntegerField(source="opinion.pk", allow_null=True, default=None)
    question = serializers.CharField(source="opinion.question", allow_null=True, default=None)

    @extend_schema_field(serializers.ChoiceField(choices=["step", "opinion"]))
    def get_kind(self, item: InboxItem) -> str:
        return "opinion" if item.is_opinion else "step"

    def get_on_behalf_of_name(self, item: InboxItem) -> str | None:
        return _name(item.on_behalf_of)


class NotificationSerializer(serializers.ModelSerializer):
    act_objet = serializers.CharField(source="act.objet", read_only=True, allow_null=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "act",
            "act_objet",
            "flow",
            "kind",
            "message",
            "created_at",
            "emailed_at",
            "read_at",
        ]


class NotificationPreferenceSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=NotificationMode.choices)


class JournalEventSerializer(serializers.ModelSerializer):
    chain = serializers.CharField(source="chain.key")

    class Meta:
        model = AuditEvent
        fields = [
            "chain",
            "seq",
            "created_at",
            "actor",
            "actor_name",
            "on_behalf_of",
            "on_behalf_of_name",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "data",
            "prev_hash",
            "hash",
        ]
