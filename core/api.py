"""REST plumbing shared by every app: domain errors become 4xx answers with a clear message."""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.exceptions import PermissionDenied as DRFPermissionDenied
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import DelibreError

_STATUS = {
    "invalid": status.HTTP_400_BAD_REQUEST,
    "forbidden": status.HTTP_403_FORBIDDEN,
    "not_found": status.HTTP_404_NOT_FOUND,
    "conflict": status.HTTP_409_CONFLICT,
    "unavailable": status.HTTP_503_SERVICE_UNAVAILABLE,
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DRFPermissionDenied | NotAuthenticated) or (
        isinstance(exc, DelibreError) and exc.kind == "forbidden"
    ):
        from .views import log_refusal

        log_refusal(context.get("request"), exc)
    if isinstance(exc, DelibreError):
        body: dict[str, Any] = {"detail": str(exc.message), "code": exc.code}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=_STATUS.get(exc.kind, status.HTTP_400_BAD_REQUEST))
    return drf_exception_handler(exc, context)
