"""Keys and trust, for the collectivité's administrators: trusted authorities, time-stamping,
levels, revocation, the server seal (and its test), and each signature step's level."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import DelibreError
from core.views import perform
from deliberations.enums import Role
from deliberations.permissions import has_role
from deliberations.views._common import current_collectivite_or_404
from workflow.enums import StepKind
from workflow.models import CircuitStep

from .. import selectors, services
from ..forms import SigningSettingsForm, StepPolicyForm, TrustedRootForm
from ..models import TrustedRoot

MAX_ROOT_BYTES = 64 * 1024


def _admin_collectivite(request: HttpRequest) -> Any:
    collectivite = current_collectivite_or_404(request)
    if not has_role(request.user, collectivite, Role.ADMIN):
        raise Http404
    return collectivite


def _steps(collectivite: Any) -> list[tuple[CircuitStep, StepPolicyForm]]:
    steps = (
        CircuitStep.objects.filter(
            circuit__collectivite=collectivite,
            circuit__is_active=True,
            kind__in=[StepKind.SIGNATURE, StepKind.SEAL],
        )
        .select_related("circuit", "signing_policy")
        .order_by("circuit__name", "position")
    )
    rows = []
    for step in steps:
        policy = getattr(step, "signing_policy", None)
        initial = {"level": policy.level, "field_name": policy.field_name} if policy else {}
        rows.append((step, StepPolicyForm(initial=initial, prefix=f"step{step.pk}")))
    return rows


def _page(request: HttpRequest, collectivite: Any, **extra: Any) -> HttpResponse:
    options = selectors.signing_settings_for(collectivite)
    context = {
        "collectivite": collectivite,
        "options": options,
        "form": SigningSettingsForm(instance=options),
        "root_form": TrustedRootForm(),
        "roots": TrustedRoot.objects.filter(collectivite=collectivite).order_by(
            "-is_active", "label"
        ),
        "platform_roots": TrustedRoot.objects.filter(collectivite__isnull=True, is_active=True),
        "steps": _steps(collectivite),
        "is_platform_staff": request.user.is_superuser,
        **extra,
    }
    return render(request, "signing/settings.html", context)


@login_required
@require_GET
def settings_page(request: HttpRequest) -> HttpResponse:
    return _page(request, _admin_collectivite(request))


@login_required
@require_POST
def settings_save(request: HttpRequest) -> HttpResponse:
    collectivite = _admin_collectivite(request)
    options = selectors.signing_settings_for(collectivite)
    form = SigningSettingsForm(request.POST, instance=options)
    if form.is_valid():
        changes = form.changes()
        _result, response = perform(
            request,
            lambda: services.update_signing_settings(
                collectivite=collectivite, actor=request.user, **changes
            ),
            success=_("The signing settings were saved."),
            redirect_to=reverse("signing:settings"),
            form=cast(Any, form),  # a ModelForm: perform() only adds errors to it
        )
        if response is not None:
            return response
    return _page(request, collectivite, form=form)


@login_required
@require_POST
def root_add(request: HttpRequest) -> HttpResponse:
    collectivite = _admin_collectivite(request)
    form = TrustedRootForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data["file"].read(MAX_ROOT_BYTES + 1)
        everyone = form.cleaned_data["everyone"]
        _result, response = perform(
            request,
            lambda: services.add_trusted_root(
                actor=request.user,
                pem=data[:MAX_ROOT_BYTES],
                collectivite=None if everyone else collectivite,
                label=form.cleaned_data["label"],
            ),
            success=_("The authority is now trusted."),
            redirect_to=reverse("signing:settings") + "#roots",
            form=form,
        )
        if response is not None:
            return response
    return _page(request, collectivite, root_form=form)


@login_required
@require_POST
def root_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    collectivite = _admin_collectivite(request)
    root = TrustedRoot.objects.filter(pk=pk, collectivite=collectivite).first()
    if root is None:
        raise Http404
    active = not root.is_active
    _result, response = perform(
        request,
        lambda: services.set_trusted_root_active(root=root, actor=request.user, active=active),
        success=_("The authority is trusted again.")
        if active
        else _("The authority is no longer trusted."),
        redirect_to=reverse("signing:settings") + "#roots",
    )
    assert response is not None
    return response


@login_required
@require_POST
def seal_check(request: HttpRequest) -> HttpResponse:
    collectivite = _admin_collectivite(request)
    try:
        check = services.check_seal(collectivite=collectivite, actor=request.user)
    except DelibreError as exc:
        return _page(request, collectivite, seal_error=str(exc.message))
    return _page(request, collectivite, seal_check=check)


@login_required
@require_POST
def step_policy(request: HttpRequest, pk: int) -> HttpResponse:
    collectivite = _admin_collectivite(request)
    step = CircuitStep.objects.filter(pk=pk, circuit__collectivite=collectivite).first()
    if step is None:
        raise Http404
    form = StepPolicyForm(request.POST, prefix=f"step{step.pk}")
    target = reverse("signing:settings") + "#steps"
    if not form.is_valid():
        messages.error(request, _("Choose a level."))
        return redirect(target)
    _result, response = perform(
        request,
        lambda: services.set_step_policy(
            step=step,
            actor=request.user,
            level=form.cleaned_data["level"],
            field_name=form.cleaned_data["field_name"].strip(),
        ),
        success=_("The step's signing level was saved."),
        redirect_to=target,
    )
    assert response is not None
    return response
