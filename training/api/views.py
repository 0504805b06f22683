"""REST endpoints of the training sandboxes: list, create, reset (administrators)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from deliberations.models import Collectivite

from .. import selectors, services
from . import serializers as s


class SandboxViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.SandboxSerializer
    queryset = Collectivite.objects.none()

    def get_queryset(self):
        return selectors.sandboxes_for(self.request.user)

    @extend_schema(request=s.SandboxCreateSerializer, responses={201: s.SandboxCreatedSerializer})
    def create(self, request: Request) -> Response:
        """Create a sandbox with the demo data; the answer holds its logins and password (once)."""
        data = s.SandboxCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sandbox = services.create_sandbox(actor=request.user, name=data.validated_data["name"])
        return Response(
            {
                "sandbox": s.SandboxSerializer(sandbox.collectivite).data,
                "usernames": sandbox.usernames,
                "password": sandbox.password,
            },
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses={200: s.SandboxResetSerializer})
    @action(detail=True, methods=["post"])
    def reset(self, request: Request, pk: str | None = None) -> Response:
        """Delete the sandbox's data and load the demo again (the journal is kept)."""
        collectivite = self.get_object()
        if not selectors.can_reset(request.user, collectivite):
            raise Http404
        sandbox = services.reset_sandbox(collectivite=collectivite, actor=request.user)
        assert sandbox.purged is not None
        return Response(
            {
                "sandbox": s.SandboxSerializer(sandbox.collectivite).data,
                "deleted": sandbox.purged.rows,
                "files": len(sandbox.purged.files),
            }
        )
