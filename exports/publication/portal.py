"""The public portal (no login): published acts, séance documents, open data, Atom feed.

Every read goes through exports.publication.selectors.public_*: an act is reachable only when
it has a publication that was not withdrawn and it is not confidential; a séance only when
something of it is online. Anything else — an unpublished or confidential act, its file, an id
guessed in a URL — is a plain 404, the same as an unknown address.
"""

from __future__ import annotations

from typing import Any

from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.db.models.functions import ExtractYear
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from deliberations.enums import AgendaItemStatus
from deliberations.models import AgendaItem, Collectivite
from exports.actes.selectors import acknowledgement
from exports.opendata.exceptions import InvalidOpenData
from exports.snapshots.acts import VERIFICATION_PATH

from . import opendata, selectors
from .forms import PortalFilterForm
from .models import Publication

PAGE_SIZE = 20


def _collectivite(slug: str) -> Collectivite:
    return get_object_or_404(Collectivite, slug=slug)


def _publication(collectivite: Collectivite, identifier: str) -> Publication:
    return get_object_or_404(
        selectors.public_publications(collectivite).select_related(
            "act__assembly", "act__rapporteur__official"
        ),
        identifier=identifier,
    )


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "publication/portal_index.html",
        {"collectivites": selectors.public_collectivites()},
    )


@require_GET
def act_list(request: HttpRequest, slug: str) -> HttpResponse:
    collectivite = _collectivite(slug)
    online = selectors.public_publications(collectivite)
    # The distinct years are computed by the database: reading one row per act here made the
    # page slower with every act published (docs/performance.md).
    years = sorted(
        (
            year
            for year in online.order_by()
            .annotate(year=ExtractYear("act__decision_date"))
            .values_list("year", flat=True)
            .distinct()
            if year
        ),
        reverse=True,
    )
    form = PortalFilterForm(request.GET or None, years=years)
    publications = online
    if form.is_valid():
        data = form.cleaned_data
        publications = selectors.search_publications(
            online,
            q=data["q"],
            year=data["year"],
            act_type=data["type"],
            matiere=data["matiere"],
        )
    page = Paginator(publications, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "publication/portal_acts.html",
        {
            "collectivite": collectivite,
            "section": "acts",
            "page": page,
            "form": form,
            "query": query.urlencode(),
            "filtered": form.is_bound and form.is_valid() and any(form.cleaned_data.values()),
        },
    )


def _vote_item(publication: Publication) -> AgendaItem | None:
    return (
        AgendaItem.objects.filter(
            act=publication.act, status=AgendaItemStatus.VOTED, vote__isnull=False
        )
        .select_related("vote", "seance__assembly")
        .order_by("-seance__date")
        .first()
    )


@require_GET
def act_detail(request: HttpRequest, slug: str, identifier: str) -> HttpResponse:
    collectivite = _collectivite(slug)
    publication = _publication(collectivite, identifier)
    act = publication.act
    ack = acknowledgement(act)
    item = _vote_item(publication)
    seance_online = (
        item is not None
        and selectors.public_seances(collectivite).filter(pk=item.seance_id).exists()
    )
    return render(
        request,
        "publication/portal_act.html",
        {
            "collectivite": collectivite,
            "section": "acts",
            "publication": publication,
            "act": act,
            "item": item,
            "seance_online": seance_online,
            "acknowledged": ack,
            "status": selectors.enforceability(act, publication, ack.ack_date if ack else None),
            "verification_path": (
                VERIFICATION_PATH.format(token=publication.verification_token)
                if publication.verification_token
                else ""
            ),
        },
    )


def _pdf(file: Any, name: str, sha256: str) -> FileResponse:
    response = FileResponse(file.open("rb"), content_type="application/pdf", filename=name)
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["X-Content-SHA256"] = sha256
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def act_pdf(request: HttpRequest, slug: str, identifier: str) -> FileResponse:
    publication = _publication(_collectivite(slug), identifier)
    return _pdf(publication.file, f"{publication.identifier}.pdf", publication.file_sha256)


@require_GET
def seance_list(request: HttpRequest, slug: str) -> HttpResponse:
    collectivite = _collectivite(slug)
    page = Paginator(selectors.public_seances(collectivite), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    documents: dict[int, list[Any]] = {}
    for document in selectors.public_seance_documents(collectivite).filter(
        seance__in=[seance.pk for seance in page]
    ):
        documents.setdefault(document.seance_id, []).append(document)
    return render(
        request,
        "publication/portal_seances.html",
        {
            "collectivite": collectivite,
            "section": "seances",
            "page": page,
            "rows": [(seance, documents.get(seance.pk, [])) for seance in page],
        },
    )


@require_GET
def seance_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    collectivite = _collectivite(slug)
    seance = get_object_or_404(selectors.public_seances(collectivite), pk=pk)
    return render(
        request,
        "publication/portal_seance.html",
        {
            "collectivite": collectivite,
            "section": "seances",
            "seance": seance,
            "documents": selectors.public_seance_documents(collectivite).filter(seance=seance),
            "publications": selectors.seance_acts(seance),
        },
    )


@require_GET
def seance_pdf(request: HttpRequest, slug: str, pk: int, kind: str) -> FileResponse:
    collectivite = _collectivite(slug)
    document = get_object_or_404(
        selectors.public_seance_documents(collectivite), seance_id=pk, kind=kind
    )
    day = document.seance.date.strftime("%Y-%m-%d")
    name = (
        f"{'liste-des-deliberations' if kind == 'deliberation_list' else 'proces-verbal'}-{day}.pdf"
    )
    return _pdf(document.file, name, document.file_sha256)


@require_GET
def opendata_page(request: HttpRequest, slug: str) -> HttpResponse:
    collectivite = _collectivite(slug)
    return render(
        request,
        "publication/portal_opendata.html",
        {"collectivite": collectivite, "section": "data"},
    )


def _download(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _year(request: HttpRequest) -> int | None:
    value = request.GET.get("year", "")
    return int(value) if value.isdigit() else None


@require_GET
def opendata_csv(request: HttpRequest, slug: str) -> HttpResponse:
    collectivite = _collectivite(slug)
    year = _year(request)
    try:
        content = opendata.export_csv([collectivite], year=year)
    except InvalidOpenData:
        return HttpResponse(
            _("The open-data file cannot be produced right now; the collectivité is told."),
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    return _download(
        content, "text/csv; charset=utf-8", opendata.file_name(collectivite, year, "csv")
    )


@require_GET
def opendata_json(request: HttpRequest, slug: str) -> HttpResponse:
    collectivite = _collectivite(slug)
    year = _year(request)
    try:
        content = opendata.export_json(collectivite, year=year)
    except InvalidOpenData:
        return HttpResponse(
            _("The open-data file cannot be produced right now; the collectivité is told."),
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    return _download(content, "application/json", opendata.file_name(collectivite, year, "json"))


class ActsFeed(Feed):
    """Atom feed of the acts put online, newest first."""

    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, slug: str) -> Collectivite:
        return _collectivite(slug)

    def title(self, obj: Collectivite) -> str:
        return _("Acts published by %(name)s") % {"name": obj.name}

    def link(self, obj: Collectivite) -> str:
        return reverse("publication:acts", kwargs={"slug": obj.slug})

    def subtitle(self, obj: Collectivite) -> str:
        return _("Deliberations, orders and decisions put online, in full.")

    def items(self, obj: Collectivite) -> list[Publication]:
        return list(selectors.public_publications(obj).order_by("-published_at", "-pk")[:50])

    def item_title(self, item: Publication) -> str:
        return f"{item.identifier} — {item.act.objet}"

    def item_description(self, item: Publication) -> str:
        return _("%(type)s of %(date)s, put online on %(online)s.") % {
            "type": item.act.get_act_type_display(),
            "date": item.act.decision_date.strftime("%d/%m/%Y") if item.act.decision_date else "",
            "online": item.published_at.strftime("%d/%m/%Y"),
        }

    def item_link(self, item: Publication) -> str:
        return reverse(
            "publication:act",
            kwargs={"slug": item.collectivite.slug, "identifier": item.identifier},
        )

    def item_pubdate(self, item: Publication) -> Any:
        return item.published_at

    def item_updateddate(self, item: Publication) -> Any:
        return item.published_at

    def item_enclosure_url(self, item: Publication) -> str:
        return reverse(
            "publication:act-pdf",
            kwargs={"slug": item.collectivite.slug, "identifier": item.identifier},
        )

    def item_enclosure_length(self, item: Publication) -> int:
        return item.file_size

    def item_enclosure_mime_type(self, item: Publication) -> str:
        return "application/pdf"
