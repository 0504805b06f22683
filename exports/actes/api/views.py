"""REST endpoints of the prefecture exchanges: transmissions and the prefecture's messages.

Same rules as the pages: lists hold the user's collectivités only (another one's object is a
404), the services authorise (clerks and administrators) and refuse with 400/403/409, delivery
runs in the background (202 Accepted; poll the transmission until ``status`` changes).
"""

from __future__ import annotations

import dataclasses

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from core.api_fields import visible_collectivite_ids
from core.files import read_bytes
from deliberations.models import Collectivite

from .. import selectors, services
from ..models import PrefectureMessage, Transmission
from . import serializers as s

_FILE = {(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)}


def _wanted_collectivite(request: Request, wanted: int | None) -> Collectivite:
    """The collectivité named in the request, or the user's only one; another's is a 404."""
    visible = visible_collectivite_ids(request)
    if wanted is None and len(visible) == 1:
        wanted = visible[0]
    if wanted not in visible:
        raise Http404
    return Collectivite.objects.get(pk=wanted)


class TransmissionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Messages sent to the prefecture: acts (1-1), answers and cancellations."""

    serializer_class = s.TransmissionSerializer
    filterset_fields = ["act", "kind", "status", "outcome_unknown"]
    ordering_fields = ["created_at", "sent_at"]
    queryset = Transmission.objects.none()

    def get_queryset(self):
        return selectors.api_visible_transmissions(self.request).order_by("-pk")

    def _answer(self, transmission: Transmission, code: int = status.HTTP_200_OK) -> Response:
        transmission.refresh_from_db()
        return Response(s.TransmissionSerializer(transmission).data, status=code)

    @extend_schema(
        request=s.TransmissionPrepareSerializer,
        responses={201: s.TransmissionSerializer},
        description=(
            "Build, check (XSD, @ctes rules, classification) and store the archive transmitting "
            "a signed act. Nothing is sent until ``transmit``."
        ),
    )
    def create(self, request: Request) -> Response:
        serializer = s.TransmissionPrepareSerializer(
            data=request.data, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        transmission = services.prepare_transmission(
            act=serializer.validated_data["act"], actor=request.user
        )
        return self._answer(transmission, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={202: s.TransmissionSerializer})
    @action(detail=True, methods=["post"])
    def transmit(self, request: Request, pk: str | None = None) -> Response:
        """Queue a prepared transmission for delivery (runs in the background)."""
        transmission = services.transmit(transmission=self.get_object(), actor=request.user)
        return self._answer(transmission, status.HTTP_202_ACCEPTED)

    @extend_schema(request=s.TransmissionDiscardSerializer, responses=s.TransmissionSerializer)
    @action(detail=True, methods=["post"])
    def discard(self, request: Request, pk: str | None = None) -> Response:
        """Drop a transmission that has not left Délibre."""
        data = s.TransmissionDiscardSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        transmission = services.discard_transmission(
            transmission=self.get_object(), actor=request.user, reason=data.validated_data["reason"]
        )
        return self._answer(transmission)

    @extend_schema(request=s.TransmissionReconcileSerializer, responses=s.TransmissionSerializer)
    @action(detail=True, methods=["post"])
    def reconcile(self, request: Request, pk: str | None = None) -> Response:
        """Settle a delivery whose outcome is unknown, after checking on the TdT."""
        data = s.TransmissionReconcileSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        transmission = services.reconcile_transmission(
            transmission=self.get_object(), actor=request.user, **data.validated_data
        )
        return self._answer(transmission)

    @extend_schema(
        request=s.TransmissionCancelSerializer, responses={202: s.TransmissionSerializer}
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Send the cancellation (6-1) of an acknowledged act; returns the cancellation."""
        data = s.TransmissionCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cancellation = services.request_cancellation(
            transmission=self.get_object(), actor=request.user, reason=data.validated_data["reason"]
        )
        return self._answer(cancellation, status.HTTP_202_ACCEPTED)

    @extend_schema(responses=_FILE)
    @action(detail=True, methods=["get"])
    def archive(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The archive (tar.gz) exactly as it is (or was) sent."""
        transmission = self.get_object()
        response = HttpResponse(
            read_bytes(transmission.archive.name), content_type="application/gzip"
        )
        response["Content-Disposition"] = f'attachment; filename="{transmission.archive_name}"'
        response["X-Content-SHA256"] = transmission.archive_sha256
        return response


class PrefectureMessageViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Messages received from the prefecture: acknowledgements, anomalies, letters."""

    serializer_class = s.PrefectureMessageSerializer
    filterset_fields = ["act", "kind", "status"]
    ordering_fields = ["received_at", "deadline"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    queryset = PrefectureMessage.objects.none()

    def get_queryset(self):
        return (
            selectors.api_visible_messages(self.request)
            .prefetch_related("answers")
            .order_by("-received_at", "-pk")
        )

    @extend_schema(
        request={"multipart/form-data": s.PrefectureImportSerializer},
        responses={201: s.PrefectureMessageSerializer(many=True)},
    )
    @action(detail=False, methods=["post"], url_path="import")
    def import_file(self, request: Request) -> Response:
        """Import a file received from the prefecture (each message is applied once)."""
        data = s.PrefectureImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        messages = services.import_prefecture_file(
            collectivite=_wanted_collectivite(request, data.validated_data.get("collectivite")),
            actor=request.user,
            content=upload.read(),
            name=upload.name,
            source="api",
        )
        return Response(
            s.PrefectureMessageSerializer(messages, many=True).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=s.PollRequestSerializer, responses={200: s.PollReportSerializer})
    @action(detail=False, methods=["post"])
    def poll(self, request: Request) -> Response:
        """Ask the TdT now: send what waits, read statuses, import what came back."""
        data = s.PollRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.poll_collectivite(
            collectivite=_wanted_collectivite(request, data.validated_data.get("collectivite")),
            actor=request.user,
        )
        return Response(s.PollReportSerializer(dataclasses.asdict(report)).data)

    @extend_schema(
        request={"multipart/form-data": s.PrefectureAnswerSerializer},
        responses={202: s.TransmissionSerializer},
    )
    @action(detail=True, methods=["post"])
    def answer(self, request: Request, pk: str | None = None) -> Response:
        """Answer the letter as @ctes permits; the answer is sent in the background."""
        data = s.PrefectureAnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        documents = [(f.name, f.read()) for f in data.validated_data["documents"]]
        transmission = services.answer_prefecture_message(
            message=self.get_object(),
            actor=request.user,
            kind=data.validated_data["kind"],
            documents=documents,
        )
        return Response(
            s.TransmissionSerializer(transmission).data, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(request=s.PrefectureCloseSerializer, responses=s.PrefectureMessageSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        """Mark a message handled without an @ctes answer."""
        data = s.PrefectureCloseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.close_message(
            message=self.get_object(), actor=request.user, note=data.validated_data["note"]
        )
        return Response(s.PrefectureMessageSerializer(message).data)

    @extend_schema(responses=_FILE)
    @action(detail=True, methods=["get"])
    def file(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The file as received."""
        message = self.get_object()
        response = HttpResponse(
            read_bytes(message.file.name), content_type="application/octet-stream"
        )
        response["Content-Disposition"] = f'attachment; filename="{message.file_name}"'
        return response
