"""The decision panel of the act page: start a circuit, approve, reject, ask an opinion, skip,
recall. Each view parses one form, calls one service and goes back to the act page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.views import perform, visible_or_404
from deliberations.models import Act, User

from .. import services
from ..forms import (
    AnswerForm,
    ApproveForm,
    OpinionForm,
    RecallForm,
    RejectForm,
    SkipForm,
    StartCircuitForm,
)
from ..models import CircuitRun, OpinionRequest, StepRun
from ..selectors import applicable_circuits, phase_for


def _act_page(act_id: int) -> str:
    return reverse("act-detail", args=[act_id]) + "#circuit"


def _run_form(
    request: HttpRequest,
    form: forms.Form,
    act_id: int,
    call: Callable[[dict[str, Any]], Any],
    success: str,
) -> HttpResponse:
    target = _act_page(act_id)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(target)
    _result, response = perform(
        request, lambda: call(form.cleaned_data), success=success, redirect_to=target
    )
    return response


def _behalf(data: dict[str, Any]) -> User | None:
    pk = data.get("on_behalf_of")
    return User.objects.filter(pk=pk).first() if pk else None


def _step(request: HttpRequest, pk: int) -> StepRun:
    return visible_or_404(
        StepRun.objects.select_related("run"), request, scope="run__act__collectivite_id", pk=pk
    )


@login_required
@require_POST
def start(request: HttpRequest, pk: int) -> HttpResponse:
    act = visible_or_404(Act.objects.all(), request, pk=pk)
    phase = phase_for(act)
    circuits = applicable_circuits(act, phase) if phase else []
    form = StartCircuitForm(request.POST, circuits=circuits)
    return _run_form(
        request,
        form,
        act.pk,
        lambda data: services.start_circuit(act=act, actor=request.user, circuit=data["circuit"]),
        _("The folder was sent into its circuit."),
    )


@login_required
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    step = _step(request, pk)
    return _run_form(
        request,
        ApproveForm(request.POST),
        step.run.act_id,
        lambda data: services.approve_step(
            step_run=step, actor=request.user, comment=data["comment"], on_behalf_of=_behalf(data)
        ),
        _("Your approval was recorded."),
    )


@login_required
@require_POST
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    step = _step(request, pk)
    return _run_form(
        request,
        RejectForm(request.POST),
        step.run.act_id,
        lambda data: services.reject_step(
            step_run=step, actor=request.user, reason=data["reason"], on_behalf_of=_behalf(data)
        ),
        _("The folder was rejected and returned."),
    )


@login_required
@require_POST
def skip(request: HttpRequest, pk: int) -> HttpResponse:
    step = _step(request, pk)
    return _run_form(
        request,
        SkipForm(request.POST),
        step.run.act_id,
        lambda data: services.skip_step(step_run=step, actor=request.user, reason=data["reason"]),
        _("The step was skipped."),
    )


@login_required
@require_POST
def ask_opinion(request: HttpRequest, pk: int) -> HttpResponse:
    step = _step(request, pk)
    act = step.run.act
    return _run_form(
        request,
        OpinionForm(request.POST, collectivite=act.collectivite),
        act.pk,
        lambda data: services.request_opinion(
            step_run=step,
            actor=request.user,
            requested_from=data["requested_from"],
            question=data["question"],
            on_behalf_of=_behalf(data),
        ),
        _("Your request for an opinion was sent."),
    )


@login_required
@require_POST
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    opinion = visible_or_404(
        OpinionRequest.objects.select_related("step_run__run"),
        request,
        scope="step_run__run__act__collectivite_id",
        pk=pk,
    )
    return _run_form(
        request,
        AnswerForm(request.POST),
        opinion.step_run.run.act_id,
        lambda data: services.answer_opinion(
            opinion=opinion, actor=request.user, answer=data["answer"]
        ),
        _("Your opinion was sent back."),
    )


@login_required
@require_POST
def recall(request: HttpRequest, pk: int) -> HttpResponse:
    run = visible_or_404(CircuitRun.objects.all(), request, scope="act__collectivite_id", pk=pk)
    return _run_form(
        request,
        RecallForm(request.POST),
        run.act_id,
        lambda data: services.recall(run=run, actor=request.user, reason=data["reason"]),
        _("The folder was recalled: it is a draft again."),
    )
