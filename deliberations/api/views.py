"""REST endpoints of the deliberations app: parse input, call one service, answer.

Lists only ever show the user's collectivités; actions are authorised by the services (the same
checks as the UI). Domain errors become 400/403/404/409 through core.api.exception_handler.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from core.api_fields import visible_collectivite_ids
from workflow.journal import events_for

from .. import services
from ..enums import AttendanceStatus
from ..models import (
    Act,
    AgendaItem,
    Annex,
    Assembly,
    ClassificationVersion,
    Collectivite,
    ElectedOfficial,
    Mandate,
    Matiere,
    NumberingScheme,
    Seance,
    Service,
)
from . import serializers as s


class ScopedMixin:
    """Restrict every queryset to the collectivités the user belongs to."""

    scope = "collectivite_id"
    request: Request

    def scoped(self, queryset):
        return queryset.filter(**{f"{self.scope}__in": visible_collectivite_ids(self.request)})


def _input(serializer_class, request: Request, **kwargs: Any):
    serializer = serializer_class(data=request.data, context={"request": request}, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class CollectiviteViewSet(
    ScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = s.CollectiviteSerializer
    scope = "id"

    def get_queryset(self):
        return self.scoped(Collectivite.objects.all())

    @extend_schema(request=s.CollectiviteUpdateSerializer, responses=s.CollectiviteSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        data = _input(s.CollectiviteUpdateSerializer, request, partial=True)
        collectivite = services.update_collectivite(
            collectivite=self.get_object(), actor=request.user, **data
        )
        return Response(s.CollectiviteSerializer(collectivite).data)

    @extend_schema(request=s.RoleGrantSerializer, responses={204: None})
    @action(detail=True, methods=["post"], url_path="grant-role")
    def grant_role(self, request: Request, pk: str | None = None) -> Response:
        data = _input(s.RoleGrantSerializer, request)
        services.grant_role(collectivite=self.get_object(), actor=request.user, **data)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.RoleGrantSerializer, responses={204: None})
    @action(detail=True, methods=["post"], url_path="revoke-role")
    def revoke_role(self, request: Request, pk: str | None = None) -> Response:
        data = _input(s.RoleGrantSerializer, request)
        services.revoke_role(collectivite=self.get_object(), actor=request.user, **data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _ConfigViewSet(
    ScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """List/retrieve plus a create that calls ``create_service``."""

    create_service: Any = None

    def create(self, request: Request) -> Response:
        data = _input(self.get_serializer_class(), request)
        obj = type(self).create_service(actor=request.user, **data)
        return Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED)


class ServiceViewSet(_ConfigViewSet):
    serializer_class = s.ServiceSerializer
    create_service = services.create_service
    filterset_fields = ["collectivite"]

    def get_queryset(self):
        return self.scoped(Service.objects.all())


class AssemblyViewSet(_ConfigViewSet):
    serializer_class = s.AssemblySerializer
    create_service = services.create_assembly
    filterset_fields = ["collectivite", "kind"]

    def get_queryset(self):
        return self.scoped(Assembly.objects.all())


class ElectedOfficialViewSet(_ConfigViewSet):
    serializer_class = s.ElectedOfficialSerializer
    create_service = services.create_elected_official
    filterset_fields = ["collectivite"]
    search_fields = ["last_name", "first_name"]

    def get_queryset(self):
        return self.scoped(ElectedOfficial.objects.select_related("user"))

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        data = _input(s.ElectedOfficialSerializer, request, partial=True)
        data.pop("collectivite", None)
        official = services.update_elected_official(
            official=self.get_object(), actor=request.user, **data
        )
        return Response(self.get_serializer(official).data)


class MandateViewSet(
    ScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = s.MandateSerializer
    scope = "assembly__collectivite_id"
    filterset_fields = ["assembly", "official", "role"]

    def get_queryset(self):
        return self.scoped(Mandate.objects.select_related("official", "assembly"))

    def create(self, request: Request) -> Response:
        data = _input(s.MandateSerializer, request)
        mandate = services.create_mandate(actor=request.user, **data)
        return Response(self.get_serializer(mandate).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.EndMandateSerializer, responses=s.MandateSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str | None = None) -> Response:
        data = _input(s.EndMandateSerializer, request)
        mandate = services.end_mandate(mandate=self.get_object(), actor=request.user, **data)
        return Response(self.get_serializer(mandate).data)


class ClassificationViewSet(
    ScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = s.ClassificationVersionSerializer
    parser_classes = [MultiPartParser, FormParser]
    filterset_fields = ["collectivite", "is_current"]

    def get_queryset(self):
        return self.scoped(ClassificationVersion.objects.all())

    @extend_schema(
        request=s.ClassificationImportSerializer, responses=s.ClassificationVersionSerializer
    )
    def create(self, request: Request) -> Response:
        data = _input(s.ClassificationImportSerializer, request)
        upload = data["file"]
        version = services.import_classification(
            collectivite=data["collectivite"],
            actor=request.user,
            content=upload.read(20 * 1024 * 1024 + 1),
            source_name=upload.name,
        )
        return Response(self.get_serializer(version).data, status=status.HTTP_201_CREATED)


class MatiereViewSet(ScopedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.MatiereSerializer
    scope = "version__collectivite_id"
    filterset_fields = ["version", "level"]
    search_fields = ["code", "label"]

    def get_queryset(self):
        return self.scoped(Matiere.objects.filter(version__is_current=True)).order_by("code")


class NumberingSchemeViewSet(ScopedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.NumberingSchemeSerializer
    filterset_fields = ["collectivite", "act_type"]

    def get_queryset(self):
        return self.scoped(NumberingScheme.objects.all())

    @extend_schema(responses=s.NumberingSchemeSerializer)
    def create(self, request: Request) -> Response:
        """Set (create or replace) the numbering of one act type."""
        data = _input(s.NumberingSchemeSerializer, request)
        scheme = services.set_numbering_scheme(actor=request.user, **data)
        return Response(self.get_serializer(scheme).data, status=status.HTTP_201_CREATED)


class ActViewSet(
    ScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = s.ActSerializer
    filterset_fields = [
        "collectivite",
        "status",
        "act_type",
        "nature",
        "assembly",
        "service",
        "number",
    ]
    search_fields = ["objet", "number"]
    ordering_fields = ["created_at", "number", "decision_date"]

    def get_queryset(self):
        return self.scoped(
            Act.objects.select_related("matiere", "drafter").prefetch_related("annexes")
        )

    def create(self, request: Request) -> Response:
        data = _input(s.ActSerializer, request)
        act = services.create_project(actor=request.user, **data)
        return Response(self.get_serializer(act).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ActUpdateSerializer, responses=s.ActSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        data = _input(s.ActUpdateSerializer, request, partial=True)
        revision = data.pop("revision", None)
        if revision is None:
            return Response(
                {"detail": "Give the revision you edited.", "field": "revision"},
                status=status.HTTP_400_BAD_REQUEST,
            )
        act = services.update_project(
            act=self.get_object(), actor=request.user, revision=revision, **data
        )
        return Response(self.get_serializer(act).data)

    @extend_schema(request=s.CommentSerializer, responses=s.ActSerializer)
    @action(detail=True, methods=["post"])
    def validate(self, request: Request, pk: str | None = None) -> Response:
        data = _input(s.CommentSerializer, request)
        act = services.validate_project(act=self.get_object(), actor=request.user, **data)
        return Response(self.get_serializer(act).data)

    @extend_schema(request=s.ReasonSerializer, responses=s.ActSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        data = _input(s.ReasonSerializer, request)
        act = services.withdraw_project(act=self.get_object(), actor=request.user, **data)
        return Response(self.get_serializer(act).data)

    @extend_schema(request=s.NumberSerializer, responses=s.ActSerializer)
    @action(detail=True, methods=["post"])
    def number(self, request: Request, pk: str | None = None) -> Response:
        data = _input(s.NumberSerializer, request)
        act = services.assign_number(act=self.get_object(), actor=request.user, on=data.get("date"))
        return Response(self.get_serializer(act).data)

    @extend_schema(request=s.AnnexUploadSerializer, responses=s.AnnexSerializer)
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def annexes(self, request: Request, pk: str | None = None) -> Response:
        data = _input(s.AnnexUploadSerializer, request)
        upload = data.pop("file")
        annex = services.add_annex(
            act=self.get_object(), actor=request.user, stream=upload, filename=upload.name, **data
        )
        return Response(s.AnnexSerializer(annex).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["get"])
    def journal(self, request: Request, pk: str | None = None) -> Response:
        """The act's audit events, oldest first, with their hashes."""
        events = events_for(self.get_object())
        return Response(
            [
                {
                    "seq": e.seq,
                    "at": e.created_at,
                    "action": e.action,
                    "actor": e.actor_name,
                    "on_behalf_of": e.on_behalf_of_name or None,
                    "data": e.data,
                    "hash": e.hash,
                }
                for e in events
            ]
        )


class AnnexViewSet(
    ScopedMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    serializer_class = s.AnnexSerializer
    scope = "act__collectivite_id"

    def get_queryset(self):
        return self.scoped(Annex.objects.select_related("act"))

    def perform_destroy(self, instance: Annex) -> None:
        services.remove_annex(annex=instance, actor=self.request.user)

    @action(detail=True, methods=["get"])
    def file(self, request: Request, pk: str | None = None) -> FileResponse:
        annex = self.get_object()
        return FileResponse(
            annex.file.open("rb"),
            as_attachment=True,
            filename=annex.original_name,
            content_type="application/pdf",
        )


class SeanceViewSet(
    ScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    filterset_fields = ["collectivite", "assembly", "status"]
    ordering_fields = ["date"]

    def get_serializer_class(self):
        return s.SeanceDetailSerializer if self.action == "retrieve" else s.SeanceSerializer

    def get_queryset(self):
        queryset = Seance.objects.select_related("assembly", "collectivite")
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("items__act", "items__vote")
        return self.scoped(queryset)

    def create(self, request: Request) -> Response:
        data = _input(s.SeanceSerializer, request)
        seance = services.create_seance(actor=request.user, **data)
        return Response(s.SeanceSerializer(seance).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.SeanceUpdateSerializer, responses=s.SeanceSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        data = _input(s.SeanceUpdateSerializer, request, partial=True)
        revision = data.pop("revision", None)
        if revision is None:
            return Response(
                {"detail": "Give the revision you edited.", "field": "revision"}, status=400
            )
        seance = services.update_seance(
            seance=self.get_object(), actor=request.user, revision=revision, **data
        )
        return Response(s.SeanceSerializer(seance).data)

    def _detail(self, seance: Seance) -> Response:
        seance = self.scoped(Seance.objects.prefetch_related("items__act", "items__vote")).get(
            pk=seance.pk
        )
        return Response(s.SeanceDetailSerializer(seance).data)

    @extend_schema(request=s.AddToAgendaSerializer, responses=s.AgendaItemSerializer)
    @action(detail=True, methods=["post"])
    def agenda(self, request: Request, pk: str | None = None) -> Response:
        data = _input(s.AddToAgendaSerializer, request)
        item = services.add_to_agenda(seance=self.get_object(), actor=request.user, **data)
        return Response(s.AgendaItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ReorderSerializer, responses=s.SeanceDetailSerializer)
    @action(detail=True, methods=["post"])
    def reorder(self, request: Request, pk: str | None = None) -> Response:
        data = _input(s.ReorderSerializer, request)
        return self._detail(
            services.reorder_agenda(seance=self.get_object(), actor=request.user, **data)
        )

    @extend_schema(request=s.ConveneSerializer, responses=s.SeanceDetailSerializer)
    @action(detail=True, methods=["post"])
    def convene(self, request: Request, pk: str | None = None) -> Response:
        data = _input(s.ConveneSerializer, request)
        return self._detail(services.convene(seance=self.get_object(), actor=request.user, **data))

    @extend_schema(request=None, responses=s.SeanceDetailSerializer)
    @action(detail=True, methods=["post"], url_path="open")
    def open_(self, request: Request, pk: str | None = None) -> Response:
        return self._detail(services.open_seance(seance=self.get_object(), actor=request.user))

    @extend_schema(request=None, responses=s.SeanceDetailSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        return self._detail(services.close_seance(seance=self.get_object(), actor=request.user))

    @extend_schema(request=s.RollCallSerializer, responses=s.RollCallEntrySerializer(many=True))
    @action(detail=True, methods=["get", "post"], url_path="roll-call")
    def roll_call(self, request: Request, pk: str | None = None) -> Response:
        seance = self.get_object()
        if request.method == "POST":
            data = _input(s.RollCallSerializer, request)
            entries = [
                services.AttendanceEntry(
                    e["mandate"], AttendanceStatus(e["status"]), e.get("proxy_holder")
                )
                for e in data["entries"]
            ]
            seance = services.record_roll_call(seance=seance, actor=request.user, entries=entries)
        return Response(
            s.RollCallEntrySerializer(seance.roll_call.order_by("mandate_id"), many=True).data
        )


class AgendaItemViewSet(ScopedMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.AgendaItemSerializer
    scope = "seance__collectivite_id"

    def get_queryset(self):
        return self.scoped(AgendaItem.objects.select_related("act", "seance", "vote"))

    def _item(self, item: AgendaItem | None = None) -> Response:
        item = self.get_queryset().get(pk=(item or self.get_object()).pk)
        return Response(s.AgendaItemSerializer(item).data)

    @extend_schema(request=s.ReasonSerializer, responses={200: s.AgendaItemSerializer, 204: None})
    @action(detail=True, methods=["post"])
    def remove(self, request: Request, pk: str | None = None) -> Response:
        data = _input(s.ReasonSerializer, request)
        item = services.remove_from_agenda(item=self.get_object(), actor=request.user, **data)
        return self._item(item) if item else Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.PostponeSerializer, responses=s.AgendaItemSerializer)
    @action(detail=True, methods=["post"])
    def postpone(self, request: Request, pk: str | None = None) -> Response:
        data = _input(s.PostponeSerializer, request)
        return self._item(
            services.postpone_item(item=self.get_object(), actor=request.user, **data)
        )

    @extend_schema(request=s.MovementSerializer, responses=s.AgendaItemSerializer)
    @action(detail=True, methods=["post"])
    def movement(self, request: Request, pk: str | None = None) -> Response:
        """A member arrives or leaves before this item (applies to later items too)."""
        data = _input(s.MovementSerializer, request)
        return self._item(
            services.record_movement(item=self.get_object(), actor=request.user, **data)
        )

    @extend_schema(request=s.InterestSerializer, responses=s.ItemAttendanceSerializer)
    @action(detail=True, methods=["post"])
    def interest(self, request: Request, pk: str | None = None) -> Response:
        data = _input(s.InterestSerializer, request)
        row = services.declare_interest(item=self.get_object(), actor=request.user, **data)
        return Response(s.ItemAttendanceSerializer(row).data)

    @extend_schema(responses=s.ItemAttendanceSerializer(many=True))
    @action(detail=True, methods=["get"])
    def attendance(self, request: Request, pk: str | None = None) -> Response:
        rows = (
            self.get_object()
            .attendance.select_related("mandate__official")
            .order_by("mandate__rank")
        )
        return Response(s.ItemAttendanceSerializer(rows, many=True).data)

    @extend_schema(request=s.VoteInputSerializer, responses=s.VoteSerializer)
    @action(detail=True, methods=["post"])
    def vote(self, request: Request, pk: str | None = None) -> Response:
        data = _input(s.VoteInputSerializer, request)
        vote = services.record_vote(item=self.get_object(), actor=request.user, **data)
        return Response(s.VoteSerializer(vote).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ReasonSerializer, responses=s.AgendaItemSerializer)
    @action(detail=True, methods=["post"], url_path="cancel-vote")
    def cancel_vote(self, request: Request, pk: str | None = None) -> Response:
        data = _input(s.ReasonSerializer, request)
        return self._item(services.cancel_vote(item=self.get_object(), actor=request.user, **data))
