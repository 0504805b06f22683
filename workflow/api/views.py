"""REST endpoints of the parapheur: parse input, call one service, answer.

Lists only show the user's collectivités (another collectivité's object is a 404); who may act
is decided by the services, with the same checks as the pages. Domain errors become
400/403/404/409 through core.api.exception_handler.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q
from django.http import Http404, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api_fields import visible_collectivite_ids
from deliberations.api.views import ScopedMixin
from deliberations.enums import Role
from deliberations.models import Act, Collectivite, Membership, Seance
from deliberations.permissions import has_role, require_role

from .. import services
from ..journal import export_jsonl
from ..models import (
    AssigneeGroup,
    AuditEvent,
    Circuit,
    CircuitRun,
    Decision,
    Delegation,
    Notification,
    OpinionRequest,
    StepAssignee,
    StepRun,
)
from ..selectors import inbox_for, notifications_of
from . import serializers as s


def _input(serializer_class, request: Request, **kwargs: Any) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, context={"request": request}, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _steps(specs: list[dict[str, Any]]) -> list[services.StepSpec]:
    return [
        services.StepSpec(
            kind=spec["kind"],
            label=spec.get("label", ""),
            mode=spec.get("mode", "one"),
            users=spec.get("users", []),
            groups=spec.get("groups", []),
            deadline_days=spec.get("deadline_days"),
            signer_quality=spec.get("signer_quality", ""),
        )
        for spec in specs
    ]


def _runs_queryset():
    steps = StepRun.objects.order_by("position").prefetch_related(
        Prefetch("assignees", queryset=StepAssignee.objects.select_related("user", "group")),
        Prefetch("decisions", queryset=Decision.objects.select_related("actor", "on_behalf_of")),
        Prefetch(
            "opinions",
            queryset=OpinionRequest.objects.select_related(
                "requested_by", "requested_from", "step_run__run"
            ),
        ),
    )
    return CircuitRun.objects.select_related("started_by").prefetch_related(
        Prefetch("steps", queryset=steps)
    )


# --- Desks and circuits -----------------------------------------------------------------------


class AssigneeGroupViewSet(
    ScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Desks ("bureaux"): any one of their members acts for them in a circuit step."""

    serializer_class = s.AssigneeGroupSerializer
    filterset_fields = ["collectivite", "is_active"]

    def get_queryset(self):
        return self.scoped(AssigneeGroup.objects.prefetch_related("members")).order_by("name")

    def create(self, request: Request) -> Response:
        data = _input(s.AssigneeGroupSerializer, request)
        group = services.create_group(
            collectivite=data["collectivite"],
            actor=request.user,
            name=data["name"],
            members=data.get("members", []),
        )
        return Response(self.get_serializer(group).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.AssigneeGroupUpdateSerializer, responses=s.AssigneeGroupSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        data = _input(s.AssigneeGroupUpdateSerializer, request)
        group = services.update_group(group=self.get_object(), actor=request.user, **data)
        return Response(self.get_serializer(group).data)

    @extend_schema(request=None, responses=s.AssigneeGroupSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str | None = None) -> Response:
        group = services.deactivate_group(group=self.get_object(), actor=request.user)
        return Response(self.get_serializer(group).data)


class CircuitViewSet(
    ScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Circuits and their ordered steps (administrators change them)."""

    serializer_class = s.CircuitSerializer
    filterset_fields = ["collectivite", "phase", "is_active", "is_default"]

    def get_queryset(self):
        return self.scoped(
            Circuit.objects.prefetch_related("services", "steps__users", "steps__groups")
        ).order_by("phase", "name")

    def create(self, request: Request) -> Response:
        data = _input(s.CircuitSerializer, request)
        circuit = services.create_circuit(
            collectivite=data["collectivite"],
            actor=request.user,
            name=data["name"],
            phase=data["phase"],
            act_types=data.get("act_types", []),
            services=data.get("services", []),
            is_default=data.get("is_default", False),
            steps=_steps(data["steps"]),
        )
        return Response(
            self.get_serializer(self.get_queryset().get(pk=circuit.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=s.CircuitUpdateSerializer, responses=s.CircuitSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        data = _input(s.CircuitUpdateSerializer, request)
        if "steps" in data:
            data["steps"] = _steps(data["steps"])
        circuit = services.update_circuit(circuit=self.get_object(), actor=request.user, **data)
        return Response(self.get_serializer(self.get_queryset().get(pk=circuit.pk)).data)

    @extend_schema(request=None, responses=s.CircuitSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str | None = None) -> Response:
        circuit = services.deactivate_circuit(circuit=self.get_object(), actor=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=circuit.pk)).data)


# --- Runs and decisions -----------------------------------------------------------------------


class RunViewSet(
    ScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Runs of acts through circuits, with their frozen steps and every decision."""

    serializer_class = s.CircuitRunSerializer
    scope = "act__collectivite_id"
    filterset_fields = ["act", "status", "phase"]

    def get_queryset(self):
        return self.scoped(_runs_queryset()).order_by("act_id", "started_at", "pk")

    @extend_schema(request=s.RecallSerializer, responses=s.CircuitRunSerializer)
    @action(detail=True, methods=["post"])
    def recall(self, request: Request, pk: str | None = None) -> Response:
        """The sender takes back a folder nobody has acted on yet (droit de remords)."""
        data = _input(s.RecallSerializer, request)
        run = services.recall(run=self.get_object(), actor=request.user, **data)
        return Response(self.get_serializer(self.get_queryset().get(pk=run.pk)).data)


class ActRunsView(ScopedMixin, generics.GenericAPIView):
    serializer_class = s.CircuitRunSerializer
    queryset = CircuitRun.objects.none()
    scope = "act__collectivite_id"
    pagination_class = None

    def _act(self, act_pk: int) -> Act:
        act = Act.objects.filter(
            pk=act_pk, collectivite_id__in=visible_collectivite_ids(self.request)
        ).first()
        if act is None:
            raise Http404
        return act

    @extend_schema(responses=s.CircuitRunSerializer(many=True))
    def get(self, request: Request, act_pk: int) -> Response:
        """Every run of the act, oldest first (the history stays after a rejection)."""
        act = self._act(act_pk)
        runs = _runs_queryset().filter(act=act).order_by("started_at", "pk")
        return Response(self.get_serializer(runs, many=True).data)


class StartCircuitView(ActRunsView):
    @extend_schema(request=s.StartCircuitSerializer, responses={201: s.CircuitRunSerializer})
    def post(self, request: Request, act_pk: int) -> Response:
        """Send the act into a circuit (the applicable default one, or the one chosen)."""
        act = self._act(act_pk)
        data = _input(s.StartCircuitSerializer, request)
        run = services.start_circuit(act=act, actor=request.user, circuit=data.get("circuit"))
        return Response(
            self.get_serializer(_runs_queryset().get(pk=run.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class StepRunViewSet(ScopedMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The frozen steps of runs, and the decisions taken on them."""

    serializer_class = s.StepRunSerializer
    scope = "run__act__collectivite_id"

    def get_queryset(self):
        return self.scoped(
            StepRun.objects.select_related("run").prefetch_related(
                Prefetch(
                    "assignees", queryset=StepAssignee.objects.select_related("user", "group")
                ),
                Prefetch(
                    "decisions", queryset=Decision.objects.select_related("actor", "on_behalf_of")
                ),
                Prefetch(
                    "opinions",
                    queryset=OpinionRequest.objects.select_related(
                        "requested_by", "requested_from", "step_run__run"
                    ),
                ),
            )
        )

    def _answer(self, step: StepRun) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=step.pk)).data)

    @extend_schema(request=s.ApproveSerializer, responses=s.StepRunSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Give a visa (or, later through the signing service, a signature)."""
        data = _input(s.ApproveSerializer, request)
        step = services.approve_step(step_run=self.get_object(), actor=request.user, **data)
        return self._answer(step)

    @extend_schema(request=s.RejectSerializer, responses=s.StepRunSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """Reject with a reason: back to the drafter (or a signature run closed as rejected)."""
        data = _input(s.RejectSerializer, request)
        step = services.reject_step(step_run=self.get_object(), actor=request.user, **data)
        return self._answer(step)

    @extend_schema(request=s.SkipSerializer, responses=s.StepRunSerializer)
    @action(detail=True, methods=["post"])
    def skip(self, request: Request, pk: str | None = None) -> Response:
        """Pass over the waiting step (administrators, with a reason)."""
        data = _input(s.SkipSerializer, request)
        step = services.skip_step(step_run=self.get_object(), actor=request.user, **data)
        return self._answer(step)

    @extend_schema(request=s.OpinionInputSerializer, responses={201: s.OpinionRequestSerializer})
    @action(detail=True, methods=["post"], url_path="request-opinion")
    def request_opinion(self, request: Request, pk: str | None = None) -> Response:
        """Ask someone outside the circuit for an opinion; the step waits for the answer."""
        data = _input(s.OpinionInputSerializer, request)
        opinion = services.request_opinion(step_run=self.get_object(), actor=request.user, **data)
        return Response(s.OpinionRequestSerializer(opinion).data, status=status.HTTP_201_CREATED)


class OpinionViewSet(
    ScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Opinions asked of you or by you."""

    serializer_class = s.OpinionRequestSerializer
    scope = "step_run__run__act__collectivite_id"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return OpinionRequest.objects.none()
        me = self.request.user
        return (
            self.scoped(
                OpinionRequest.objects.select_related(
                    "requested_by", "requested_from", "step_run__run"
                )
            )
            .filter(Q(requested_from=me) | Q(requested_by=me))
            .order_by("-requested_at", "-pk")
        )

    @extend_schema(request=s.AnswerSerializer, responses=s.OpinionRequestSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request: Request, pk: str | None = None) -> Response:
        data = _input(s.AnswerSerializer, request)
        opinion = services.answer_opinion(opinion=self.get_object(), actor=request.user, **data)
        return Response(self.get_serializer(self.get_queryset().get(pk=opinion.pk)).data)


# --- Delegations ------------------------------------------------------------------------------


class DelegationViewSet(
    ScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Delegations you gave or received (administrators: every delegation of their collectivité)."""

    serializer_class = s.DelegationSerializer
    filterset_fields = ["collectivite", "delegator", "delegate"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Delegation.objects.none()
        me = self.request.user
        administered = Membership.objects.filter(user=me, role=Role.ADMIN).values("collectivite_id")
        return (
            self.scoped(Delegation.objects.select_related("delegator", "delegate"))
            .filter(Q(delegator=me) | Q(delegate=me) | Q(collectivite_id__in=administered))
            .order_by("-starts_on", "-pk")
        )

    def create(self, request: Request) -> Response:
        data = _input(s.DelegationSerializer, request)
        delegation = services.create_delegation(
            collectivite=data["collectivite"],
            actor=request.user,
            delegator=data.get("delegator") or request.user,
            delegate=data["delegate"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            act_types=data.get("act_types", []),
            matiere_codes=data.get("matiere_codes", []),
            quality=data.get("quality", ""),
            reference=data.get("reference", ""),
            scope=data.get("scope", "acts"),
        )
        return Response(self.get_serializer(delegation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.DelegationSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        delegation = services.revoke_delegation(delegation=self.get_object(), actor=request.user)
        return Response(self.get_serializer(delegation).data)


# --- Inbox and notifications ------------------------------------------------------------------


class InboxView(generics.GenericAPIView):
    """Folders waiting for you (directly, through a desk or by delegation), late ones first,
    and the opinions asked of you."""

    serializer_class = s.InboxItemSerializer
    pagination_class = None
    queryset = StepRun.objects.none()

    @extend_schema(
        parameters=[OpenApiParameter("collectivite", int, description="Only this collectivité.")],
        responses=s.InboxItemSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        raw = request.query_params.get("collectivite")
        collectivite_id = int(raw) if raw and raw.isdigit() else None
        items = inbox_for(request.user, collectivite_id=collectivite_id)
        return Response(self.get_serializer(items, many=True).data)


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.NotificationSerializer
    filterset_fields = ["kind"]
    # A non-numeric id is a 404 at routing (it reached the query and answered 500: schemathesis).
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return notifications_of(self.request.user)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        notification = Notification.objects.filter(pk=pk, user=request.user).first()
        if notification is None:
            raise Http404
        services.mark_read(notifications=[notification], actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={204: None})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        services.mark_read(
            notifications=Notification.objects.filter(user=request.user, read_at__isnull=True),
            actor=request.user,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotificationPreferenceView(generics.GenericAPIView):
    """Immediate e-mails, or one daily summary."""

    serializer_class = s.NotificationPreferenceSerializer
    # OPTIONS would describe PUT through get_object(), which this view has not (500: schemathesis).
    metadata_class = None

    def _current(self, request: Request) -> Response:
        preference = getattr(request.user, "notification_preference", None)
        return Response({"mode": preference.mode if preference else "immediate"})

    def get(self, request: Request) -> Response:
        return self._current(request)

    def put(self, request: Request) -> Response:
        data = _input(s.NotificationPreferenceSerializer, request)
        services.set_notification_preference(
            user=request.user, actor=request.user, mode=data["mode"]
        )
        return Response({"mode": data["mode"]})


# --- Journal ----------------------------------------------------------------------------------

_OBJECT_PARAMETER = OpenApiParameter(
    "object",
    str,
    description='The object whose chain to read: "act:12", "seance:3", "pesflow:4" (a PES '
    'flow) or "collectivite:1" (administrators only).',
)
_COLLECTIVITE_PARAMETER = OpenApiParameter(
    "collectivite", int, description="Every event of a collectivité (administrators only)."
)


class JournalView(generics.GenericAPIView):
    """The audit journal of one object (its hash chain), oldest first, with the hashes."""

    serializer_class = s.JournalEventSerializer

    def events(self, request: Request):
        visible = visible_collectivite_ids(request)
        obj = request.query_params.get("object", "")
        raw_collectivite = request.query_params.get("collectivite", "")
        if obj:
            kind, _sep, ident = obj.partition(":")
            if not ident.isdigit():
                raise Http404
            if kind == "act":
                owner = Act.objects.filter(pk=ident).values_list("collectivite_id", flat=True)
            elif kind == "seance":
                owner = Seance.objects.filter(pk=ident).values_list("collectivite_id", flat=True)
            elif kind == "collectivite":
                owner = Collectivite.objects.filter(pk=ident).values_list("pk", flat=True)
            elif kind == "pesflow":
                owner = CircuitRun.flow.field.related_model.objects.filter(pk=ident).values_list(
                    "collectivite_id", flat=True
                )
            else:
                raise Http404
            collectivite_id = owner.first()
            if collectivite_id not in visible:
                raise Http404
            if kind == "collectivite":
                self._require_admin(request, collectivite_id)
            events = AuditEvent.objects.filter(chain__key=f"{kind}:{ident}")
        elif raw_collectivite.isdigit() and int(raw_collectivite) in visible:
            self._require_admin(request, int(raw_collectivite))
            events = AuditEvent.objects.filter(collectivite_id=int(raw_collectivite))
        else:
            raise Http404
        return events.select_related("chain").order_by("chain__key", "seq")

    @staticmethod
    def _require_admin(request: Request, collectivite_id: int) -> None:
        if not has_role(request.user, collectivite_id, Role.ADMIN):
            require_role(request.user, Collectivite.objects.get(pk=collectivite_id), Role.ADMIN)

    @extend_schema(parameters=[_OBJECT_PARAMETER, _COLLECTIVITE_PARAMETER])
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.events(request))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class JournalExportView(JournalView):
    @extend_schema(
        parameters=[_OBJECT_PARAMETER, _COLLECTIVITE_PARAMETER],
        responses={
            (200, "application/x-ndjson"): OpenApiResponse(
                response=OpenApiTypes.STR,
                description="One JSON event per line, with what is needed to re-check hashes.",
            )
        },
    )
    def get(self, request: Request) -> StreamingHttpResponse:  # type: ignore[override]
        events = self.events(request)
        name = (request.query_params.get("object") or "collectivite").replace(":", "-")
        response = StreamingHttpResponse(export_jsonl(events), content_type="application/x-ndjson")
        response["Content-Disposition"] = f'attachment; filename="journal-{name}.jsonl"'
        return response
