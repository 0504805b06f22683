"""Verification for anyone, without an account: upload a signed file, or follow the URL (and QR
code) printed on an act.

Uploads are bounded (``DELIBRE_MAX_VERIFY_BYTES``), parsed by pyHanko or lxml, validated without
any network request, and forgotten: nothing is stored.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.exceptions import DelibreError
from core.uploads import read_limited

from .. import selectors, services
from ..forms import VerifyForm


def check_upload(upload: Any) -> services.VerificationResult:
    """Read a bounded upload and verify it (raises a DelibreError with the reason)."""
    data = read_limited(upload, settings.DELIBRE_MAX_VERIFY_BYTES)
    return services.verify_bytes(data, allow_fetching=False)


def _signature_rows(report: dict[str, Any] | None) -> list[dict[str, Any]]:
    return list((report or {}).get("signatures", []))


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The public page: a citizen or the treasury checks a signed PDF (or a PES flow)."""
    form = VerifyForm(request.POST or None, request.FILES or None)
    result = None
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            result = check_upload(form.cleaned_data["file"])
        except DelibreError as exc:
            error = str(exc.message)
    data = result.as_dict() if result is not None else None
    return render(
        request,
        "signing/verify.html",
        {
            "form": form,
            "result": result,
            "data": data,
            "rows": _signature_rows((data or {}).get("report")) if result and result.pdf else [],
            "error": error,
        },
        status=400 if error else 200,
    )


@require_http_methods(["GET", "POST"])
def verify_act(request: HttpRequest, token: str) -> HttpResponse:
    """The page an act's QR code and URL lead to: its current signed version and report, and a
    form to check that a copy is that version."""
    documents = selectors.documents_with_token(token).select_related("act__collectivite")
    document = documents.order_by("-version").first()
    if document is None or document.act is None:
        raise Http404
    act = document.act
    version = selectors.current_act_version(act)
    report = selectors.latest_report(version) if version is not None else None
    form = VerifyForm(request.POST or None, request.FILES or None)
    result = None
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            result = check_upload(form.cleaned_data["file"])
        except DelibreError as exc:
            error = str(exc.message)
    same = None
    if result is not None:
        same = version is not None and result.sha256 == version.output_sha256
    return render(
        request,
        "signing/verify_act.html",
        {
            "act": act,
            "version": version,
            "report": report,
            "rows": _signature_rows(report.report if report else None),
            "form": form,
            "result": result,
            "same": same,
            "error": error,
            "title": _("Verification of act %(number)s") % {"number": act.number or "—"},
        },
        status=400 if error else 200,
    )
