"""The user guide in the app (/guide/), the guided tours' steps and their "seen" flag."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from deliberations.permissions import roles_in

from . import docs, services
from .tours import ROLE_TITLES, TOURS, tour_payload, tour_roles


def _chapters() -> list[tuple[str, str]]:
    """The chapters: the roles' in the order of the roles, then the others (migration…)."""
    found = [(role, ROLE_TITLES[role]) for role in ROLE_TITLES if docs.chapter(role) is not None]
    for path in sorted(docs.guide_dir().glob("*.md")):
        if path.stem != "index" and path.stem not in ROLE_TITLES:
            chapter = docs.chapter(path.stem)
            if chapter is not None:
                found.append((path.stem, chapter.title))
    return found


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    chapter = docs.chapter("index")
    if chapter is None:
        raise Http404("no guide")
    return render(
        request, "guide/chapter.html", {"chapter": chapter, "chapters": _chapters(), "slug": ""}
    )


@require_GET
def role(request: HttpRequest, slug: str) -> HttpResponse:
    chapter = docs.chapter(slug) if slug != "index" else None
    if chapter is None:
        raise Http404("no such chapter")
    return render(
        request, "guide/chapter.html", {"chapter": chapter, "chapters": _chapters(), "slug": slug}
    )


@require_GET
def image(request: HttpRequest, name: str) -> FileResponse:
    path = docs.image_path(name)
    if path is None:
        raise Http404("no such image")
    response = FileResponse(path.open("rb"), content_type="image/png")
    response["Cache-Control"] = "public, max-age=3600"
    return response


def _held(request: HttpRequest) -> list[str]:
    collectivite = getattr(request, "collectivite", None)
    held = roles_in(request.user, collectivite.pk) if collectivite is not None else frozenset()
    return tour_roles(held, superuser=request.user.is_superuser)


@login_required
@require_GET
def tour(request: HttpRequest, role: str) -> JsonResponse:
    if role not in TOURS or role not in _held(request):
        raise Http404("no such tour for you")
    payload = tour_payload(
        role, user=request.user, collectivite=getattr(request, "collectivite", None)
    )
    return JsonResponse(payload, json_dumps_params={"ensure_ascii": False})


@login_required
@require_GET
def tour_status(request: HttpRequest) -> JsonResponse:
    """The tour to offer at first login: the first of the user's roles, until one is seen."""
    roles = _held(request)
    if not roles or services.tour_seen(request.user):
        return JsonResponse({"offer": ""})
    role = roles[0]
    return JsonResponse(
        {
            "offer": role,
            "title": ROLE_TITLES[role],
            "url": reverse("guide:tour", args=[role]),
        },
        json_dumps_params={"ensure_ascii": False},
    )


@login_required
@require_POST
def tour_seen(request: HttpRequest) -> HttpResponse:
    role = request.POST.get("role", "")
    services.mark_tour_seen(actor=request.user, role=role if role in TOURS else "")
    target = request.POST.get("next", "")
    if target:
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = "/"
        return redirect(target)
    return HttpResponse(status=204)
