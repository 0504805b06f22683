"""Pages of the prefecture exchanges: the act's box, the « Préfecture » desk, a transmission, a
message and its answers, the connector settings.

Views parse input, call one service and redirect with a message. Every object is looked up in
the user's collectivités (another one's is a 404); who may act is decided by the services.
Files (archives, letters) are only served here, after that check.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.files import read_bytes
from core.views import perform, visible_or_404
from deliberations.enums import Role
from deliberations.models import Act
from deliberations.permissions import has_role
from workflow.journal import events_for

from . import selectors, services
from .archive import read_tar
from .connectors import scope
from .enums import PrefectureMessageKind, TdtConnector, TransmissionStatus
from .forms import (
    AnswerForm,
    ImportReturnForm,
    NoteForm,
    ReasonForm,
    ReconcileForm,
    TdtSettingsForm,
)
from .models import PrefectureMessage, Transmission

#: What the collectivité can do about each letter of the prefecture (shown on the message page).
GUIDANCE: dict[str, Any] = {
    PrefectureMessageKind.COURRIER_SIMPLE: gettext_lazy(
        "The prefecture writes about the act. Read the letter; answer it (2-2) with a letter if "
        "it asks for an answer."
    ),
    PrefectureMessageKind.DEMANDE_PIECES: gettext_lazy(
        "The prefecture asks for documents it needs to review the act; its two-month period "
        "for referring the act to the court starts again when it receives them. Acknowledge the "
        "request (3-2), then send the documents (3-4), or refuse with a letter explaining why "
        "(3-3)."
    ),
    PrefectureMessageKind.LETTRE_OBSERVATIONS: gettext_lazy(
        "The prefect considers the act unlawful and asks you to change or withdraw it (recours "
        "gracieux). Acknowledge it (4-2), then answer with your justification (4-4) or reject "
        "the observations (4-3). Without an answer within two months, the prefect may refer the "
        "act to the administrative court."
    ),
    PrefectureMessageKind.DEFERE_TA: gettext_lazy(
        "The prefect referred the act to the administrative court. There is no answer through "
        "@ctes: the procedure continues before the court (inform your legal department). Mark "
        "the message handled once it is followed up."
    ),
    PrefectureMessageKind.RETOUR_CLASSIFICATION: gettext_lazy(
        "The prefecture's classification: an administrator imports it so that acts are "
        "classified with the current nomenclature."
    ),
}


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _current(request: HttpRequest) -> Any:
    collectivite = getattr(request, "collectivite", None)
    if collectivite is None:
        raise Http404
    return collectivite


def _transmission(request: HttpRequest, pk: int) -> Transmission:
    return visible_or_404(
        Transmission.objects.select_related("act", "collectivite", "reply_to", "cancels"),
        request,
        pk=pk,
    )


def _message(request: HttpRequest, pk: int) -> PrefectureMessage:
    return visible_or_404(
        PrefectureMessage.objects.select_related("act", "collectivite", "transmission"),
        request,
        pk=pk,
    )


def panel_context(request: HttpRequest, act: Act) -> dict[str, Any]:
    """Context of templates/actes/_transmission_panel.html (the act page's box)."""
    return {
        "act": act,
        "panel": selectors.transmission_panel(act),
        "can_operate": has_role(request.user, act.collectivite, Role.CLERK, Role.ADMIN),
        "next": request.get_full_path(),
        "request": request,
    }


# -- The « Préfecture » desk --------------------------------------------------------------------


@login_required
@require_GET
def desk(request: HttpRequest) -> HttpResponse:
    """What needs someone, what is on its way and what came back, for the current collectivité."""
    collectivite = _current(request)
    return render(
        request,
        "actes/desk.html",
        {
            "desk": selectors.prefecture_desk(collectivite),
            "settings": selectors.tdt_settings_for(collectivite),
            "import_form": ImportReturnForm(),
            "can_operate": has_role(request.user, collectivite, Role.CLERK, Role.ADMIN),
            "is_admin": has_role(request.user, collectivite, Role.ADMIN),
        },
    )


@login_required
@require_POST
def import_return(request: HttpRequest) -> HttpResponse:
    collectivite = _current(request)
    form = ImportReturnForm(request.POST, request.FILES)
    target = _next(request, reverse("actes:desk"))
    if not form.is_valid():
        messages.error(
            request, " ".join(str(e) for e in form.errors.get("file", [_("Choose a file.")]))
        )
        return redirect(target)
    upload = form.cleaned_data["file"]
    _imported, response = perform(
        request,
        lambda: services.import_prefecture_file(
            collectivite=collectivite,
            actor=request.user,
            content=upload.read(),
            name=upload.name,
        ),
        success=_("The file was imported."),
        redirect_to=target,
    )
    assert response is not None
    return response


@login_required
@require_POST
def poll_now(request: HttpRequest) -> HttpResponse:
    """Ask the prefecture's connector at once instead of waiting for the periodic poll."""
    collectivite = _current(request)
    report, response = perform(
        request,
        lambda: services.poll_collectivite(collectivite=collectivite, actor=request.user),
        success=lambda report: (
            _(
                "Checked with the prefecture: %(sent)d transmission(s) sent, %(checked)d status(es) "
                "read, %(imported)d return(s) imported."
            )
            % {"sent": report.sent, "checked": report.checked, "imported": report.imported}
        ),
        redirect_to=reverse("actes:desk"),
    )
    for error in report.errors if report is not None else []:
        messages.warning(request, error)
    assert response is not None
    return response


# -- The act's box ------------------------------------------------------------------------------


@login_required
@require_POST
def prepare(request: HttpRequest, pk: int) -> HttpResponse:
    act = visible_or_404(Act.objects.select_related("collectivite"), request, pk=pk)
    target = _next(request, reverse("act-detail", args=[pk]))
    _transmission, response = perform(
        request,
        lambda: services.prepare_transmission(act=act, actor=request.user),
        success=_("The archive was built and checked. Check it, then send it to the prefecture."),
        redirect_to=target,
    )
    assert response is not None
    return response


@login_required
@require_POST
def transmit(request: HttpRequest, pk: int) -> HttpResponse:
    transmission = _transmission(request, pk)
    _result, response = perform(
        request,
        lambda: services.transmit(transmission=transmission, actor=request.user),
        success=_("The transmission is on its way to the prefecture."),
        redirect_to=_next(request, reverse("actes:transmission", args=[pk])),
    )
    assert response is not None
    return response


@login_required
@require_POST
def discard(request: HttpRequest, pk: int) -> HttpResponse:
    transmission = _transmission(request, pk)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    _result, response = perform(
        request,
        lambda: services.discard_transmission(
            transmission=transmission, actor=request.user, reason=reason
        ),
        success=_("The transmission was discarded: the act can be prepared again."),
        redirect_to=_next(request, reverse("actes:transmission", args=[pk])),
    )
    assert response is not None
    return response


@login_required
@require_POST
def reconcile(request: HttpRequest, pk: int) -> HttpResponse:
    transmission = _transmission(request, pk)
    form = ReconcileForm(request.POST)
    target = _next(request, reverse("actes:transmission", args=[pk]))
    if not form.is_valid():
        messages.error(request, _("Say whether S2LOW has the act."))
        return redirect(target)
    _result, response = perform(
        request,
        lambda: services.reconcile_transmission(
            transmission=transmission,
            actor=request.user,
            received=form.cleaned_data["received"],
            external_id=form.cleaned_data["external_id"],
        ),
        success=_("The transmission was updated."),
        redirect_to=target,
    )
    assert response is not None
    return response


@login_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    transmission = _transmission(request, pk)
    form = ReasonForm(request.POST)
    target = _next(request, reverse("actes:transmission", args=[pk]))
    if not form.is_valid():
        messages.error(request, _("Give the reason for cancelling the transmission."))
        return redirect(target)
    _result, response = perform(
        request,
        lambda: services.request_cancellation(
            transmission=transmission, actor=request.user, reason=form.cleaned_data["reason"]
        ),
        success=_(
            "The cancellation was sent; the act is cancelled when the prefecture acknowledges it."
        ),
        redirect_to=target,
    )
    assert response is not None
    return response


# -- A transmission -----------------------------------------------------------------------------


@login_required
@require_GET
def transmission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    transmission = _transmission(request, pk)
    events = [
        event
        for event in (
            events_for(transmission.act)
            if transmission.act
            else events_for(transmission.collectivite)
        )
        if (event.data or {}).get("transmission") == transmission.pk
        or (event.data or {}).get("answer") == transmission.pk
        or (event.data or {}).get("cancellation") == transmission.pk
    ]
    return render(
        request,
        "actes/transmission.html",
        {
            "transmission": transmission,
            "events": events,
            "can_operate": has_role(
                request.user, transmission.collectivite, Role.CLERK, Role.ADMIN
            ),
            "reconcile_form": ReconcileForm(),
            "reason_form": ReasonForm(),
            "s2low": transmission.connector == TdtConnector.S2LOW,
            "statuses": TransmissionStatus,
        },
    )


@login_required
@require_GET
def archive(request: HttpRequest, pk: int) -> HttpResponse:
    transmission = _transmission(request, pk)
    response = HttpResponse(
        read_bytes(transmission.archive.name or ""), content_type="application/gzip"
    )
    response["Content-Disposition"] = f'attachment; filename="{transmission.archive_name}"'
    response["X-Content-SHA256"] = transmission.archive_sha256
    return response


# -- A message of the prefecture ----------------------------------------------------------------


def _package_files(message: PrefectureMessage) -> list[tuple[str, bytes]]:
    """The documents carried with a message (the prefecture's letter…), in archive order."""
    content = read_bytes(message.file.name or "")
    if content[:2] != b"\x1f\x8b" and content[257:262] != b"ustar":
        return []
    return [(name, data) for name, data in read_tar(content=content) if not name.endswith(".xml")]


@login_required
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = _message(request, pk)
    kinds = selectors.answer_kinds(message)
    form = AnswerForm(kinds=kinds)
    return render(
        request,
        "actes/message.html",
        {
            "message": message,
            "files": [name for name, _data in _package_files(message)],
            "answers": message.answers.order_by("-pk"),
            "form": form,
            "kinds": kinds,
            "guidance": GUIDANCE.get(message.kind, ""),
            "can_operate": has_role(request.user, message.collectivite, Role.CLERK, Role.ADMIN),
            "is_admin": has_role(request.user, message.collectivite, Role.ADMIN),
            "note_form": NoteForm(),
        },
    )


@login_required
@require_POST
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    message = _message(request, pk)
    form = AnswerForm(request.POST, request.FILES, kinds=selectors.answer_kinds(message))
    target = reverse("actes:message", args=[pk])
    if not form.is_valid():
        messages.error(request, _("Choose an answer and attach the PDF files it needs."))
        return redirect(target)
    _result, response = perform(
        request,
        lambda: services.answer_prefecture_message(
            message=message,
            actor=request.user,
            kind=form.cleaned_data["kind"],
            documents=form.documents_content(),
        ),
        success=_("The answer is on its way to the prefecture."),
        redirect_to=target,
    )
    assert response is not None
    return response


@login_required
@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    message = _message(request, pk)
    form = NoteForm(request.POST)
    _result, response = perform(
        request,
        lambda: services.close_message(
            message=message,
            actor=request.user,
            note=form.cleaned_data["note"] if form.is_valid() else "",
        ),
        success=_("The message is marked handled."),
        redirect_to=reverse("actes:message", args=[pk]),
    )
    assert response is not None
    return response


@login_required
@require_POST
def import_classification(request: HttpRequest, pk: int) -> HttpResponse:
    message = _message(request, pk)
    _result, response = perform(
        request,
        lambda: services.import_classification_message(message=message, actor=request.user),
        success=_("The classification was imported; it is now the current one."),
        redirect_to=reverse("actes:message", args=[pk]),
    )
    assert response is not None
    return response


@login_required
@require_GET
def message_file(request: HttpRequest, pk: int, index: int | None = None) -> HttpResponse:
    """The file as received (``index`` None) or one document it carries."""
    message = _message(request, pk)
    if index is None:
        content = read_bytes(message.file.name or "")
        response = HttpResponse(content, content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="{message.file_name}"'
        return response
    files = _package_files(message)
    if not 0 <= index < len(files):
        raise Http404
    name, data = files[index]
    is_pdf = data.startswith(b"%PDF-")
    response = HttpResponse(
        data,
        content_type="application/pdf"
        if is_pdf
        else (mimetypes.guess_type(name)[0] or "application/octet-stream"),
    )
    disposition = "inline" if is_pdf else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{name.rsplit("/", 1)[-1]}"'
    return response


# -- Settings -----------------------------------------------------------------------------------


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    """The connector to the tiers de télétransmission (administrators)."""
    collectivite = _current(request)
    if not has_role(request.user, collectivite, Role.ADMIN):
        raise PermissionDenied
    tdt = selectors.tdt_settings_for(collectivite)
    form = TdtSettingsForm(request.POST or None, initial=TdtSettingsForm.initial_for(tdt))
    if request.method == "POST" and form.is_valid():
        _result, response = perform(
            request,
            lambda: services.update_tdt_settings(
                collectivite=collectivite, actor=request.user, **form.service_kwargs()
            ),
            success=_("The transmission settings were saved."),
            redirect_to=reverse("actes:settings"),
            form=form,
        )
        if response is not None:
            return response
    return render(
        request,
        "actes/settings.html",
        {
            "form": form,
            "settings": tdt,
            "collectivite": collectivite,
            "classification": selectors.current_classification(collectivite),
            "scope": scope(collectivite),
        },
    )


@login_required
@require_POST
def fetch_classification(request: HttpRequest) -> HttpResponse:
    collectivite = _current(request)
    _result, response = perform(
        request,
        lambda: services.fetch_classification(collectivite=collectivite, actor=request.user),
        success=_("The prefecture's classification was imported."),
        redirect_to=reverse("actes:settings"),
    )
    assert response is not None
    return response
