"""Staff pages of the publication: the act's box, the « Publication » desk, publish/withdraw.

Views parse input, call one service and redirect with a message; objects are looked up in the
user's collectivités (another one's is a 404); the services decide who may act.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.views import perform, visible_or_404
from deliberations.enums import ActStatus, Role, SeanceStatus
from deliberations.models import Act, Seance
from deliberations.permissions import has_role
from exports.opendata.exceptions import InvalidOpenData

from . import opendata, selectors, services
from .enums import SeanceDocument
from .forms import ReasonForm
from .models import Publication, SeancePublication


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def panel_context(request: HttpRequest, act: Act) -> dict[str, Any]:
    """Context of templates/publication/_publication_panel.html (the act page's box)."""
    publication = selectors.act_publication(act)
    online = publication if publication is not None and publication.is_online else None
    return {
        "act": act,
        "publication": publication,
        "status": selectors.enforceability(act, online),
        "can_publish": has_role(request.user, act.collectivite, Role.CLERK, Role.ADMIN)
        and not act.confidential
        and publication is None
        and act.status in (ActStatus.SIGNED, ActStatus.TRANSMITTED, ActStatus.ACKNOWLEDGED),
        "is_admin": has_role(request.user, act.collectivite, Role.ADMIN),
        "reason_form": ReasonForm(),
        "next": request.get_full_path(),
    }


@login_required
@require_GET
def desk(request: HttpRequest) -> HttpResponse:
    """Acts to publish, séance documents to put online (with the list's deadline), latest."""
    collectivite = getattr(request, "collectivite", None)
    if collectivite is None:
        raise Http404
    to_publish = (
        Act.objects.filter(
            collectivite=collectivite,
            status__in=[ActStatus.SIGNED, ActStatus.TRANSMITTED, ActStatus.ACKNOWLEDGED],
            confidential=False,
            publication__isnull=True,
        )
        .select_related("matiere")
        .order_by("decision_date", "number")[:100]
    )
    seances = list(
        Seance.objects.filter(collectivite=collectivite, status=SeanceStatus.CLOSED)
        .select_related("assembly")
        .order_by("-date")[:12]
    )
    seance_rows = [(seance, selectors.seance_lines(seance)) for seance in seances]
    try:
        opendata.export_csv([collectivite])
        opendata_error = ""
    except InvalidOpenData as exc:  # shown to the staff; the portal answers 503 meanwhile
        opendata_error = str(exc.message)
    return render(
        request,
        "publication/desk.html",
        {
            "collectivite": collectivite,
            "to_publish": to_publish,
            "seance_rows": seance_rows,
            "recent": Publication.objects.filter(collectivite=collectivite)
            .select_related("act")
            .order_by("-published_at")[:20],
            "can_publish": has_role(request.user, collectivite, Role.CLERK, Role.ADMIN),
            "is_admin": has_role(request.user, collectivite, Role.ADMIN),
            "reason_form": ReasonForm(),
            "opendata_error": opendata_error,
        },
    )


@login_required
@require_POST
def publish_act(request: HttpRequest, pk: int) -> HttpResponse:
    act = visible_or_404(Act.objects.select_related("collectivite"), request, pk=pk)
    _result, response = perform(
        request,
        lambda: services.publish_act(act=act, actor=request.user),
        success=_("The act is online; the date it was put online is recorded."),
        redirect_to=_next(request, reverse("act-detail", args=[pk])),
    )
    assert response is not None
    return response


@login_required
@require_POST
def unpublish_act(request: HttpRequest, pk: int) -> HttpResponse:
    publication = visible_or_404(Publication.objects.select_related("act"), request, pk=pk)
    form = ReasonForm(request.POST)
    target = _next(request, reverse("act-detail", args=[publication.act_id]))
    if not form.is_valid():
        messages.error(request, _("Give the reason for withdrawing the act."))
        return redirect(target)
    _result, response = perform(
        request,
        lambda: services.unpublish_act(
            publication=publication, actor=request.user, reason=form.cleaned_data["reason"]
        ),
        success=_("The act was withdrawn from the portal."),
        redirect_to=target,
    )
    assert response is not None
    return response


@login_required
@require_POST
def publish_seance_document(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    seance = visible_or_404(Seance.objects.select_related("collectivite"), request, pk=pk)
    if kind not in SeanceDocument.values:
        raise Http404
    _result, response = perform(
        request,
        lambda: services.publish_seance_document(seance=seance, kind=kind, actor=request.user),
        success=_("The document is online."),
        redirect_to=_next(request, reverse("publication-staff:desk")),
    )
    assert response is not None
    return response


@login_required
@require_POST
def unpublish_seance_document(request: HttpRequest, pk: int) -> HttpResponse:
    publication = visible_or_404(SeancePublication.objects.all(), request, pk=pk)
    form = ReasonForm(request.POST)
    target = _next(request, reverse("publication-staff:desk"))
    if not form.is_valid():
        messages.error(request, _("Give the reason for withdrawing the document."))
        return redirect(target)
    _result, response = perform(
        request,
        lambda: services.unpublish_seance_document(
            publication=publication, actor=request.user, reason=form.cleaned_data["reason"]
        ),
        success=_("The document was withdrawn from the portal."),
        redirect_to=target,
    )
    assert response is not None
    return response
