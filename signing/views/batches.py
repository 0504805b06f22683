"""Batch signing: the signature steps waiting for the user, ticked and signed with one password;
then a progress bar (htmx polls a small fragment) and the list of what could not be signed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.exceptions import DelibreError
from deliberations.views._common import current_collectivite_or_404

from .. import selectors, services
from ..forms import BatchForm
from ..models import SigningBatch


@login_required
@require_http_methods(["GET", "POST"])
def batch_page(request: HttpRequest) -> HttpResponse:
    collectivite = current_collectivite_or_404(request)
    candidates = selectors.batch_candidates(request.user, collectivite_id=collectivite.pk)
    certificates = selectors.certificates_of(request.user)
    form = BatchForm(request.POST or None, candidates=candidates, certificates=certificates)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.start_batch(
                actor=request.user,
                collectivite=collectivite,
                step_run_ids=form.cleaned_data["step_runs"],
                certificate=form.cleaned_data["certificate"],
                password=form.cleaned_data["password"],
            )
        except DelibreError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            messages.success(request, _("The batch has started."))
            return redirect("signing:batch", pk=batch.pk)
    return render(
        request,
        "signing/batch.html",
        {
            "form": form,
            "candidates": candidates,
            "has_certificates": certificates.exists(),
            "batches": selectors.batches_of(request.user, collectivite.pk)[:10],
        },
    )


def _batch(request: HttpRequest, pk: int) -> SigningBatch:
    return get_object_or_404(SigningBatch, pk=pk, created_by=request.user)


def _items(batch: SigningBatch):  # type: ignore[no-untyped-def]
    return batch.items.select_related("step_run__run__act").order_by("position")


@login_required
@require_GET
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    return render(request, "signing/batch_detail.html", {"batch": batch, "items": _items(batch)})


@login_required
@require_GET
def batch_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment polled every second while the batch runs (no page chrome)."""
    batch = _batch(request, pk)
    return HttpResponse(
        render_to_string(
            "signing/_batch_progress.html",
            {"batch": batch, "items": _items(batch), "csrf_token": get_token(request)},
        )
    )
