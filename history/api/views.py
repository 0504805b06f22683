"""REST endpoints of the history import: the same checks and writes as the page and the command.

``POST /api/history/imports/`` (multipart) checks an import and, unless ``dry_run``, writes it:
200 with the report for a dry run or when nothing is new, 201 with the report and its batch
once imported, 400 with ``detail``, ``code`` and the whole ``report`` (every problem) when the
checks found errors — nothing is written then. Administrators of the collectivité only; a
collectivité the user cannot see is answered as an unknown one.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from core.api_fields import visible_collectivite_ids

from .. import services
from ..exceptions import ImportRefused
from ..files import NoFiles, ZipSource
from ..models import ImportBatch, ImportedAct
from . import serializers as s


def _read(upload) -> bytes | None:
    return upload.read() if upload is not None else None


class ImportBatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Imports done (batches), and new imports."""

    serializer_class = s.ImportBatchSerializer
    queryset = ImportBatch.objects.none()
    filterset_fields = ["collectivite"]
    ordering_fields = ["created_at"]

    def get_queryset(self):
        return ImportBatch.objects.filter(
            collectivite_id__in=visible_collectivite_ids(self.request)
        ).order_by("-created_at", "-pk")

    def get_parsers(self):
        return [MultiPartParser(), FormParser()]

    @extend_schema(
        request=s.ImportInputSerializer,
        responses={200: s.ReportSerializer, 201: s.ReportSerializer, 400: s.RefusalSerializer},
    )
    def create(self, request: Request) -> Response:
        data = s.ImportInputSerializer(
            data=request.data, visible_ids=visible_collectivite_ids(request)
        )
        data.is_valid(raise_exception=True)
        values = data.validated_data
        upload = values.get("files")
        try:
            report = services.import_history(
                collectivite=values["collectivite"],
                actor=request.user,
                manifest=values["manifest"].read(),
                manifest_name=values["manifest"].name,
                files=ZipSource(upload, label=upload.name) if upload is not None else NoFiles(),
                officials=_read(values.get("officials")),
                officials_name=getattr(values.get("officials"), "name", ""),
                classification=_read(values.get("classification")),
                classification_name=getattr(values.get("classification"), "name", ""),
                dry_run=values["dry_run"],
                source="api",
            )
        except ImportRefused as exc:
            return Response(
                {"detail": str(exc.message), "code": exc.code, "report": exc.report.as_dict()},
                status=status.HTTP_400_BAD_REQUEST,
            )
        code = status.HTTP_201_CREATED if report.batch_id else status.HTTP_200_OK
        return Response(report.as_dict(), status=code)


class ImportedActViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Acts taken over from the history, with the check of their signatures."""

    serializer_class = s.ImportedActSerializer
    queryset = ImportedAct.objects.none()
    filterset_fields = ["collectivite", "batch", "signature_status", "number"]
    ordering_fields = ["number", "line"]

    def get_queryset(self):
        return ImportedAct.objects.filter(
            collectivite_id__in=visible_collectivite_ids(self.request)
        ).order_by("collectivite_id", "number")
