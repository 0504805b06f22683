"""The administrators' page of circuits and desks (linked from the collectivité's settings)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.views import perform, visible_or_404
from deliberations.enums import Role
from deliberations.models import Collectivite
from deliberations.permissions import has_role
from deliberations.views._common import current_collectivite_or_404

from .. import services
from ..forms import CircuitForm, GroupForm, StepFormSet, step_initial
from ..models import AssigneeGroup, Circuit
from ..selectors import circuits_of


def _admin_collectivite(request: HttpRequest) -> Collectivite:
    collectivite = current_collectivite_or_404(request)
    if not has_role(request.user, collectivite, Role.ADMIN):
        raise Http404
    return collectivite


def _page(request: HttpRequest, collectivite: Collectivite, **context: Any) -> HttpResponse:
    context.setdefault("form", CircuitForm(collectivite=collectivite))
    context.setdefault("steps", StepFormSet(prefix="steps", collectivite=collectivite))
    context.setdefault("group_form", GroupForm(collectivite=collectivite))
    return render(
        request,
        "workflow/circuit_settings.html",
        {
            "tab": "circuits",
            "circuits": circuits_of(collectivite.pk),
            "groups": collectivite.assignee_groups.prefetch_related("members").order_by(
                "-is_active", "name"
            ),
            **context,
        },
    )


@login_required
def circuits(request: HttpRequest) -> HttpResponse:
    collectivite = _admin_collectivite(request)
    if request.method != "POST":
        return _page(request, collectivite)
    form = CircuitForm(request.POST, collectivite=collectivite)
    steps = StepFormSet(request.POST, prefix="steps", collectivite=collectivite)
    if form.is_valid() and steps.is_valid():
        data = form.cleaned_data
        created, _response = perform(
            request,
            lambda: services.create_circuit(
                collectivite=collectivite,
                actor=request.user,
                name=data["name"],
                phase=data["phase"],
                act_types=data["act_types"],
                services=data["services"],
                is_default=data["is_default"],
                steps=steps.specs(),
            ),
            success=_("The circuit was created."),
            redirect_to="",
            form=form,
        )
        if created is not None:
            return redirect("circuit-settings")
    return _page(request, collectivite, form=form, steps=steps)


@login_required
def circuit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    collectivite = _admin_collectivite(request)
    circuit = visible_or_404(Circuit.objects.filter(collectivite=collectivite), request, pk=pk)
    initial = CircuitForm.initial_for(circuit)
    if request.method == "POST":
        form = CircuitForm(request.POST, initial=initial, collectivite=collectivite)
        form.fields["phase"].disabled = True
        steps = StepFormSet(request.POST, prefix="steps", collectivite=collectivite)
        if form.is_valid() and steps.is_valid():
            data = form.cleaned_data
            updated, _response = perform(
                request,
                lambda: services.update_circuit(
                    circuit=circuit,
                    actor=request.user,
                    name=data["name"],
                    act_types=data["act_types"],
                    services=data["services"],
                    is_default=data["is_default"],
                    steps=steps.specs(),
                ),
                success=_("The circuit was saved; folders already in it keep their steps."),
                redirect_to="",
                form=form,
            )
            if updated is not None:
                return redirect("circuit-settings")
    else:
        form = CircuitForm(initial=initial, collectivite=collectivite)
        form.fields["phase"].disabled = True
        steps = StepFormSet(
            prefix="steps", initial=step_initial(circuit), collectivite=collectivite
        )
    return render(
        request,
        "workflow/circuit_edit.html",
        {"tab": "circuits", "circuit": circuit, "form": form, "steps": steps},
    )


@login_required
@require_POST
def circuit_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    collectivite = _admin_collectivite(request)
    circuit = visible_or_404(Circuit.objects.filter(collectivite=collectivite), request, pk=pk)
    _result, response = perform(
        request,
        lambda: services.deactivate_circuit(circuit=circuit, actor=request.user),
        success=_("The circuit is no longer proposed."),
        redirect_to=reverse("circuit-settings"),
    )
    return response


@login_required
@require_POST
def group_create(request: HttpRequest) -> HttpResponse:
    collectivite = _admin_collectivite(request)
    form = GroupForm(request.POST, collectivite=collectivite)
    if not form.is_valid():
        return _page(request, collectivite, group_form=form)
    data = form.cleaned_data
    _result, response = perform(
        request,
        lambda: services.create_group(
            collectivite=collectivite,
            actor=request.user,
            name=data["name"],
            members=data["members"],
        ),
        success=_("The desk was created."),
        redirect_to=reverse("circuit-settings") + "#desks",
    )
    return response


@login_required
@require_POST
def group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Save a desk's name and members, or deactivate it (the button named "deactivate")."""
    collectivite = _admin_collectivite(request)
    group = visible_or_404(AssigneeGroup.objects.filter(collectivite=collectivite), request, pk=pk)
    target = reverse("circuit-settings") + "#desks"
    if request.POST.get("deactivate"):
        _result, response = perform(
            request,
            lambda: services.deactivate_group(group=group, actor=request.user),
            success=_("The desk was deactivated."),
            redirect_to=target,
        )
        return response
    form = GroupForm(request.POST, collectivite=collectivite)
    if not form.is_valid():
        return _page(request, collectivite)
    data = form.cleaned_data
    _result, response = perform(
        request,
        lambda: services.update_group(
            group=group, actor=request.user, name=data["name"], members=data["members"]
        ),
        success=_("The desk was saved."),
        redirect_to=target,
    )
    return response
