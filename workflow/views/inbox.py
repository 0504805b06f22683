"""The user's own pages: the inbox, delegations and notifications."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.views import perform, visible_or_404
from deliberations.enums import Role
from deliberations.permissions import has_role
from deliberations.views._common import current_collectivite_or_404

from .. import services
from ..forms import DelegationForm, PreferenceForm
from ..models import Delegation, Notification
from ..selectors import (
    delegation_mention,
    delegations_given_and_received,
    inbox_for,
    notifications_of,
)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    collectivite = current_collectivite_or_404(request)
    items = inbox_for(request.user, collectivite_id=collectivite.pk)
    return render(
        request,
        "workflow/inbox.html",
        {"items": items, "late": sum(1 for item in items if item.late)},
    )


@login_required
def delegations(request: HttpRequest) -> HttpResponse:
    collectivite = current_collectivite_or_404(request)
    admin = has_role(request.user, collectivite, Role.ADMIN)
    form = DelegationForm(
        request.POST or None, collectivite=collectivite, user=request.user, admin=admin
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created, _response = perform(
            request,
            lambda: services.create_delegation(
                collectivite=collectivite,
                actor=request.user,
                delegator=data.get("delegator") or request.user,
                delegate=data["delegate"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                act_types=data["act_types"],
                matiere_codes=data["matiere_codes"],
                quality=data["quality"],
                reference=data["reference"],
                scope=data["scope"],
            ),
            success=_("The delegation was recorded."),
            redirect_to="",
            form=form,
        )
        if created is not None:
            return redirect("delegations")
    rows = [
        (delegation, delegation_mention(delegation))
        for delegation in delegations_given_and_received(request.user, collectivite.pk)
    ]
    return render(
        request, "workflow/delegations.html", {"rows": rows, "form": form, "admin": admin}
    )


@login_required
@require_POST
def delegation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    delegation = visible_or_404(Delegation.objects.all(), request, pk=pk)
    _result, response = perform(
        request,
        lambda: services.revoke_delegation(delegation=delegation, actor=request.user),
        success=_("The delegation was revoked."),
        redirect_to=reverse("delegations"),
    )
    return response


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    preference = getattr(request.user, "notification_preference", None)
    form = PreferenceForm(
        request.POST or None, initial={"mode": preference.mode if preference else "immediate"}
    )
    if request.method == "POST":
        if form.is_valid():
            _result, response = perform(
                request,
                lambda: services.set_notification_preference(
                    user=request.user, actor=request.user, mode=form.cleaned_data["mode"]
                ),
                success=_("Your preference was saved."),
                redirect_to=reverse("notifications"),
            )
            return response
        messages.error(request, _("Choose how you want to be told."))
    return render(
        request,
        "workflow/notifications.html",
        {"notifications": notifications_of(request.user)[:100], "form": form},
    )


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    unread = Notification.objects.filter(user=request.user, read_at__isnull=True)
    _result, response = perform(
        request,
        lambda: services.mark_read(notifications=unread, actor=request.user),
        success=_("Every notification is marked as read."),
        redirect_to=reverse("notifications"),
    )
    return response
