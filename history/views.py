"""The administrators' page of the history import: upload, check (dry run), then confirm."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import DelibreError
from core.views import visible_or_404
from deliberations.enums import Role
from deliberations.models import Collectivite
from deliberations.permissions import has_role
from deliberations.views._common import current_collectivite_or_404

from . import selectors, services, uploads
from .exceptions import ImportRefused
from .forms import ImportUploadForm
from .models import ImportBatch
from .report import ImportReport


def _admin_collectivite(request: HttpRequest) -> Collectivite:
    collectivite = current_collectivite_or_404(request)
    if not has_role(request.user, collectivite, Role.ADMIN):
        raise Http404
    return collectivite


def _page(
    request: HttpRequest,
    collectivite: Collectivite,
    *,
    form: ImportUploadForm | None = None,
    report: ImportReport | None = None,
    pending: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "history/import.html",
        {
            "tab": "history",
            "collectivite": collectivite,
            "form": form or ImportUploadForm(),
            "report": report,
            "problems": report.sorted_problems() if report else [],
            "pending": pending,
            "can_confirm": bool(report and report.ok and report.has_changes and pending),
            "batches": selectors.batches_of(collectivite)[:20],
        },
        status=status,
    )


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    collectivite = _admin_collectivite(request)
    return _page(request, collectivite)


def _run(
    request: HttpRequest, collectivite: Collectivite, pending: dict[str, Any], *, dry_run: bool
):
    return services.import_history(
        collectivite=collectivite,
        actor=request.user,
        manifest=uploads.read(pending, "manifest") or b"",
        manifest_name=pending["names"].get("manifest", ""),
        files=uploads.files_of(pending),
        officials=uploads.read(pending, "officials"),
        officials_name=pending["names"].get("officials", ""),
        classification=uploads.read(pending, "classification"),
        classification_name=pending["names"].get("classification", ""),
        dry_run=dry_run,
        source="upload",
    )


@login_required
@require_POST
def check(request: HttpRequest) -> HttpResponse:
    """Step 1: keep the uploads and show the dry run's report (nothing is imported)."""
    collectivite = _admin_collectivite(request)
    form = ImportUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, collectivite, form=form, status=400)
    pending = uploads.keep(
        request.session,
        collectivite.pk,
        {kind: form.cleaned_data.get(kind) for kind in uploads.KINDS},
    )
    try:
        report = _run(request, collectivite, pending, dry_run=True)
    except DelibreError as exc:
        uploads.discard(request.session)
        form.add_error(None, str(exc.message))
        return _page(request, collectivite, form=form, status=400)
    if not report.ok:
        uploads.discard(request.session)
        return _page(request, collectivite, report=report)
    return _page(request, collectivite, report=report, pending=pending)


@login_required
@require_POST
def confirm(request: HttpRequest) -> HttpResponse:
    """Step 2: import what was checked (checked again: nothing is written if anything fails)."""
    collectivite = _admin_collectivite(request)
    pending = uploads.current(request.session, collectivite.pk)
    if pending is None or request.POST.get("token") != pending["token"]:
        messages.error(request, _("Upload the manifest and check it again: nothing was imported."))
        return redirect("history:import")
    try:
        report = _run(request, collectivite, pending, dry_run=False)
    except ImportRefused as exc:
        uploads.discard(request.session)
        messages.error(request, str(exc.message))
        return _page(request, collectivite, report=exc.report, status=400)
    except DelibreError as exc:
        uploads.discard(request.session)
        messages.error(request, str(exc.message))
        return redirect("history:import")
    uploads.discard(request.session)
    if report.batch_id is None:
        messages.info(request, services.nothing_new_message(report))
        return redirect("history:import")
    messages.success(
        request,
        _("%(count)d acts imported in %(seconds).1f s.")
        % {"count": report.counts.get("new", 0), "seconds": report.seconds},
    )
    return redirect("history:batch", pk=report.batch_id)


@login_required
@require_POST
def cancel(request: HttpRequest) -> HttpResponse:
    _admin_collectivite(request)
    uploads.discard(request.session)
    messages.info(request, _("The upload was discarded: nothing was imported."))
    return redirect("history:import")


@login_required
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch: ImportBatch = visible_or_404(
        ImportBatch.objects.select_related("collectivite", "created_by"), request, pk=pk
    )
    if not has_role(request.user, batch.collectivite, Role.ADMIN):
        raise Http404
    return render(
        request,
        "history/batch.html",
        {
            "tab": "history",
            "batch": batch,
            "acts": selectors.acts_of(batch),
            "warnings": batch.report.get("warnings", []),
            "counters": batch.report.get("counters", []),
        },
    )
