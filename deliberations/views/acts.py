"""Pages for projects and acts: list, detail, drafting, annexes and simple actions."""

from __future__ import annotations

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

from core.views import perform, visible_or_404
from workflow.journal import events_for
from workflow.lifecycles import ActFlow
from workflow.selectors import panel_for
from workflow.views.panel import circuit_forms

from .. import services
from ..enums import EDITABLE_STATUSES, Role
from ..forms import ActFilterForm, AnnexForm, ProjectForm, ReasonForm
from ..models import Act, Annex
from ..permissions import has_role
from ._common import current_collectivite_or_404


@login_required
def act_list(request: HttpRequest) -> HttpResponse:
    collectivite = current_collectivite_or_404(request)
    form = ActFilterForm(request.GET or None)
    acts = (
        Act.objects.filter(collectivite=collectivite)
        .select_related("assembly", "drafter", "matiere")
        .order_by("-updated_at")
    )
    if form.is_valid():
        if q := form.cleaned_data["q"]:
            acts = acts.filter(Q(objet__icontains=q) | Q(number__icontains=q))
        if status := form.cleaned_data["status"]:
            acts = acts.filter(status=status)
        if act_type := form.cleaned_data["act_type"]:
            acts = acts.filter(act_type=act_type)
    page = Paginator(acts, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "deliberations/act_list.html",
        {
            "page": page,
            "form": form,
            "can_create": has_role(request.user, collectivite, Role.CLERK, Role.ADMIN),
        },
    )


@login_required
def act_detail(request: HttpRequest, pk: int) -> HttpResponse:
    act = visible_or_404(
        Act.objects.select_related(
            "collectivite", "assembly", "rapporteur__official", "service", "drafter", "matiere"
        ),
        request,
        pk=pk,
    )
    roles = {
        "edit": act.status in EDITABLE_STATUSES
        and (
            act.drafter_id == request.user.pk
            or has_role(request.user, act.collectivite, Role.CLERK, Role.ADMIN)
        ),
        "validate": has_role(request.user, act.collectivite, Role.VALIDATOR, Role.ADMIN),
        "clerk": has_role(request.user, act.collectivite, Role.CLERK, Role.ADMIN),
    }
    available = set(ActFlow(act).available())
    circuit = panel_for(act, request.user)
    return render(
        request,
        "deliberations/act_detail.html",
        {
            "act": act,
            "circuit": circuit,
            "forms": circuit_forms(act, request.user, circuit),
            "today": timezone.localdate(),
            "annexes": act.annexes.all(),
            "events": events_for(act).select_related(None),
            "agenda_items": act.agenda_items.select_related("seance__assembly", "vote").order_by(
                "-seance__date"
            ),
            "can": roles,
            "available": available,
            "annex_form": AnnexForm(),
            "reason_form": ReasonForm(),
        },
    )


@login_required
def act_create(request: HttpRequest) -> HttpResponse:
    collectivite = current_collectivite_or_404(request)
    form = ProjectForm(
        request.POST or None, collectivite=collectivite, initial={"act_type": "deliberation"}
    )
    if request.method == "POST" and form.is_valid():
        act, _response = perform(
            request,
            lambda: services.create_project(
                collectivite=collectivite, actor=request.user, **form.service_kwargs()
            ),
            success=_("The project was created."),
            redirect_to="",
            form=form,
        )
        if act is not None:
            return redirect("act-detail", pk=act.pk)
    return render(request, "deliberations/act_form.html", {"form": form, "act": None})


@login_required
def act_edit(request: HttpRequest, pk: int) -> HttpResponse:
    act = visible_or_404(Act.objects.all(), request, pk=pk)
    form = ProjectForm(
        request.POST or None, collectivite=act.collectivite, initial=ProjectForm.initial_for(act)
    )
    if request.method == "POST" and form.is_valid():
        revision = form.cleaned_data["revision"] or act.revision
        updated, _response = perform(
            request,
            lambda: services.update_project(
                act=act, actor=request.user, revision=revision, **form.service_kwargs()
            ),
            success=_("The project was saved."),
            redirect_to="",
            form=form,
        )
        if updated is not None:
            return redirect("act-detail", pk=act.pk)
    return render(request, "deliberations/act_form.html", {"form": form, "act": act})


@login_required
@require_POST
def act_annex_add(request: HttpRequest, pk: int) -> HttpResponse:
    act = visible_or_404(Act.objects.all(), request, pk=pk)
    form = AnnexForm(request.POST, request.FILES)
    target = reverse("act-detail", args=[act.pk]) + "#annexes"
    if not form.is_valid():
        messages.error(request, _("Choose a PDF file to attach."))
        return redirect(target)
    upload = form.cleaned_data["file"]
    _result, response = perform(
        request,
        lambda: services.add_annex(
            act=act,
            actor=request.user,
            stream=upload,
            filename=upload.name,
            title=form.cleaned_data["title"],
            transmitted=form.cleaned_data["transmitted"],
        ),
        success=_("The annex was attached."),
        redirect_to=target,
    )
    return response


@login_required
@require_POST
def annex_remove(request: HttpRequest, pk: int) -> HttpResponse:
    annex = visible_or_404(
        Annex.objects.select_related("act"), request, scope="act__collectivite_id", pk=pk
    )
    _result, response = perform(
        request,
        lambda: services.remove_annex(annex=annex, actor=request.user),
        success=_("The annex was removed."),
        redirect_to=reverse("act-detail", args=[annex.act_id]) + "#annexes",
    )
    return response


@login_required
def annex_download(request: HttpRequest, pk: int) -> FileResponse:
    annex = visible_or_404(Annex.objects.all(), request, scope="act__collectivite_id", pk=pk)
    return FileResponse(
        annex.file.open("rb"), filename=annex.original_name, content_type="application/pdf"
    )


@login_required
@require_POST
def act_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    act = visible_or_404(Act.objects.all(), request, pk=pk)
    reason = request.POST.get("reason", "")
    calls = {
        "validate": (
            lambda: services.validate_project(act=act, actor=request.user, comment=reason),
            _("The project is validated."),
        ),
        "withdraw": (
            lambda: services.withdraw_project(act=act, actor=request.user, reason=reason),
            _("The project was withdrawn."),
        ),
        "number": (
            lambda: services.assign_number(act=act, actor=request.user),
            _("The act was numbered."),
        ),
    }
    if name not in calls:
        raise Http404
    call, success = calls[name]
    _result, response = perform(
        request, call, success=success, redirect_to=reverse("act-detail", args=[act.pk])
    )
    return response
