"""Plumbing shared by the server-rendered pages: running a service and reporting the outcome."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .exceptions import DelibreError
from .middleware import SESSION_KEY

security_log = logging.getLogger("delibre.security")


def log_refusal(request: Any, exc: Exception) -> None:
    """Every permission refusal seen by a page or the API goes to the security log."""
    user = getattr(request, "user", None)
    security_log.warning(
        "permission.refused method=%s path=%s user=%s code=%s",
        getattr(request, "method", ""),
        getattr(request, "path", ""),
        getattr(user, "pk", None),
        getattr(exc, "code", type(exc).__name__),
    )


def visible_or_404(
    queryset: QuerySet, request: HttpRequest, scope: str = "collectivite_id", **lookup: Any
) -> Any:
    """Fetch an object of the user's collectivités; anything else is a 404 (no existence leak)."""
    from deliberations.permissions import collectivite_ids_for

    obj = queryset.filter(**{f"{scope}__in": collectivite_ids_for(request.user)}, **lookup).first()
    if obj is None:
        raise Http404
    return obj


def perform(
    request: HttpRequest,
    call: Callable[[], Any],
    *,
    success: str | Callable[[Any], str],
    redirect_to: str,
    form: forms.Form | None = None,
) -> tuple[Any, HttpResponse | None]:
    """Run one service call; on success flash ``success`` (or ``success(result)``) and return a
    redirect.

    A domain error becomes a form error (when a form is given, so the page is shown again with
    the user's input) or an error message; nothing was changed by the service in that case.
    """
    try:
        result = call()
    except DelibreError as exc:
        if exc.kind == "forbidden":
            log_refusal(request, exc)
        if form is not None:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            return None, None
        messages.error(request, str(exc.message))
        return None, HttpResponseRedirect(redirect_to)
    messages.success(request, success(result) if callable(success) else success)
    return result, HttpResponseRedirect(redirect_to)


@login_required
@require_POST
def switch_collectivite(request: HttpRequest) -> HttpResponse:
    from deliberations.permissions import collectivite_ids_for

    try:
        wanted = int(request.POST.get("collectivite", ""))
    except ValueError:
        wanted = None
    if wanted in collectivite_ids_for(request.user):
        request.session[SESSION_KEY] = wanted
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)


def model_label(obj: Model) -> str:
    return obj._meta.label_lower
