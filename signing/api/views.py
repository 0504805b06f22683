"""REST endpoints of the signing app: parse input, call one service, answer.

Every user action of the pages has its endpoint: sign a step or a séance document, batch
signing and its progress, one's certificates, keys and trust settings, and the public
verification (no authentication). Lists hold the user's collectivités only; another
collectivité's object is a 404. Domain errors become 400/403/404/409 through
core.api.exception_handler, except an unreachable TSA or revocation service: 503.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from core.api_fields import visible_collectivite_ids
from core.uploads import read_limited
from deliberations.models import Collectivite
from exports.models import RenderedDocument
from workflow.models import CircuitStep, StepRun

from .. import selectors, services
from ..exceptions import TrustServiceUnavailable
from ..models import Signature, SigningBatch, TrustedRoot, UserCertificate
from ..services.certificates import MAX_PKCS12_BYTES
from . import serializers as s

T = TypeVar("T")


def _input(serializer_class: Any, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _unavailable(call: Callable[[], T]) -> T | Response:
    """Run a signing service; a TSA or revocation service down is a 503 (try again later)."""
    try:
        return call()
    except TrustServiceUnavailable as exc:
        return Response(
            {"detail": str(exc.message), "code": exc.code},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )


def _signatures_queryset(request: Request):  # type: ignore[no-untyped-def]
    return (
        Signature.objects.filter(collectivite_id__in=visible_collectivite_ids(request))
        .select_related("signer", "on_behalf_of")
        .prefetch_related("validation_reports")
        .order_by("document_id", "sequence")
    )


def _visible_collectivite(request: Request, pk: Any) -> Collectivite:
    if int(pk) not in visible_collectivite_ids(request):
        raise Http404
    return Collectivite.objects.get(pk=pk)


# --- Signing ------------------------------------------------------------------------------------


class SignStepView(GenericAPIView):
    """Sign (or seal) the act of a circuit step: the only way such a step is approved."""

    serializer_class = s.SignStepSerializer

    def get_queryset(self):
        return StepRun.objects.filter(
            run__act__collectivite_id__in=visible_collectivite_ids(self.request)
        ).select_related("run")

    @extend_schema(
        request=s.SignStepSerializer,
        responses={
            201: s.SignatureSerializer,
            503: OpenApiResponse(description="The TSA or a revocation service does not answer."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        step = self.get_object()
        data = _input(s.SignStepSerializer, request)
        result = _unavailable(
            lambda: services.sign_step(
                step_run=step,
                actor=request.user,
                certificate=data.get("certificate"),
                password=data.get("password"),
                use_seal=data["use_seal"],
                on_behalf_of=data.get("on_behalf_of"),
                comment=data["comment"],
            )
        )
        if isinstance(result, Response):
            return result
        return Response(
            s.SignatureSerializer(_signatures_queryset(request).get(pk=result.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class SignDocumentView(GenericAPIView):
    """Sign a closed séance's procès-verbal (or list of deliberations): its president and
    secretary, each with their certificate."""

    serializer_class = s.SignDocumentSerializer

    def get_queryset(self):
        return RenderedDocument.objects.filter(
            collectivite_id__in=visible_collectivite_ids(self.request)
        )

    @extend_schema(
        request=s.SignDocumentSerializer,
        responses={
            201: s.SignatureSerializer,
            503: OpenApiResponse(description="The TSA or a revocation service does not answer."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        document = self.get_object()
        data = _input(s.SignDocumentSerializer, request)
        result = _unavailable(
            lambda: services.sign_document(
                document=document,
                actor=request.user,
                certificate=data["certificate"],
                password=data["password"],
                field_name=data["field_name"],
            )
        )
        if isinstance(result, Response):
            return result
        return Response(
            s.SignatureSerializer(_signatures_queryset(request).get(pk=result.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class SignatureViewSet(viewsets.ReadOnlyModelViewSet):
    """Signed versions of documents (every signature, seal and archive timestamp)."""

    serializer_class = s.SignatureSerializer
    filterset_fields = ["act", "seance", "document", "kind"]

    def get_queryset(self):
        return _signatures_queryset(self.request)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def file(self, request: Request, pk: str | None = None) -> FileResponse:
        """The signed PDF of this version."""
        version = self.get_object()
        response = FileResponse(
            version.file.open("rb"),
            as_attachment=True,
            filename=f"signed-{version.document_id}-v{version.sequence}.pdf",
            content_type="application/pdf",
        )
        response["X-Content-SHA256"] = version.output_sha256
        return response

    @extend_schema(responses=s.ValidationReportSerializer(many=True))
    @action(detail=True, methods=["get"])
    def reports(self, request: Request, pk: str | None = None) -> Response:
        """Every validation report of this version, newest first."""
        version = self.get_object()
        reports = version.validation_reports.order_by("-validated_at", "-pk")
        return Response(s.ValidationReportSerializer(reports, many=True).data)


# --- Certificates -------------------------------------------------------------------------------


class CertificateViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Your own signing certificates (PKCS#12 uploaded once; password asked at each signature)."""

    serializer_class = s.CertificateSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return UserCertificate.objects.none()
        return selectors.certificates_of(self.request.user)

    @extend_schema(request=s.CertificateUploadSerializer, responses={201: s.CertificateSerializer})
    def create(self, request: Request) -> Response:
        data = _input(s.CertificateUploadSerializer, request)
        certificate = services.add_certificate(
            actor=request.user,
            data=data["file"].read(MAX_PKCS12_BYTES + 1),
            password=data["password"],
            label=data["label"],
        )
        return Response(s.CertificateSerializer(certificate).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Any) -> None:
        services.delete_certificate(certificate=instance, actor=self.request.user)


# --- Batches ------------------------------------------------------------------------------------


class BatchViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Batch signing: many signature steps, one password; poll a batch for its progress."""

    serializer_class = s.BatchSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SigningBatch.objects.none()
        return (
            SigningBatch.objects.filter(created_by=self.request.user)
            .prefetch_related("items__step_run__run")
            .order_by("-created_at", "-pk")
        )

    @extend_schema(
        request=s.BatchInputSerializer,
        responses={202: s.BatchSerializer},
        description="Starts the batch in the background (with no broker it runs at once).",
    )
    def create(self, request: Request) -> Response:
        data = _input(s.BatchInputSerializer, request)
        batch = services.start_batch(
            actor=request.user,
            collectivite=_visible_collectivite(request, data["collectivite"]),
            step_run_ids=data["step_runs"],
            certificate=data["certificate"],
            password=data["password"],
        )
        return Response(
            s.BatchSerializer(self.get_queryset().get(pk=batch.pk)).data,
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(responses=s.CandidateSerializer(many=True))
    @action(detail=False, methods=["get"])
    def candidates(self, request: Request) -> Response:
        """Signature steps waiting for you, in every collectivité of yours."""
        items = []
        for cid in visible_collectivite_ids(request):
            items += selectors.batch_candidates(request.user, collectivite_id=cid)
        return Response(s.CandidateSerializer(items, many=True).data)


# --- Keys and trust -----------------------------------------------------------------------------


class TrustedRootViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Certification authorities trusted by your collectivités (and by every collectivité)."""

    serializer_class = s.TrustedRootSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        ids = visible_collectivite_ids(self.request)
        return TrustedRoot.objects.filter(collectivite_id__in=ids) | TrustedRoot.objects.filter(
            collectivite__isnull=True
        )

    @extend_schema(request=s.TrustedRootInputSerializer, responses={201: s.TrustedRootSerializer})
    def create(self, request: Request) -> Response:
        data = _input(s.TrustedRootInputSerializer, request)
        collectivite = (
            _visible_collectivite(request, data["collectivite"])
            if data.get("collectivite") is not None
            else None
        )
        root = services.add_trusted_root(
            actor=request.user,
            pem=data["pem"].encode(),
            collectivite=collectivite,
            label=data["label"],
        )
        return Response(s.TrustedRootSerializer(root).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.TrustedRootSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str | None = None) -> Response:
        """Stop trusting this authority (administrators)."""
        root = services.set_trusted_root_active(
            root=self.get_object(), actor=request.user, active=False
        )
        return Response(s.TrustedRootSerializer(root).data)

    @extend_schema(request=None, responses=s.TrustedRootSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str | None = None) -> Response:
        """Trust this authority again (administrators)."""
        root = services.set_trusted_root_active(
            root=self.get_object(), actor=request.user, active=True
        )
        return Response(s.TrustedRootSerializer(root).data)


class SigningSettingsView(GenericAPIView):
    """The signing settings of one of your collectivités (TSA, level, revocation, seal)."""

    serializer_class = s.SigningSettingsSerializer

    @extend_schema(responses=s.SigningSettingsSerializer)
    def get(self, request: Request, collectivite_pk: int) -> Response:
        collectivite = _visible_collectivite(request, collectivite_pk)
        options = selectors.signing_settings_for(collectivite)
        data = s.SigningSettingsSerializer(options).data
        data["collectivite"] = collectivite.pk
        return Response(data)

    @extend_schema(request=s.SigningSettingsSerializer, responses=s.SigningSettingsSerializer)
    def patch(self, request: Request, collectivite_pk: int) -> Response:
        """Change some settings (administrators). Secrets are never sent: only the names of
        the environment variables that hold them on the server."""
        collectivite = _visible_collectivite(request, collectivite_pk)
        serializer = s.SigningSettingsSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        options = services.update_signing_settings(
            collectivite=collectivite, actor=request.user, **serializer.validated_data
        )
        data = s.SigningSettingsSerializer(options).data
        data["collectivite"] = collectivite.pk
        return Response(data)


class SealCheckView(GenericAPIView):
    serializer_class = s.SealCheckSerializer

    @extend_schema(request=None, responses=s.SealCheckSerializer)
    def post(self, request: Request, collectivite_pk: int) -> Response:
        """Load the server seal as a signature would and check its certificate (nothing is
        signed)."""
        collectivite = _visible_collectivite(request, collectivite_pk)
        check = services.check_seal(collectivite=collectivite, actor=request.user)
        return Response(
            {
                "usable": check.usable,
                "problem": check.problem,
                "certificate": check.certificate.as_dict(),
            }
        )


class StepPolicyView(GenericAPIView):
    serializer_class = s.StepPolicySerializer

    def get_queryset(self):
        return CircuitStep.objects.filter(
            circuit__collectivite_id__in=visible_collectivite_ids(self.request)
        ).select_related("circuit__collectivite")

    @extend_schema(request=s.StepPolicySerializer, responses=s.StepPolicySerializer)
    def put(self, request: Request, pk: int) -> Response:
        """Give a signature or seal step of a circuit its own level (or a named field); empty
        values bring it back to the collectivité's default (administrators)."""
        step = self.get_object()
        data = _input(s.StepPolicySerializer, request)
        policy = services.set_step_policy(
            step=step, actor=request.user, level=data["level"], field_name=data["field_name"]
        )
        return Response(
            {
                "level": policy.level if policy else "",
                "field_name": policy.field_name if policy else "",
            }
        )


# --- Public verification ------------------------------------------------------------------------


class VerifyView(GenericAPIView):
    """Verify a signed PDF (or PES flow): anyone, no account. Nothing is stored."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = s.VerifyUploadSerializer

    @extend_schema(request=s.VerifyUploadSerializer, responses=s.VerificationSerializer)
    def post(self, request: Request) -> Response:
        data = _input(s.VerifyUploadSerializer, request)
        content = read_limited(data["file"], settings.DELIBRE_MAX_VERIFY_BYTES)
        result = services.verify_bytes(content, allow_fetching=False)
        return Response(result.as_dict())


class ActVerificationView(GenericAPIView):
    """The verification of an act from the token printed on it (URL and QR code)."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    serializer_class = s.ActVerificationSerializer

    @extend_schema(responses=s.ActVerificationSerializer)
    def get(self, request: Request, token: str) -> Response:
        document = (
            selectors.documents_with_token(token)
            .select_related("act__collectivite")
            .order_by("-version")
            .first()
        )
        if document is None or document.act is None:
            raise Http404
        act = document.act
        version = selectors.current_act_version(act)
        report = selectors.latest_report(version) if version is not None else None
        return Response(
            {
                "act_number": act.number,
                "act_objet": act.objet,
                "collectivite": act.collectivite.name,
                "signed": version is not None,
                "version": version.sequence if version else None,
                "sha256": version.output_sha256 if version else None,
                "signed_at": version.signed_at if version else None,
                "all_valid": report.all_valid if report else None,
                "report": report.report if report else None,
            }
        )
