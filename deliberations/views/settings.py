"""The administrators' settings of a collectivité: identity, assemblies, officials, numbering…"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from core.views import perform, visible_or_404

from .. import services
from ..enums import Role
from ..exceptions import InvalidData
from ..forms import (
    AssemblyForm,
    ClassificationUploadForm,
    CollectiviteForm,
    MandateForm,
    NumberingForm,
    OfficialForm,
    RoleForm,
    ServiceForm,
)
from ..models import ElectedOfficial, Membership, User
from ..permissions import has_role
from ..selectors import current_classification
from ._common import current_collectivite_or_404

TABS = ("identity", "assemblies", "officials", "services", "numbering", "classification", "users")


def _admin_collectivite(request: HttpRequest):
    collectivite = current_collectivite_or_404(request)
    if not has_role(request.user, collectivite, Role.ADMIN):
        raise Http404
    return collectivite


@login_required
def settings_page(request: HttpRequest, tab: str = "identity") -> HttpResponse:
    if tab not in TABS:
        raise Http404
    collectivite = _admin_collectivite(request)
    context: dict[str, Any] = {"tab": tab, "tabs": TABS, "collectivite": collectivite}
    if tab == "identity":
        context["form"] = CollectiviteForm(instance=collectivite)
    elif tab == "assemblies":
        context["assemblies"] = collectivite.assemblies.prefetch_related("mandates__official")
        context["form"] = AssemblyForm()
    elif tab == "officials":
        context["officials"] = collectivite.elected_officials.prefetch_related(
            "mandates__assembly"
        ).select_related("user")
        context["form"] = OfficialForm(collectivite=collectivite)
        context["mandate_form"] = MandateForm(collectivite=collectivite)
    elif tab == "services":
        context["services"] = collectivite.services.all()
        context["form"] = ServiceForm()
    elif tab == "numbering":
        context["schemes"] = collectivite.numbering_schemes.order_by("act_type")
        context["form"] = NumberingForm()
    elif tab == "classification":
        context["current"] = current_classification(collectivite)
        context["versions"] = collectivite.classification_versions.all()
        context["form"] = ClassificationUploadForm()
    elif tab == "users":
        context["memberships"] = (
            Membership.objects.filter(collectivite=collectivite)
            .select_related("user")
            .order_by("user__last_name", "user__username", "role")
        )
        context["form"] = RoleForm()
    return render(request, "deliberations/settings.html", context)


def _post(
    request: HttpRequest, tab: str, form, call: Callable[[dict[str, Any]], Any], success: str
) -> HttpResponse:
    target = reverse("settings-tab", args=[tab])
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label} : {' '.join(errors)}" if label else " ".join(errors))
        return redirect(target)
    _result, response = perform(
        request, lambda: call(form.cleaned_data), success=success, redirect_to=target
    )
    return response


@login_required
def settings_save(request: HttpRequest, tab: str) -> HttpResponse:
    if request.method != "POST":
        return redirect("settings-tab", tab=tab)
    collectivite = _admin_collectivite(request)
    actor = request.user
    if tab == "identity":
        form = CollectiviteForm(
            request.POST, request.FILES, instance=type(collectivite).objects.get(pk=collectivite.pk)
        )
        return _post(
            request,
            tab,
            form,
            lambda data: services.update_collectivite(
                collectivite=collectivite, actor=actor, **data
            ),
            _("The collectivité's settings were saved."),
        )
    if tab == "assemblies":
        return _post(
            request,
            tab,
            AssemblyForm(request.POST),
            lambda data: services.create_assembly(collectivite=collectivite, actor=actor, **data),
            _("The assembly was created."),
        )
    if tab == "officials":
        return _post(
            request,
            tab,
            OfficialForm(request.POST, collectivite=collectivite),
            lambda data: services.create_elected_official(
                collectivite=collectivite, actor=actor, **data
            ),
            _("The elected official was added."),
        )
    if tab == "services":
        return _post(
            request,
            tab,
            ServiceForm(request.POST),
            lambda data: services.create_service(collectivite=collectivite, actor=actor, **data),
            _("The service was created."),
        )
    if tab == "numbering":
        return _post(
            request,
            tab,
            NumberingForm(request.POST),
            lambda data: services.set_numbering_scheme(
                collectivite=collectivite, actor=actor, **data
            ),
            _("The numbering pattern was saved."),
        )
    if tab == "classification":
        form = ClassificationUploadForm(request.POST, request.FILES)
        return _post(
            request,
            tab,
            form,
            lambda data: services.import_classification(
                collectivite=collectivite,
                actor=actor,
                content=data["file"].read(20 * 1024 * 1024 + 1),
                source_name=data["file"].name,
            ),
            _("The classification was imported."),
        )
    if tab == "users":
        form = RoleForm(request.POST)

        def grant(data: dict[str, Any]) -> Any:
            user = User.objects.filter(username=data["username"]).first()
            if user is None:
                raise InvalidData(_("No user has this user name."))
            if request.POST.get("revoke"):
                return services.revoke_role(
                    collectivite=collectivite, actor=actor, user=user, role=data["role"]
                )
            return services.grant_role(
                collectivite=collectivite, actor=actor, user=user, role=data["role"]
            )

        return _post(request, tab, form, grant, _("The roles were updated."))
    raise Http404


@login_required
def mandate_add(request: HttpRequest, official_pk: int) -> HttpResponse:
    if request.method != "POST":
        return redirect("settings-tab", tab="officials")
    collectivite = _admin_collectivite(request)
    official = visible_or_404(ElectedOfficial.objects.all(), request, pk=official_pk)
    return _post(
        request,
        "officials",
        MandateForm(request.POST, collectivite=collectivite),
        lambda data: services.create_mandate(official=official, actor=request.user, **data),
        _("The mandate was added."),
    )
