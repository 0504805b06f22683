"""REST endpoints of the publication: publish and withdraw acts and séance documents, and the
open-data files. Same rules as the pages (clerks and administrators publish, administrators
withdraw; another collectivité's objects are 404)."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_fields import visible_collectivite_ids
from deliberations.models import Collectivite

from .. import opendata, services
from ..models import Publication, SeancePublication
from . import serializers as s


class PublicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Acts put online on the public portal."""

    serializer_class = s.PublicationSerializer
    filterset_fields = ["act", "identifier"]
    ordering_fields = ["published_at"]
    queryset = Publication.objects.none()

    def get_queryset(self):
        return (
            Publication.objects.filter(collectivite_id__in=visible_collectivite_ids(self.request))
            .select_related("collectivite")
            .order_by("-published_at", "-pk")
        )

    @extend_schema(request=s.PublishActSerializer, responses={201: s.PublicationSerializer})
    def create(self, request: Request) -> Response:
        """Publish a signed act (lifecycle step; records the date put online)."""
        data = s.PublishActSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        publication = services.publish_act(act=data.validated_data["act"], actor=request.user)
        return Response(s.PublicationSerializer(publication).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.UnpublishSerializer, responses=s.PublicationSerializer)
    @action(detail=True, methods=["post"])
    def unpublish(self, request: Request, pk: str | None = None) -> Response:
        """Withdraw an act from the portal (administrators; not before two months online)."""
        data = s.UnpublishSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        publication = services.unpublish_act(
            publication=self.get_object(), actor=request.user, reason=data.validated_data["reason"]
        )
        return Response(s.PublicationSerializer(publication).data)


class SeancePublicationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Lists of deliberations and procès-verbaux put online."""

    serializer_class = s.SeancePublicationSerializer
    filterset_fields = ["seance", "kind"]
    queryset = SeancePublication.objects.none()

    def get_queryset(self):
        return SeancePublication.objects.filter(
            collectivite_id__in=visible_collectivite_ids(self.request)
        ).order_by("-published_at", "-pk")

    @extend_schema(
        request=s.PublishSeanceDocumentSerializer, responses={201: s.SeancePublicationSerializer}
    )
    def create(self, request: Request) -> Response:
        """Put the list of deliberations or the minutes of a closed séance online."""
        data = s.PublishSeanceDocumentSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        publication = services.publish_seance_document(
            seance=data.validated_data["seance"],
            kind=data.validated_data["kind"],
            actor=request.user,
        )
        return Response(
            s.SeancePublicationSerializer(publication).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=s.UnpublishSerializer, responses=s.SeancePublicationSerializer)
    @action(detail=True, methods=["post"])
    def unpublish(self, request: Request, pk: str | None = None) -> Response:
        """Withdraw the document from the portal (administrators)."""
        data = s.UnpublishSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        publication = services.unpublish_seance_document(
            publication=self.get_object(), actor=request.user, reason=data.validated_data["reason"]
        )
        return Response(s.SeancePublicationSerializer(publication).data)


class OpenDataView(APIView):
    """The open-data file of one of the user's collectivités (SCDL CSV or JSON)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("collectivite", int, required=True),
            OpenApiParameter("year", int),
            OpenApiParameter("format", str, enum=["csv", "json"]),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT),
        },
    )
    def get(self, request: Request) -> HttpResponse:
        query = s.OpenDataQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        if data["collectivite"] not in visible_collectivite_ids(request):
            raise Http404
        collectivite = Collectivite.objects.get(pk=data["collectivite"])
        year = data.get("year")
        if data["format"] == "json":
            content, content_type = (
                opendata.export_json(collectivite, year=year),
                "application/json",
            )
        else:
            content = opendata.export_csv([collectivite], year=year)
            content_type = "text/csv; charset=utf-8"
        response = HttpResponse(content, content_type=content_type)
        name = opendata.file_name(collectivite, year, data["format"])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
