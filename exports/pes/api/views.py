"""REST endpoints of the treasury flows: parse input, call one service, answer.

Querysets are those of exports.pes.selectors (the user's collectivités; signed flows only for
the treasury): another collectivité's flow is a 404. Who may act is decided by the services,
with the same checks as the pages; domain errors become 400/403/404/409.
"""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from core.api_fields import visible_collectivite_ids
from deliberations.models import Act
from workflow import services as workflow
from workflow.enums import RunStatus, StepStatus
from workflow.models import CircuitRun, StepRun

from .. import services
from ..keys import MAX_PKCS12_BYTES, signer_from_upload, token_signer
from ..models import (
    Bordereau,
    PesAcquit,
    PesAttachment,
    PesFlow,
    PesImport,
    PesRetour,
    PesTransmission,
    PesVerificationReport,
    PlannedMandate,
)
from ..selectors import (
    is_treasury_only,
    pieces_of,
    visible_bordereaux,
    visible_flows,
    visible_imports,
)
from ..services._common import max_bytes, too_large
from ..services.sending import file_name_of
from . import serializers as s

UPLOADS = [MultiPartParser, FormParser]


def _input(serializer_class: Any, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _flow_queryset(request: Request) -> Any:
    return (
        visible_flows(request.user)
        .select_related("created_by")
        .prefetch_related(
            Prefetch("bordereaux", queryset=Bordereau.objects.order_by("position")),
            Prefetch("attachments", queryset=PesAttachment.objects.order_by("position")),
        )
    )


class FlowViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """PES flows of your collectivités (signed ones only for the treasury)."""

    filterset_fields = ["collectivite", "status", "source", "act"]
    search_fields = ["name", "file_name"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PesFlow.objects.none()
        return _flow_queryset(self.request).order_by("-created_at", "-pk")

    def get_serializer_class(self):
        return s.PesFlowListSerializer if self.action == "list" else s.PesFlowSerializer

    def _answer(self, flow: PesFlow, code: int = status.HTTP_200_OK) -> Response:
        fresh = _flow_queryset(self.request).get(pk=flow.pk)
        return Response(s.PesFlowSerializer(fresh).data, status=code)

    @extend_schema(
        request=s.PesImportInputSerializer,
        responses={201: s.PesFlowSerializer, 202: s.PesImportSerializer},
    )
    @action(detail=False, methods=["post"], parser_classes=UPLOADS, url_path="import")
    def import_file(self, request: Request) -> Response:
        """Import a PES_Aller (validated against the DGFiP XSD and the Hélios rules); a file
        with errors answers 400 with every problem (line, element, rule) and creates nothing.

        A file larger than DELIBRE_PES_BACKGROUND_BYTES (5 MB by default) is imported in the
        background: the answer is 202 with the import, to poll at ``/api/pes/imports/{id}/``
        (its ``progress``, then its ``flow`` or its ``issues``)."""
        if int(request.META.get("CONTENT_LENGTH") or 0) > max_bytes() + 1024 * 1024:
            raise too_large(max_bytes())  # before the body is read
        data = _input(s.PesImportInputSerializer, request)
        if data["file"].size > services.background_threshold():
            job = services.start_import(
                collectivite=data["collectivite"],
                actor=request.user,
                source=data["file"],
                name=data["file"].name,
            )
            job.refresh_from_db()  # without a broker it has run already
            return Response(s.PesImportSerializer(job).data, status=status.HTTP_202_ACCEPTED)
        flow = services.import_flow(
            collectivite=data["collectivite"],
            actor=request.user,
            source=data["file"],
            name=data["file"].name,
        )
        return self._answer(flow, status.HTTP_201_CREATED)

    @extend_schema(request=s.PesBuildInputSerializer, responses={201: s.PesFlowSerializer})
    @action(detail=False, methods=["post"])
    def build(self, request: Request) -> Response:
        """Build the flow paying out the mandats of an adopted deliberation."""
        data = _input(s.PesBuildInputSerializer, request)
        flow = services.build_flow(
            act=data["act"], actor=request.user, issued_on=data.get("issued_on")
        )
        return self._answer(flow, status.HTTP_201_CREATED)

    @extend_schema(request=s.PesStartInputSerializer, responses={201: s.PesFlowSerializer})
    @action(detail=True, methods=["post"], url_path="start-circuit")
    def start_circuit(self, request: Request, pk: str | None = None) -> Response:
        """Send the flow into its PES circuit (the default one, or the one chosen)."""
        data = _input(s.PesStartInputSerializer, request)
        flow = self.get_object()
        workflow.start_flow_circuit(flow=flow, actor=request.user, circuit=data.get("circuit"))
        return self._answer(flow, status.HTTP_201_CREATED)

    def _step(self, flow: PesFlow) -> StepRun:
        step = StepRun.objects.filter(
            run__flow=flow, run__status=RunStatus.ACTIVE, status=StepStatus.ACTIVE
        ).first()
        if step is None:
            raise Http404
        return step

    @extend_schema(request=s.PesVisaInputSerializer, responses=s.PesFlowSerializer)
    @action(detail=True, methods=["post"])
    def visa(self, request: Request, pk: str | None = None) -> Response:
        """Give your visa on the waiting visa step."""
        data = _input(s.PesVisaInputSerializer, request)
        flow = self.get_object()
        workflow.approve_step(step_run=self._step(flow), actor=request.user, **data)
        return self._answer(flow)

    @extend_schema(request=s.PesRejectInputSerializer, responses=s.PesFlowSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """Reject with a reason: the flow goes back to the finance service."""
        data = _input(s.PesRejectInputSerializer, request)
        flow = self.get_object()
        workflow.reject_step(step_run=self._step(flow), actor=request.user, **data)
        return self._answer(flow)

    @extend_schema(request=s.PesReasonInputSerializer, responses=s.PesFlowSerializer)
    @action(detail=True, methods=["post"])
    def recall(self, request: Request, pk: str | None = None) -> Response:
        """The sender takes the flow back while nobody has acted on it."""
        data = _input(s.PesReasonInputSerializer, request)
        flow = self.get_object()
        run = CircuitRun.objects.filter(flow=flow, status=RunStatus.ACTIVE).first()
        if run is None:
            raise Http404
        workflow.recall(run=run, actor=request.user, reason=data["reason"])
        return self._answer(flow)

    @extend_schema(request=s.PesSignInputSerializer, responses=s.PesFlowSerializer)
    @action(detail=True, methods=["post"], parser_classes=UPLOADS)
    def sign(self, request: Request, pk: str | None = None) -> Response:
        """Sign every bordereau at the signature step (PKCS#12 + password, or the token)."""
        data = _input(s.PesSignInputSerializer, request)
        flow = self.get_object()
        if data.get("use_token"):
            signer = token_signer()
        else:
            signer = signer_from_upload(
                data=data["certificate"].read(MAX_PKCS12_BYTES + 1), password=data["password"]
            )
        services.sign_flow(
            flow=flow,
            actor=request.user,
            signer=signer,
            on_behalf_of=data.get("on_behalf_of"),
            comment=data.get("comment", ""),
        )
        return self._answer(flow)

    @extend_schema(request=None, responses={202: s.PesTransmissionSerializer})
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: str | None = None) -> Response:
        """Queue the sending of the signed flow to the treasury (once)."""
        transmission = services.send_flow(flow=self.get_object(), actor=request.user)
        transmission.refresh_from_db()
        return Response(
            s.PesTransmissionSerializer(transmission).data, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(request=s.PesReasonInputSerializer, responses=s.PesFlowSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        data = _input(s.PesReasonInputSerializer, request)
        flow = services.withdraw_flow(
            flow=self.get_object(), actor=request.user, reason=data["reason"]
        )
        return self._answer(flow)

    @extend_schema(request=None, responses={201: s.PesVerificationReportSerializer})
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        """Verify every bordereau signature (the treasury's report); the report is kept."""
        report = services.verify_for_treasury(flow=self.get_object(), actor=request.user)
        return Response(
            s.PesVerificationReportSerializer(report).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=s.PesUploadInputSerializer, responses={201: s.PesAcquitSerializer})
    @action(detail=True, methods=["post"], parser_classes=UPLOADS)
    def acquit(self, request: Request, pk: str | None = None) -> Response:
        """Import the PES_ACQUIT answering this flow."""
        data = _input(s.PesUploadInputSerializer, request)
        flow = self.get_object()
        acquit = services.import_acquit(
            collectivite=flow.collectivite,
            actor=request.user,
            source=data["file"],
            name=data["file"].name,
            flow=flow,
        )
        return Response(s.PesAcquitSerializer(acquit).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "original", bool, description="The file as imported or built, unsigned."
            )
        ],
        responses={
            (200, "application/xml"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="The PES_Aller file."
            )
        },
    )
    @action(detail=True, methods=["get"])
    def file(self, request: Request, pk: str | None = None) -> FileResponse:
        """Download the flow as it is now (signed once signed), or the original."""
        flow = self.get_object()
        original = request.query_params.get("original") in ("1", "true")
        if original and is_treasury_only(request.user, flow.collectivite_id):
            raise Http404
        name = flow.original_file.name if original else flow.current_file.name
        response = FileResponse(
            default_storage.open(name, "rb"), as_attachment=True, filename=file_name_of(flow)
        )
        response["Content-Type"] = "application/xml"
        return response


class PiecePagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


class BordereauViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Bordereaux of the visible flows, and their pièces, paged."""

    serializer_class = s.PesBordereauSerializer
    filterset_fields = ["flow", "kind", "exercice", "status"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Bordereau.objects.none()
        return visible_bordereaux(self.request.user).order_by("flow_id", "position")

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="Tiers, objet, SIRET or number.")],
        responses=s.PesPieceSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def pieces(self, request: Request, pk: str | None = None) -> Response:
        """The pièces of the bordereau in file order (limit/offset, 50 by default)."""
        bordereau = self.get_object()
        paginator = PiecePagination()
        page = paginator.paginate_queryset(
            pieces_of(bordereau, q=(request.query_params.get("q") or "")[:100]), request, view=self
        )
        return paginator.get_paginated_response(s.PesPieceSerializer(page, many=True).data)


class _CollectiviteScoped(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    def scoped(self, queryset: Any) -> Any:
        return queryset.filter(collectivite_id__in=visible_collectivite_ids(self.request))


class ImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Flows imported in the background (large files): poll one for its progress and outcome."""

    serializer_class = s.PesImportSerializer
    filterset_fields = ["collectivite", "status"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PesImport.objects.none()
        return visible_imports(self.request.user).order_by("-created_at", "-pk")


class AcquitViewSet(_CollectiviteScoped):
    """Acknowledgements (PES_ACQUIT) received, and their import."""

    serializer_class = s.PesAcquitSerializer
    filterset_fields = ["collectivite", "flow", "accepted"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PesAcquit.objects.none()
        return (
            self.scoped(PesAcquit.objects.all())
            .filter(flow__in=visible_flows(self.request.user))
            .order_by("-imported_at", "-pk")
        )

    @extend_schema(request=s.PesReturnInputSerializer, responses={201: s.PesAcquitSerializer})
    def create(self, request: Request) -> Response:
        """Import a PES_ACQUIT; the flow it answers is found from the file unless given."""
        data = _input(s.PesReturnInputSerializer, request)
        flow = None
        if data.get("flow"):
            flow = visible_flows(request.user).filter(pk=data["flow"]).first()
            if flow is None:
                raise Http404
        acquit = services.import_acquit(
            collectivite=data["collectivite"],
            actor=request.user,
            source=data["file"],
            name=data["file"].name,
            flow=flow,
        )
        return Response(self.get_serializer(acquit).data, status=status.HTTP_201_CREATED)

    def get_parsers(self):
        return [parser() for parser in (*UPLOADS, JSONParser)]


class RetourViewSet(_CollectiviteScoped):
    """Returns (PES_Retour) kept, and their import."""

    serializer_class = s.PesRetourSerializer
    filterset_fields = ["collectivite", "flow"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PesRetour.objects.none()
        return self.scoped(PesRetour.objects.all()).order_by("-imported_at", "-pk")

    @extend_schema(request=s.PesReturnInputSerializer, responses={201: s.PesRetourSerializer})
    def create(self, request: Request) -> Response:
        data = _input(s.PesReturnInputSerializer, request)
        retour = services.import_retour(
            collectivite=data["collectivite"],
            actor=request.user,
            source=data["file"],
            name=data["file"].name,
        )
        return Response(self.get_serializer(retour).data, status=status.HTTP_201_CREATED)

    def get_parsers(self):
        return [parser() for parser in (*UPLOADS, JSONParser)]


class VerificationReportViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The treasury's verification reports of signed flows."""

    serializer_class = s.PesVerificationReportSerializer
    filterset_fields = ["flow", "valid"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PesVerificationReport.objects.none()
        return PesVerificationReport.objects.filter(
            flow__in=visible_flows(self.request.user)
        ).order_by("-created_at", "-pk")


class TransmissionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Sendings of flows to the treasury."""

    serializer_class = s.PesTransmissionSerializer
    filterset_fields = ["flow", "status", "connector"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PesTransmission.objects.none()
        return PesTransmission.objects.filter(flow__in=visible_flows(self.request.user)).order_by(
            "-created_at", "-pk"
        )


class PlannedMandateViewSet(viewsets.GenericViewSet):
    """The mandats an adopted deliberation decides (its table of beneficiaries)."""

    serializer_class = s.PlannedMandateSerializer
    queryset = PlannedMandate.objects.none()
    pagination_class = None

    def _act(self, act_pk: int) -> Act:
        act = Act.objects.filter(
            pk=act_pk, collectivite_id__in=visible_collectivite_ids(self.request)
        ).first()
        if act is None:
            raise Http404
        return act

    @extend_schema(responses=s.PlannedMandateSerializer(many=True))
    def list(self, request: Request, act_pk: int) -> Response:
        act = self._act(act_pk)
        rows = PlannedMandate.objects.filter(act=act).order_by("position")
        return Response(self.get_serializer(rows, many=True).data)

    @extend_schema(
        request=s.PesUploadInputSerializer, responses={201: s.PlannedMandateSerializer(many=True)}
    )
    def create(self, request: Request, act_pk: int) -> Response:
        """Record the table (CSV) of the mandats to issue, replacing the previous one."""
        act = self._act(act_pk)
        data = _input(s.PesUploadInputSerializer, request)
        rows = services.import_planned_mandates(
            act=act, actor=request.user, content=data["file"].read(2 * 1024 * 1024 + 1)
        )
        return Response(self.get_serializer(rows, many=True).data, status=status.HTTP_201_CREATED)

    def get_parsers(self):
        return [parser() for parser in UPLOADS]
