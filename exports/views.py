"""Pages of the documents: panels of an act and a séance, downloads, preview, settings.

Views parse input, call one service and render. Rendering never runs here with a broker: a
request stores a pending version, and the panel polls a small status fragment every second
until the version is ready (htmx). Files are only served through these permission-checked
views; another collectivité's document is a 404.
"""

from __future__ import annotations

import io
import re
import zipfile
from functools import lru_cache
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import DelibreError
from core.files import read_bytes
from core.views import visible_or_404
from deliberations.enums import Role
from deliberations.models import Act, Seance
from deliberations.permissions import has_role

from . import selectors, services
from .documents.engine import CSS_DIR as DOCUMENT_CSS_DIR
from .enums import SEANCE_KINDS, AnnexMode, DocumentKind, DocumentStatus
from .forms import AnnexModeForm, DocumentSettingsForm
from .models import RenderedDocument
from .snapshots.common import document_settings, office_of


def _fragment(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """An htmx fragment, rendered without the context processors of full pages (they query
    the database for the header, which a fragment polled every second does not show)."""
    return HttpResponse(render_to_string(template, {**context, "csrf_token": get_token(request)}))


def _can_render(request: HttpRequest, collectivite: Any) -> bool:
    return has_role(request.user, collectivite, Role.CLERK, Role.ADMIN)


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


# Panels -----------------------------------------------------------------------------------------


def act_panel_context(request: HttpRequest, act: Act, **extra: Any) -> dict[str, Any]:
    """Context of templates/exports/_act_panel.html (also used by the template tag)."""
    return {
        "act": act,
        "panel": selectors.panel_for(act),
        "can_render": _can_render(request, act.collectivite),
        "annex_form": AnnexModeForm(),
        "next": request.get_full_path(),
        **extra,
    }


def seance_panel_context(request: HttpRequest, seance: Seance, **extra: Any) -> dict[str, Any]:
    """Context of templates/exports/_seance_panel.html (also used by the template tag)."""
    return {
        "seance": seance,
        "panel": selectors.panel_for(seance),
        "can_render": _can_render(request, seance.collectivite),
        "closed": seance.status == "closed",
        "members_count": len(office_of(seance)),
        "next": request.get_full_path(),
        **extra,
    }


def _act(request: HttpRequest, pk: int) -> Act:
    return visible_or_404(Act.objects.select_related("collectivite"), request, pk=pk)


def _seance(request: HttpRequest, pk: int) -> Seance:
    return visible_or_404(Seance.objects.select_related("collectivite", "assembly"), request, pk=pk)


@login_required
@require_GET
def act_panel(request: HttpRequest, pk: int) -> HttpResponse:
    act = _act(request, pk)
    context = act_panel_context(
        request,
        act,
        next=_next_url(request, reverse("act-detail", args=[pk])),
        full=request.GET.get("full") == "1",
    )
    return _fragment(request, "exports/_act_panel.html", context)


@login_required
@require_GET
def seance_panel(request: HttpRequest, pk: int) -> HttpResponse:
    seance = _seance(request, pk)
    context = seance_panel_context(
        request,
        seance,
        next=_next_url(request, reverse("seance-detail", args=[pk])),
        full=request.GET.get("full") == "1",
    )
    return _fragment(request, "exports/_seance_panel.html", context)


@login_required
@require_GET
def act_documents(request: HttpRequest, pk: int) -> HttpResponse:
    """Every document of an act with all its versions and their hashes."""
    act = _act(request, pk)
    return render(request, "exports/act_documents.html", act_panel_context(request, act, full=True))


@login_required
@require_GET
def seance_documents(request: HttpRequest, pk: int) -> HttpResponse:
    """Every document of a séance, the convocation of each member, and their versions."""
    seance = _seance(request, pk)
    return render(
        request,
        "exports/seance_documents.html",
        seance_panel_context(request, seance, full=True),
    )


def _answer(
    request: HttpRequest,
    call: Any,
    *,
    success: str,
    redirect_to: str,
    panel: Any,
) -> HttpResponse:
    """Run one service call; htmx gets the refreshed panel, other browsers a redirect."""
    error = ""
    try:
        call()
    except DelibreError as exc:
        error = str(exc.message)
    if request.htmx:  # type: ignore[attr-defined]
        return panel(error=error, notice="" if error else success)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, success)
    return redirect(redirect_to)


@login_required
@require_POST
def act_request(request: HttpRequest, pk: int) -> HttpResponse:
    act = _act(request, pk)
    kind = request.POST.get("kind", DocumentKind.ACT)
    form = AnnexModeForm(request.POST)
    annex_mode = form.cleaned_data["annex_mode"] if form.is_valid() else AnnexMode.APPENDED
    target = _next_url(request, reverse("exports:act-documents", args=[pk]))

    def panel(**extra: Any) -> HttpResponse:
        full = request.POST.get("full") == "1"
        return _fragment(
            request,
            "exports/_act_panel.html",
            act_panel_context(request, act, next=target, full=full, **extra),
        )

    return _answer(
        request,
        lambda: services.request_document(
            kind=kind, target=act, actor=request.user, annex_mode=annex_mode
        ),
        success=_("The document was requested; it is ready in a few seconds."),
        redirect_to=target,
        panel=panel,
    )


@login_required
@require_POST
def seance_request(request: HttpRequest, pk: int) -> HttpResponse:
    seance = _seance(request, pk)
    kind = request.POST.get("kind", "all")
    target = _next_url(request, reverse("exports:seance-documents", args=[pk]))
    if kind == "all":

        def call() -> Any:
            return services.request_seance_documents(seance=seance, actor=request.user)

    elif kind == DocumentKind.CONVOCATION:

        def call() -> Any:
            return services.request_seance_documents(
                seance=seance, actor=request.user, kinds=[DocumentKind.CONVOCATION]
            )

    elif kind in SEANCE_KINDS:

        def call() -> Any:
            return services.request_document(kind=kind, target=seance, actor=request.user)

    else:
        raise Http404

    def panel(**extra: Any) -> HttpResponse:
        full = request.POST.get("full") == "1"
        return _fragment(
            request,
            "exports/_seance_panel.html",
            seance_panel_context(request, seance, next=target, full=full, **extra),
        )

    return _answer(
        request,
        call,
        success=_("The documents were requested; they are ready in a few seconds."),
        redirect_to=target,
        panel=panel,
    )


@login_required
@require_GET
def document_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The small fragment a pending document polls; tells the panel to reload once done."""
    document = visible_or_404(RenderedDocument.objects.all(), request, pk=pk)
    response = _fragment(request, "exports/_status.html", {"document": document})
    if document.status != DocumentStatus.PENDING:
        response["HX-Trigger"] = "documents-changed"
    return response


@login_required
@require_GET
def pack_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The parts-ready bar of a pending séance pack, polled every second; tells the panel to
    reload once the pack is done."""
    document = visible_or_404(RenderedDocument.objects.all(), request, pk=pk)
    response = _fragment(
        request,
        "exports/_pack_progress.html",
        {"document": document, "progress": selectors.pack_progress(document)},
    )
    if document.status != DocumentStatus.PENDING:
        response["HX-Trigger"] = "documents-changed"
    return response


# Files ------------------------------------------------------------------------------------------


def _ready(request: HttpRequest, pk: int) -> RenderedDocument:
    document = visible_or_404(
        RenderedDocument.objects.select_related("act", "seance", "recipient__official"),
        request,
        pk=pk,
    )
    if document.status != DocumentStatus.READY or not document.file:
        raise Http404
    return document


@login_required
@require_GET
def document_file(request: HttpRequest, pk: int, disposition: str) -> FileResponse:
    """The stored PDF, inline (``view``) or as an attachment (``download``)."""
    document = _ready(request, pk)
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=disposition == "download",
        filename=selectors.download_name(document),
        content_type="application/pdf",
    )
    response["X-Content-SHA256"] = document.content_sha256
    return response


@login_required
@require_GET
def convocations_zip(request: HttpRequest, pk: int) -> HttpResponse:
    """Every member's current convocation in one ZIP file."""
    seance = _seance(request, pk)
    documents = (
        RenderedDocument.objects.filter(
            seance=seance,
            kind=DocumentKind.CONVOCATION,
            is_current=True,
            status=DocumentStatus.READY,
        )
        .select_related("seance", "recipient__official")
        .order_by("recipient__rank")
    )
    if not documents:
        raise Http404
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for document in documents:
            archive.writestr(
                selectors.download_name(document), read_bytes(document.file.name or "")
            )
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    name = f"convocations-{seance.date:%Y-%m-%d}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# HTML preview -----------------------------------------------------------------------------------

_FONT_URL = re.compile(r'url\("\.\./\.\./fonts/([A-Za-z0-9_.-]+)"\)')


@lru_cache(maxsize=8)
def _preview_css(family: str, mtimes: tuple[int, ...]) -> str:
    """The document stylesheets for a browser: fonts from the static files, no @page."""

    def font(match: re.Match[str]) -> str:
        name = match.group(1)
        return f'url("{static("fonts/" + name)}")' if finders.find(f"fonts/{name}") else "none"

    sources = [(DOCUMENT_CSS_DIR / f"{name}.css").read_text() for name in ("base", family)]
    return _FONT_URL.sub(font, "\n".join(sources))


@require_GET
def preview_stylesheet(request: HttpRequest, family: str) -> HttpResponse:
    if family not in ("act", "seance", "proof"):
        raise Http404
    paths = [DOCUMENT_CSS_DIR / f"{name}.css" for name in ("base", family)]
    css = _preview_css(family, tuple(path.stat().st_mtime_ns for path in paths))
    return HttpResponse(css, content_type="text/css; charset=utf-8")


@login_required
@require_GET
def act_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The act as its PDF would print it now, as a web page (nothing is stored)."""
    act = _act(request, pk)
    form = AnnexModeForm(request.GET)
    annex_mode = form.cleaned_data["annex_mode"] if form.is_valid() else AnnexMode.APPENDED
    try:
        html, family = services.preview_html(act=act, actor=request.user, annex_mode=annex_mode)
    except DelibreError as exc:
        messages.error(request, str(exc.message))
        return redirect("exports:act-documents", pk=act.pk)
    head = render_to_string("exports/_preview_head.html", {"family": family}, request=request)
    banner = render_to_string("exports/_preview_banner.html", {"act": act}, request=request)
    html = html.replace("</head>", head + "</head>", 1)
    html = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + banner, html, count=1)
    return HttpResponse(html)


# Settings ----------------------------------------------------------------------------------------


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    """How the documents of the current collectivité look and read (administrators)."""
    collectivite = getattr(request, "collectivite", None)
    if collectivite is None:
        raise Http404
    if not has_role(request.user, collectivite, Role.ADMIN):
        raise PermissionDenied
    options = document_settings(collectivite)
    form = DocumentSettingsForm(
        request.POST or None, initial=DocumentSettingsForm.initial_for(options)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_document_settings(
                collectivite=collectivite, actor=request.user, **form.service_kwargs()
            )
        except DelibreError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            messages.success(request, _("The document settings were saved."))
            return redirect("exports:settings")
    return render(
        request,
        "exports/settings.html",
        {"form": form, "collectivite": collectivite, "options": options},
    )
