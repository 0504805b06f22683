"""The home page: what is waiting for me, by role."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ..enums import ActStatus, Role, SeanceStatus
from ..models import Act, Seance
from ..permissions import roles_in


@login_required
def home(request: HttpRequest) -> HttpResponse:
    collectivite = getattr(request, "collectivite", None)
    if collectivite is None:
        return render(request, "deliberations/home_nothing.html")
    roles = roles_in(request.user, collectivite.pk) | (
        {Role.ADMIN} if request.user.is_superuser else set()
    )
    acts = Act.objects.filter(collectivite=collectivite).select_related("assembly")
    context = {
        "roles": roles,
        "my_drafts": acts.filter(
            drafter=request.user, status__in=[ActStatus.DRAFT, ActStatus.RETURNED]
        ).order_by("-updated_at")[:10],
        "to_validate": acts.filter(status=ActStatus.IN_CIRCUIT).order_by("updated_at")[:10]
        if {Role.VALIDATOR, Role.ADMIN} & set(roles)
        else [],
        "ready": acts.filter(status=ActStatus.VALIDATED, act_type="deliberation").order_by(
            "updated_at"
        )[:10]
        if {Role.CLERK, Role.ADMIN} & set(roles)
        else [],
        "to_sign": acts.filter(status=ActStatus.ADOPTED).order_by("decision_date")[:10]
        if {Role.SIGNER, Role.SECRETARY} & set(roles)
        else [],
        "next_seances": Seance.objects.filter(
            collectivite=collectivite, date__gte=timezone.now() - timezone.timedelta(days=1)
        )
        .exclude(status=SeanceStatus.CLOSED)
        .select_related("assembly")
        .order_by("date")[:5],
        "counts": {
            "drafts": acts.filter(status__in=[ActStatus.DRAFT, ActStatus.RETURNED]).count(),
            "in_circuit": acts.filter(status=ActStatus.IN_CIRCUIT).count(),
            "scheduled": acts.filter(status=ActStatus.SCHEDULED).count(),
            "adopted": acts.filter(status=ActStatus.ADOPTED).count(),
        },
    }
    return render(request, "deliberations/home.html", context)
