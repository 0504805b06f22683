"""The page of the training sandboxes: create one, reset one (administrators)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import DelibreError
from core.middleware import SESSION_KEY
from deliberations.models import Collectivite

from . import selectors, services
from .forms import SandboxForm


def _allowed(request: HttpRequest) -> None:
    if not selectors.may_create(request.user) and not selectors.sandboxes_for(request.user):
        raise Http404


@login_required
def sandbox_list(request: HttpRequest, form: SandboxForm | None = None) -> HttpResponse:
    _allowed(request)
    return render(
        request,
        "training/sandboxes.html",
        {
            "tab": "training",
            "sandboxes": selectors.sandboxes_for(request.user),
            "form": form or SandboxForm(),
            "can_create": selectors.may_create(request.user),
        },
    )


@login_required
@require_POST
def sandbox_create(request: HttpRequest) -> HttpResponse:
    _allowed(request)
    form = SandboxForm(request.POST)
    if not form.is_valid():
        return sandbox_list(request, form)
    try:
        sandbox = services.create_sandbox(actor=request.user, name=form.cleaned_data["name"])
    except DelibreError as exc:
        form.add_error("name" if exc.field == "name" else None, str(exc.message))
        return sandbox_list(request, form)
    request.session[SESSION_KEY] = sandbox.collectivite.pk
    return render(
        request,
        "training/created.html",
        {"tab": "training", "sandbox": sandbox, "collectivite": sandbox.collectivite},
    )


@login_required
@require_POST
def sandbox_reset(request: HttpRequest, pk: int) -> HttpResponse:
    collectivite = Collectivite.objects.filter(pk=pk, is_training=True).first()
    if collectivite is None or not selectors.can_reset(request.user, collectivite):
        raise Http404
    try:
        sandbox = services.reset_sandbox(collectivite=collectivite, actor=request.user)
    except DelibreError as exc:
        messages.error(request, str(exc.message))
        return redirect("training:list")
    messages.success(
        request,
        _("%(name)s was reset: %(rows)d rows deleted, the demo data loaded again.")
        % {"name": collectivite.name, "rows": sandbox.purged.total if sandbox.purged else 0},
    )
    return redirect("training:list")
