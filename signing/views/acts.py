"""Signing from the act page (its signing panel), séance documents, and signed files.

Views parse one form, call one service and go back to the page; a refusal is shown as an error
message and changed nothing. Files are served only to members of the collectivité.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import DelibreError
from core.views import visible_or_404
from deliberations.models import Act, Seance, User
from exports.enums import DocumentKind
from exports.models import RenderedDocument
from workflow.models import StepRun

from .. import selectors, services
from ..forms import SealForm, SignForm
from ..models import Signature as SignedVersion
from ..services.signing import SEANCE_SIGNED_KINDS


def _report_flash(request: HttpRequest, version: SignedVersion) -> None:
    report = selectors.latest_report(version)
    messages.success(
        request,
        _("Signed at level %(level)s and validated: every signature of the document is valid.")
        % {"level": version.level}
        if report is not None and report.all_valid
        else _("Signed."),
    )


def _behalf(value: Any) -> User | None:
    return User.objects.filter(pk=value).first() if value else None


# --- The act page's panel -----------------------------------------------------------------------


def act_signing_context(request: HttpRequest, act: Act) -> dict[str, Any]:
    """Context of templates/signing/_act_signing_panel.html (used by the template tag)."""
    panel = selectors.signing_panel_for(act, request.user)
    certificates = selectors.certificates_of(request.user).filter(
        pk__in=[c.pk for c in panel.certificates]
    )
    initial = {"on_behalf_of": panel.on_behalf_of.pk if panel.on_behalf_of else None}
    return {
        "act": act,
        "panel": panel,
        "sign_form": SignForm(certificates=certificates, initial=initial),
        "seal_form": SealForm(initial=initial),
        "csrf_token": get_token(request),
        "request": request,
    }


@login_required
@require_POST
def sign_step(request: HttpRequest, pk: int) -> HttpResponse:
    step = visible_or_404(
        StepRun.objects.select_related("run"), request, scope="run__act__collectivite_id", pk=pk
    )
    target = reverse("act-detail", args=[step.run.act_id]) + "#signing"
    seal = step.kind == "seal"
    form: SignForm | SealForm
    if seal:
        form = SealForm(request.POST)
    else:
        form = SignForm(request.POST, certificates=selectors.certificates_of(request.user))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(target)
    data = form.cleaned_data
    try:
        version = services.sign_step(
            step_run=step,
            actor=request.user,
            certificate=data.get("certificate"),
            password=data.get("password"),
            use_seal=seal,
            on_behalf_of=_behalf(data.get("on_behalf_of")),
            comment=data.get("comment", ""),
        )
    except DelibreError as exc:
        messages.error(request, str(exc.message))
        return redirect(target)
    _report_flash(request, version)
    return redirect(target)


# --- Signed versions ----------------------------------------------------------------------------


def _version(request: HttpRequest, pk: int) -> SignedVersion:
    return visible_or_404(
        SignedVersion.objects.select_related("document", "act", "seance"), request, pk=pk
    )


def download_name(version: SignedVersion) -> str:
    if version.act is not None:
        stem = version.act.number or f"acte-{version.act_id}"
    elif version.seance is not None:
        stem = f"{version.document.kind}-{version.seance.date:%Y-%m-%d}"
    else:
        stem = f"document-{version.document_id}"
    return f"{stem}-signe-v{version.sequence}.pdf"


@login_required
@require_GET
def version_file(request: HttpRequest, pk: int) -> FileResponse:
    """A signed version's PDF (every version is kept)."""
    version = _version(request, pk)
    response = FileResponse(
        version.file.open("rb"),
        as_attachment=True,
        filename=download_name(version),
        content_type="application/pdf",
    )
    response["X-Content-SHA256"] = version.output_sha256
    return response


@login_required
@require_GET
def version_report(request: HttpRequest, pk: int) -> JsonResponse:
    """The latest validation report of a signed version, as JSON."""
    report = selectors.latest_report(_version(request, pk))
    if report is None:
        raise Http404
    return JsonResponse(report.report, json_dumps_params={"ensure_ascii": False, "indent": 2})


# --- Séance documents (procès-verbal) ----------------------------------------------------------


@login_required
def seance_signatures(request: HttpRequest, pk: int) -> HttpResponse:
    """The séance's documents signed by its president and secretary, and the form to sign."""
    seance = visible_or_404(
        Seance.objects.select_related(
            "assembly", "president__official__user", "secretary__official__user"
        ),
        request,
        pk=pk,
    )
    rows = []
    for kind in SEANCE_SIGNED_KINDS:
        document = RenderedDocument.objects.filter(
            seance=seance, kind=kind, is_current=True
        ).first()
        versions = list(selectors.versions_of(document)) if document is not None else []
        signed = {v.field_name for v in versions}
        mine = [
            f["name"]
            for f in (document.signature_fields if document is not None else [])
            if getattr(selectors.seance_signer(seance, f["name"]), "pk", None) == request.user.pk
            and f["name"] not in signed
        ]
        rows.append(
            {
                "kind": DocumentKind(kind),
                "document": document,
                "versions": versions,
                "current": versions[-1] if versions else None,
                "report": selectors.latest_report(versions[-1]) if versions else None,
                "mine": mine,
            }
        )
    return render(
        request,
        "signing/seance_signatures.html",
        {
            "seance": seance,
            "rows": rows,
            "form": SignForm(certificates=selectors.certificates_of(request.user)),
        },
    )


@login_required
@require_POST
def sign_seance_document(request: HttpRequest, pk: int) -> HttpResponse:
    document = visible_or_404(RenderedDocument.objects.all(), request, pk=pk)
    if document.seance_id is None:
        raise Http404
    target = reverse("signing:seance", args=[document.seance_id])
    form = SignForm(request.POST, certificates=selectors.certificates_of(request.user))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(target)
    try:
        version = services.sign_document(
            document=document,
            actor=request.user,
            certificate=form.cleaned_data["certificate"],
            password=form.cleaned_data["password"],
            field_name=request.POST.get("field_name", ""),
        )
    except DelibreError as exc:
        messages.error(request, str(exc.message))
        return redirect(target)
    _report_flash(request, version)
    return redirect(target)
