"""Pages of the treasury flows: list, import, the "visionneuse PES" a signer reads, the signing
panel, sending, acknowledgements, the treasury's view, building from a deliberation.

Each view parses one form, calls one service and renders (or redirects); who may do what is
decided by the services, and another collectivité's flow is a 404 (selectors.visible_flows).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import DelibreError
from core.views import perform, visible_or_404
from deliberations.enums import ActType, Role
from deliberations.models import Act, User
from deliberations.permissions import has_role
from deliberations.views._common import current_collectivite_or_404
from workflow import services as workflow
from workflow.enums import RunStatus, StepStatus
from workflow.lifecycles import PesFlowFlow
from workflow.models import CircuitRun, StepRun

from . import services
from .acquit import ACK_DOMAINS, ACK_ERRORS
from .attachments import extract_attachment
from .enums import FINANCE_ROLES, TREASURY_STATUSES, BordereauKind, ImportStatus, PesFlowStatus
from .exceptions import PesMandatesInvalid
from .forms import (
    BuildForm,
    CommentForm,
    FlowFilterForm,
    ImportForm,
    ReasonForm,
    SettingsForm,
    SignForm,
    StartForm,
    UploadForm,
)
from .keys import MAX_PKCS12_BYTES, signer_from_upload, token_signer
from .models import (
    PesAcquit,
    PesAttachment,
    PesImport,
    PesRetour,
    PesVerificationReport,
    PlannedMandate,
)
from .selectors import (
    is_treasury_only,
    panel_for,
    pieces_page,
    treasury_flows,
    visible_flows,
    visible_imports,
)
from .services._common import stored_copy
from .services.building import PAYABLE

#: A flow an acknowledgement may answer: sent, or already answered (a later acquit).
ACQUIT_STATUSES = (
    PesFlowStatus.SENT,
    PesFlowStatus.ACKNOWLEDGED,
    PesFlowStatus.PARTLY_ACCEPTED,
    PesFlowStatus.REJECTED,
)


def _flow(request: HttpRequest, pk: int) -> Any:
    flow = visible_flows(request.user).select_related("collectivite", "created_by", "act")
    found = flow.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def _page(flow: Any, anchor: str = "") -> str:
    return reverse("pes-flow-detail", args=[flow.pk]) + (f"#{anchor}" if anchor else "")


def _form_errors(request: HttpRequest, form: Any) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def _behalf(value: Any) -> User | None:
    return User.objects.filter(pk=value).first() if value else None


def _file(name: str, download_name: str, content_type: str = "application/xml") -> FileResponse:
    from django.core.files.storage import default_storage

    response = FileResponse(
        default_storage.open(name, "rb"), as_attachment=True, filename=download_name
    )
    response["Content-Type"] = content_type
    return response


# --- list and import --------------------------------------------------------------------------


@login_required
def flow_list(request: HttpRequest) -> HttpResponse:
    collectivite = current_collectivite_or_404(request)
    form = FlowFilterForm(request.GET or None)
    flows = visible_flows(request.user, collectivite_id=collectivite.pk).select_related(
        "created_by"
    )
    if form.is_valid():
        data = form.cleaned_data
        if q := data["q"]:
            flows = flows.filter(
                Q(name__icontains=q) | Q(file_name__icontains=q) | Q(libelle_col_bud__icontains=q)
            )
        if data["status"]:
            flows = flows.filter(status=data["status"])
        if data["source"]:
            flows = flows.filter(source=data["source"])
        if data["exercice"]:
            flows = flows.filter(bordereaux__exercice=data["exercice"]).distinct()
    page = Paginator(flows.order_by("-created_at", "-pk"), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "pes/flow_list.html",
        {
            "page": page,
            "form": form,
            "finance": has_role(request.user, collectivite, *FINANCE_ROLES),
            "treasury_only": is_treasury_only(request.user, collectivite.pk),
            "admin": has_role(request.user, collectivite, Role.ADMIN),
        },
    )


@login_required
def flow_import(request: HttpRequest) -> HttpResponse:
    collectivite = current_collectivite_or_404(request)
    issues: list[Any] = []
    # Refused on its announced size before the body is read (reading request.POST would
    # store the whole upload first).
    too_large = request.method == "POST" and _content_length(request) > _max_upload()
    refusal = _("The file is larger than the limit: it was not read.") if too_large else ""
    form = ImportForm() if too_large else ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and not too_large and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > services.background_threshold():
                job = services.start_import(
                    collectivite=collectivite, actor=request.user, source=upload, name=upload.name
                )
                return redirect("pes-import-detail", job.pk)
            flow = services.import_flow(
                collectivite=collectivite, actor=request.user, source=upload, name=upload.name
            )
        except DelibreError as exc:
            form.add_error(None, str(exc.message))
            issues = list(getattr(exc, "issues", []) or [])
        else:
            messages.success(
                request,
                _("The flow was imported: %(count)d bordereau(x), %(pieces)d pièce(s).")
                % {"count": flow.bordereau_count, "pieces": flow.piece_count},
            )
            return redirect("pes-flow-detail", flow.pk)
    return render(
        request, "pes/flow_import.html", {"form": form, "issues": issues, "refusal": refusal}
    )


def _import(request: HttpRequest, pk: int) -> PesImport:
    found = visible_imports(request.user).select_related("flow").filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def _import_context(job: PesImport) -> dict[str, Any]:
    return {"job": job, "progress": services.import_progress(job)}


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A large flow being imported in the background: its progress, then its outcome."""
    job = _import(request, pk)
    return render(request, "pes/import_detail.html", _import_context(job))


@login_required
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment polled every second while the import waits or runs; once the flow
    is imported the browser goes to its page."""
    job = _import(request, pk)
    response = render(request, "pes/_import_progress.html", _import_context(job))
    if job.status == ImportStatus.DONE and job.flow_id is not None:
        response["HX-Redirect"] = reverse("pes-flow-detail", args=[job.flow_id])
    return response


def _content_length(request: Any) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _max_upload() -> int:
    from .services._common import max_bytes

    return max_bytes() + 1024 * 1024  # the multipart envelope around the file


# --- the visionneuse --------------------------------------------------------------------------


@login_required
def flow_detail(request: HttpRequest, pk: int) -> HttpResponse:
    flow = _flow(request, pk)
    panel = panel_for(flow, request.user)
    bordereaux = list(flow.bordereaux.order_by("position"))
    for bordereau in bordereaux:  # Hélios' anomalies, in the reader's language
        bordereau.anomalies = [
            dict(error, text=str(ACK_ERRORS.get(error.get("code") or "", error.get("code") or "")))
            for error in bordereau.ack_errors
        ]
    acquits = list(flow.acquits.select_related("imported_by").order_by("-imported_at")[:20])
    for acquit in acquits:
        acquit.rows = [
            dict(e, label=str(ACK_DOMAINS.get(e.get("domain") or "", e.get("domain") or "")))
            for e in acquit.elements
        ]
    context = {
        "flow": flow,
        "panel": panel,
        "bordereaux": bordereaux,
        "attachments": list(flow.attachments.order_by("position")),
        "acquits": acquits,
        "retours": list(flow.retours.order_by("-imported_at")[:20]),
        "reports": list(
            flow.verification_reports.select_related("requested_by").order_by("-created_at")[:10]
        ),
        "transmissions": list(flow.transmissions.order_by("-created_at")),
        "today": timezone.localdate(),
        "can": {
            "withdraw": PesFlowFlow(flow).can("withdraw"),
            "acquit": flow.status in ACQUIT_STATUSES,
            "verify": flow.status in TREASURY_STATUSES,
        },
        "forms": {
            "start": StartForm(circuits=panel.startable) if panel.startable else None,
            "visa": CommentForm(),
            "reject": ReasonForm(),
            "recall": ReasonForm(),
            "withdraw": ReasonForm(),
        },
    }
    return render(request, "pes/flow_detail.html", context)


@login_required
def bordereau_detail(request: HttpRequest, pk: int, bordereau_pk: int) -> HttpResponse:
    flow = _flow(request, pk)
    bordereau = flow.bordereaux.filter(pk=bordereau_pk).first()
    if bordereau is None:
        raise Http404
    q = (request.GET.get("q") or "").strip()[:100]
    page = pieces_page(bordereau, page=request.GET.get("page"), q=q)
    attachments = {a.id_unique: a for a in flow.attachments.all()}
    for piece in page.object_list:
        piece.attachment_links = [(ref, attachments.get(ref)) for ref in piece.pj_refs]
    template = "pes/_pieces.html" if request.htmx else "pes/bordereau_detail.html"
    return render(
        request,
        template,
        {"flow": flow, "bordereau": bordereau, "page": page, "q": q},
    )


@login_required
def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    flow = _flow(request, pk)
    attachment = PesAttachment.objects.filter(flow=flow, pk=attachment_pk).first()
    if attachment is None:
        raise Http404
    with stored_copy(flow.current_file.name) as path:
        found = extract_attachment(path, attachment.id_unique)
    if found is None:
        raise Http404
    content, name, mime = found
    response = HttpResponse(content, content_type=mime)
    response["Content-Disposition"] = f'inline; filename="{_safe(name)}"'
    response["Content-Security-Policy"] = "sandbox"
    return response


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:100] or "piece"


@login_required
def flow_download(request: HttpRequest, pk: int, original: bool = False) -> FileResponse:
    flow = _flow(request, pk)
    if original:
        if is_treasury_only(request.user, flow.collectivite_id):
            raise Http404
        return _file(flow.original_file.name, _safe(flow.name))
    from .services.sending import file_name_of

    return _file(flow.current_file.name, file_name_of(flow))


# --- circuit ----------------------------------------------------------------------------------


def _active_step(flow: Any) -> StepRun:
    step = (
        StepRun.objects.filter(
            run__flow=flow, run__status=RunStatus.ACTIVE, status=StepStatus.ACTIVE
        )
        .select_related("run")
        .first()
    )
    if step is None:
        raise Http404
    return step


@login_required
@require_POST
def flow_start(request: HttpRequest, pk: int) -> HttpResponse:
    flow = _flow(request, pk)
    form = StartForm(request.POST, circuits=workflow.pes_circuits(flow.collectivite_id))
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(_page(flow, "circuit"))
    _result, response = perform(
        request,
        lambda: workflow.start_flow_circuit(
            flow=flow, actor=request.user, circuit=form.cleaned_data["circuit"]
        ),
        success=_("The flow was sent into its circuit."),
        redirect_to=_page(flow, "circuit"),
    )
    return response


@login_required
@require_POST
def flow_visa(request: HttpRequest, pk: int) -> HttpResponse:
    flow = _flow(request, pk)
    step = _active_step(flow)
    form = CommentForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    _result, response = perform(
        request,
        lambda: workflow.approve_step(
            step_run=step,
            actor=request.user,
            comment=data.get("comment") or "",
            on_behalf_of=_behalf(data.get("on_behalf_of")),
        ),
        success=_("Your visa was recorded."),
        redirect_to=_page(flow, "circuit"),
    )
    return response


@login_required
@require_POST
def flow_reject(request: HttpRequest, pk: int) -> HttpResponse:
    flow = _flow(request, pk)
    step = _active_step(flow)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(_page(flow, "circuit"))
    data = form.cleaned_data
    _result, response = perform(
        request,
        lambda: workflow.reject_step(
            step_run=step,
            actor=request.user,
            reason=data["reason"],
            on_behalf_of=_behalf(data.get("on_behalf_of")),
        ),
        success=_("The flow was rejected and returned to the finance service."),
        redirect_to=_page(flow, "circuit"),
    )
    return response


@login_required
@require_POST
def flow_recall(request: HttpRequest, pk: int) -> HttpResponse:
    flow = _flow(request, pk)
    run = CircuitRun.objects.filter(flow=flow, status=RunStatus.ACTIVE).first()
    if run is None:
        raise Http404
    form = ReasonForm(request.POST)
    form.is_valid()
    _result, response = perform(
        request,
        lambda: workflow.recall(
            run=run, actor=request.user, reason=form.cleaned_data.get("reason", "")
        ),
        success=_("The flow was recalled."),
        redirect_to=_page(flow, "circuit"),
    )
    return response


@login_required
def flow_sign(request: HttpRequest, pk: int) -> HttpResponse:
    """The signing panel: the totals signed, the key, the password; one action for the flow."""
    flow = _flow(request, pk)
    panel = panel_for(flow, request.user)
    form = SignForm(request.POST or None, request.FILES or None, token=panel.token)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["method"] == SignForm.TOKEN:
                signer = token_signer()
            else:
                upload = data["certificate"]
                signer = signer_from_upload(
                    data=upload.read(MAX_PKCS12_BYTES + 1), password=data["password"]
                )
            services.sign_flow(
                flow=flow,
                actor=request.user,
                signer=signer,
                on_behalf_of=_behalf(data.get("on_behalf_of")),
                comment=data.get("comment") or "",
            )
        except DelibreError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(
                request,
                _("The %(count)d bordereau(x) of the flow are signed.")
                % {"count": flow.bordereau_count},
            )
            return redirect(_page(flow, "circuit"))
    return render(
        request,
        "pes/flow_sign.html",
        {
            "flow": flow,
            "panel": panel,
            "form": form,
            "bordereaux": list(flow.bordereaux.order_by("position")),
        },
    )


@login_required
@require_POST
def flow_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    flow = _flow(request, pk)
    form = ReasonForm(request.POST)
    form.is_valid()
    _result, response = perform(
        request,
        lambda: services.withdraw_flow(
            flow=flow, actor=request.user, reason=form.cleaned_data.get("reason", "")
        ),
        success=_("The flow was withdrawn."),
        redirect_to=_page(flow),
    )
    return response


# --- sending and returns ----------------------------------------------------------------------


@login_required
@require_POST
def flow_send(request: HttpRequest, pk: int) -> HttpResponse:
    flow = _flow(request, pk)
    _result, response = perform(
        request,
        lambda: services.send_flow(flow=flow, actor=request.user),
        success=_("The flow is being sent to the treasury."),
        redirect_to=_page(flow, "sending"),
    )
    return response


@login_required
@require_POST
def transmission_retry(request: HttpRequest, pk: int) -> HttpResponse:
    flow = _flow(request, pk)
    transmission = flow.transmissions.filter(pk=request.POST.get("transmission") or 0).first()
    if transmission is None:
        raise Http404
    _result, response = perform(
        request,
        lambda: services.retry_transmission(transmission=transmission, actor=request.user),
        success=_("Délibre tries again to send the flow."),
        redirect_to=_page(flow, "sending"),
    )
    return response


@login_required
@require_POST
def flow_acquit(request: HttpRequest, pk: int) -> HttpResponse:
    flow = _flow(request, pk)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(_page(flow, "acquits"))
    upload = form.cleaned_data["file"]
    _result, response = perform(
        request,
        lambda: services.import_acquit(
            collectivite=flow.collectivite,
            actor=request.user,
            source=upload,
            name=upload.name,
            flow=flow,
        ),
        success=_("The acknowledgement was imported."),
        redirect_to=_page(flow, "acquits"),
    )
    return response


@login_required
def returns(request: HttpRequest) -> HttpResponse:
    """Acknowledgements and returns of the collectivité; import one not tied to a flow yet."""
    collectivite = current_collectivite_or_404(request)
    if not has_role(request.user, collectivite, *FINANCE_ROLES, Role.TREASURY):
        raise Http404
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        head = upload.read(8192)
        upload.seek(0)
        call = services.import_retour if b"PES_Retour" in head else services.import_acquit
        _result, response = perform(
            request,
            lambda: call(
                collectivite=collectivite, actor=request.user, source=upload, name=upload.name
            ),
            success=_("The file was imported."),
            redirect_to=reverse("pes-returns"),
            form=form,
        )
        if response is not None:
            return response
    return render(
        request,
        "pes/returns.html",
        {
            "form": form,
            "acquits": PesAcquit.objects.filter(collectivite=collectivite)
            .select_related("flow")
            .order_by("-imported_at")[:100],
            "retours": PesRetour.objects.filter(collectivite=collectivite)
            .select_related("flow")
            .order_by("-imported_at")[:100],
            "finance": has_role(request.user, collectivite, *FINANCE_ROLES),
        },
    )


@login_required
def return_download(request: HttpRequest, kind: str, pk: int) -> FileResponse:
    collectivite = current_collectivite_or_404(request)
    if not has_role(request.user, collectivite, *FINANCE_ROLES, Role.TREASURY):
        raise Http404
    model = PesAcquit if kind == "acquit" else PesRetour
    row = visible_or_404(model.objects.all(), request, pk=pk)
    return _file(row.file.name, _safe(row.name))


# --- treasury ---------------------------------------------------------------------------------


@login_required
def treasury(request: HttpRequest) -> HttpResponse:
    collectivite = current_collectivite_or_404(request)
    flows = treasury_flows(request.user, collectivite.pk)
    page = Paginator(flows, 25).get_page(request.GET.get("page"))
    return render(request, "pes/treasury.html", {"page": page})


@login_required
@require_POST
def flow_verify(request: HttpRequest, pk: int) -> HttpResponse:
    flow = _flow(request, pk)
    report, response = perform(
        request,
        lambda: services.verify_for_treasury(flow=flow, actor=request.user),
        success=_("The signatures were verified; the report is kept."),
        redirect_to=_page(flow, "reports"),
    )
    if report is not None:
        return redirect("pes-report", flow.pk, report.pk)
    return response


@login_required
def report_detail(request: HttpRequest, pk: int, report_pk: int) -> HttpResponse:
    flow = _flow(request, pk)
    report = (
        PesVerificationReport.objects.filter(flow=flow, pk=report_pk)
        .select_related("requested_by")
        .first()
    )
    if report is None:
        raise Http404
    rows = []
    for row in report.bordereaux:
        shown = dict(row, kind_label=BordereauKind(row["kind"]).label)
        for key in ("signing_time", "certificate_not_after", "certificate_not_before"):
            shown[key] = dt.datetime.fromisoformat(row[key]) if row.get(key) else None
        rows.append(shown)
    return render(request, "pes/report.html", {"flow": flow, "report": report, "rows": rows})


# --- building from a deliberation -----------------------------------------------------------


@login_required
def build_list(request: HttpRequest) -> HttpResponse:
    collectivite = current_collectivite_or_404(request)
    if not has_role(request.user, collectivite, *FINANCE_ROLES):
        raise Http404
    acts = (
        Act.objects.filter(
            collectivite=collectivite, act_type=ActType.DELIBERATION, status__in=PAYABLE
        )
        .exclude(pes_flows__status__in=[s for s in PesFlowStatus if s != PesFlowStatus.WITHDRAWN])
        .order_by("-decision_date", "-pk")
    )
    page = Paginator(acts, 25).get_page(request.GET.get("page"))
    return render(request, "pes/build_list.html", {"page": page})


@login_required
def build(request: HttpRequest, act_pk: int) -> HttpResponse:
    collectivite = current_collectivite_or_404(request)
    if not has_role(request.user, collectivite, *FINANCE_ROLES):
        raise Http404
    act = visible_or_404(Act.objects.select_related("collectivite"), request, pk=act_pk)
    uploading = request.method == "POST" and "upload" in request.POST
    building = request.method == "POST" and "build" in request.POST
    upload_form = UploadForm(request.POST if uploading else None, request.FILES or None)
    build_form = BuildForm(request.POST if building else None)
    problems: list[str] = []
    if uploading and upload_form.is_valid():
        try:
            services.import_planned_mandates(
                act=act, actor=request.user, content=upload_form.cleaned_data["file"].read()
            )
        except PesMandatesInvalid as exc:
            upload_form.add_error(None, str(exc.message))
            problems = exc.problems
        except DelibreError as exc:
            upload_form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("The mandats to issue were recorded."))
            return redirect("pes-build", act.pk)
    if building and build_form.is_valid():
        flow, response = perform(
            request,
            lambda: services.build_flow(
                act=act, actor=request.user, issued_on=build_form.cleaned_data["issued_on"]
            ),
            success=_("The PES flow was built."),
            redirect_to=reverse("pes-build", args=[act.pk]),
        )
        if flow is not None:
            return redirect("pes-flow-detail", flow.pk)
        return response  # type: ignore[return-value]
    mandates = list(PlannedMandate.objects.filter(act=act).order_by("position"))
    return render(
        request,
        "pes/build.html",
        {
            "act": act,
            "mandates": mandates,
            "total": sum((m.amount for m in mandates), 0),
            "upload_form": upload_form,
            "build_form": build_form,
            "problems": problems,
            "flow": act.pes_flows.exclude(status=PesFlowStatus.WITHDRAWN).first(),
        },
    )


# --- settings ---------------------------------------------------------------------------------


@login_required
def pes_settings(request: HttpRequest) -> HttpResponse:
    collectivite = current_collectivite_or_404(request)
    if not has_role(request.user, collectivite, Role.ADMIN):
        raise Http404
    current = services.settings_of(collectivite)
    initial = {
        "connector": current.connector,
        "drop_folder": current.drop_folder,
        "inbox_folder": current.inbox_folder,
        "inbox_user": current.inbox_user_id,
    }
    form = SettingsForm(request.POST or None, initial=initial, collectivite=collectivite)
    if request.method == "POST" and form.is_valid():
        _result, response = perform(
            request,
            lambda: services.update_settings(
                collectivite=collectivite, actor=request.user, **form.cleaned_data
            ),
            success=_("The settings were saved."),
            redirect_to=reverse("pes-settings"),
            form=form,
        )
        if response is not None:
            return response
    from .connectors import default_folder

    return render(
        request,
        "pes/settings.html",
        {
            "form": form,
            "default_drop": default_folder("outbox", collectivite.slug),
            "default_inbox": default_folder("inbox", collectivite.slug),
        },
    )
