"""REST endpoints of the documents: list, request, status, download, re-render check.

Same rules as the pages: lists hold the user's collectivités only (another one's document is a
404), requests are authorised by the services (clerks and administrators), renders run in the
background (202 Accepted, poll the document until ``status`` is ready).
"""

from __future__ import annotations

from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from .. import selectors, services
from ..enums import DocumentKind, DocumentStatus
from . import serializers as s


class DocumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Rendered documents (every version) of acts and séances."""

    serializer_class = s.DocumentSerializer
    filterset_fields = ["act", "seance", "recipient", "kind", "status", "is_current"]
    ordering_fields = ["created_at", "version"]

    def get_queryset(self):
        return selectors.api_visible_documents(self.request).order_by("-created_at", "-pk")

    @extend_schema(
        request=s.DocumentRequestSerializer,
        responses={202: s.DocumentSerializer(many=True)},
        description=(
            "Request the current version of a document; it is rendered in the background. "
            "Unchanged data returns the existing version (never rendered again). A convocation "
            "without recipient requests every member's."
        ),
    )
    def create(self, request: Request) -> Response:
        serializer = s.DocumentRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        target = data.get("act") or data["seance"]
        if data["kind"] == DocumentKind.CONVOCATION and data.get("recipient") is None:
            documents = services.request_seance_documents(
                seance=target, actor=request.user, kinds=[DocumentKind.CONVOCATION]
            )
        else:
            documents = [
                services.request_document(
                    kind=data["kind"],
                    target=target,
                    actor=request.user,
                    recipient=data.get("recipient"),
                    annex_mode=data["annex_mode"],
                )
            ]
        for document in documents:
            document.refresh_from_db()
        return Response(
            s.DocumentSerializer(documents, many=True, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF.")
        }
    )
    @action(detail=True, methods=["get"])
    def file(self, request: Request, pk: str | None = None) -> FileResponse:
        document = self.get_object()
        if document.status != DocumentStatus.READY or not document.file:
            raise Http404
        response = FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=selectors.download_name(document),
            content_type="application/pdf",
        )
        response["X-Content-SHA256"] = document.content_sha256
        return response

    @extend_schema(request=None, responses=s.RerenderCheckSerializer)
    @action(detail=True, methods=["post"], url_path="rerender-check")
    def rerender_check(self, request: Request, pk: str | None = None) -> Response:
        """Render the version again from its stored inputs and compare the bytes (changes
        nothing; clerks and administrators)."""
        check = services.verify_rerender(document=self.get_object(), actor=request.user)
        return Response(s.RerenderCheckSerializer(check).data)
