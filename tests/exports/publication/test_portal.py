"""The public portal through HTTP, without login: only published, non-confidential acts (and
their files) are ever reachable; guessed identifiers, withdrawn acts, another collectivité's
address are all plain 404s."""

from __future__ import annotations

import datetime as dt
import hashlib
from xml.etree import ElementTree

import pytest
from django.utils import timezone

from core.files import store_bytes
from deliberations.models import Act
from deliberations.validators import luhn_complete
from exports.enums import DocumentKind, DocumentStatus
from exports.models import RenderedDocument
from exports.opendata.scdl import validate_scdl_csv
from exports.publication import services
from exports.publication.models import Publication
from tests.exports.actes import integration as fixtures
from tests.exports.actes.integration import ACT_PDF
from tests.factories import CollectiviteFactory

# Fixtures shared with the other integration modules (assigned, so that they override the
# library's own ``collectivite`` in tests/exports/actes/conftest.py).
admin = fixtures.admin
arrete = fixtures.arrete
assembly = fixtures.assembly
classification = fixtures.classification
clerk = fixtures.clerk
collectivite = fixtures.collectivite
mandates = fixtures.mandates
outsider = fixtures.outsider
played = fixtures.played
signed_act = fixtures.signed_act
signed_acts = fixtures.signed_acts
the_council = fixtures.the_council
validator = fixtures.validator

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def online(signed_acts, clerk, collectivite):
    """The first act published; the second signed but not published."""
    collectivite.siret = luhn_complete(collectivite.siren + "0001")
    collectivite.save(update_fields=["siret"])
    publication = services.publish_act(act=signed_acts[0], actor=clerk)
    return publication, signed_acts[1]


def url(collectivite, *parts):
    return "/actes/" + "/".join([collectivite.slug, *parts])


def test_the_list_shows_only_published_acts(client, online, collectivite):
    publication, unpublished = online

    page = client.get(url(collectivite, ""))

    body = page.content.decode()
    assert page.status_code == 200
    assert publication.act.objet in body
    assert unpublished.objet not in body
    assert f"/actes/{collectivite.slug}/{publication.identifier}.pdf" in body
    assert "1 act" in body


def test_the_act_page_shows_dates_votes_and_links(client, online, collectivite):
    publication, _unpublished = online

    page = client.get(url(collectivite, publication.identifier, ""))

    body = page.content.decode()
    assert page.status_code == 200
    assert '<h1 id="act-title">' in body
    assert f"/verify/act/{publication.verification_token}/" in body
    assert publication.file_sha256 in body
    assert "Anne MARTIN, Maire" in body
    assert "Waiting for the prefecture&#x27;s acknowledgement." in body
    vote = publication.act.agenda_items.get().vote
    assert f"<dt>For</dt><dd>{vote.for_count}</dd>" in body


def test_the_pdf_is_served_inline_with_its_fingerprint(client, online, collectivite):
    publication, _unpublished = online

    response = client.get(url(collectivite, f"{publication.identifier}.pdf"))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == ACT_PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-SHA256"] == hashlib.sha256(ACT_PDF).hexdigest()


def test_unpublished_confidential_and_foreign_acts_are_never_reachable(
    client, online, collectivite, admin
):
    publication, unpublished = online
    other = CollectiviteFactory(slug="ailleurs")
    confidential = Act.objects.get(pk=unpublished.pk)
    # Even a publication row of a confidential act (impossible through the services) stays hidden.
    Act.objects.filter(pk=confidential.pk).update(confidential=True)
    Publication.objects.create(
        collectivite=collectivite,
        act=confidential,
        identifier=confidential.number,
        published_at=timezone.now(),
        author_name="x",
        file=store_bytes("publication/tests", ACT_PDF, extension="pdf"),
        file_sha256="0" * 64,
        pdf_source="rendered",
    )

    addresses = [
        url(collectivite, confidential.number, ""),
        url(collectivite, f"{confidential.number}.pdf"),
        url(collectivite, "DEL2099_9999", ""),
        url(collectivite, "DEL2099_9999.pdf"),
        url(other, publication.identifier, ""),
        url(other, f"{publication.identifier}.pdf"),
        "/actes/inconnue/",
        f"/actes/{collectivite.slug}/{publication.pk}/",
        f"/actes/{collectivite.slug}/seances/{publication.act.agenda_items.get().seance_id + 99}/",
    ]
    assert [client.get(address).status_code for address in addresses] == [404] * len(addresses)
    listing = client.get(url(collectivite, "")).content.decode()
    assert confidential.objet not in listing
    feed = client.get(url(collectivite, "flux.atom")).content.decode()
    assert confidential.objet not in feed
    search = client.get(url(collectivite, ""), {"q": confidential.number}).content.decode()
    assert "0 acts" in search


def test_a_withdrawn_act_disappears(client, online, collectivite, admin):
    publication, _unpublished = online
    Publication.objects.filter(pk=publication.pk).update(
        published_at=timezone.now() - dt.timedelta(days=90)
    )
    services.unpublish_act(publication=publication, actor=admin, reason="Fin de diffusion")

    assert client.get(url(collectivite, publication.identifier, "")).status_code == 404
    assert client.get(url(collectivite, f"{publication.identifier}.pdf")).status_code == 404
    assert publication.act.objet not in client.get(url(collectivite, "")).content.decode()


def test_search_ignores_case_accents_and_apostrophes(client, online, collectivite):
    publication, _unpublished = online

    def found(**query):
        return publication.act.objet in client.get(url(collectivite, ""), query).content.decode()

    assert found(q="COMITE des fêtes") is True
    assert found(q="d'une subvention") is True
    assert found(q=publication.identifier.lower()) is True
    assert found(q="stationnement") is False
    assert found(year=publication.act.decision_date.year) is True
    assert found(type="deliberation") is True
    assert found(type="arrete") is False
    assert found(matiere="7") is True
    assert found(matiere="8") is False


def test_the_feed_lists_published_acts(client, online, collectivite):
    publication, _unpublished = online

    response = client.get(url(collectivite, "flux.atom"))

    feed = ElementTree.fromstring(response.content)
    entries = feed.findall(f"{ATOM}entry")
    assert response["Content-Type"].startswith("application/atom+xml")
    assert [e.find(f"{ATOM}title").text for e in entries] == [
        f"{publication.identifier} — {publication.act.objet}"
    ]
    links = {link.get("rel"): link.get("href") for link in entries[0].findall(f"{ATOM}link")}
    assert links["enclosure"].endswith(f"/actes/{collectivite.slug}/{publication.identifier}.pdf")


def test_the_seance_shows_its_documents_and_acts(client, online, collectivite, clerk, played):
    publication, _unpublished = online
    seance = played.seance
    content = b"%PDF-1.4 list"
    RenderedDocument.objects.create(
        collectivite=collectivite,
        kind=DocumentKind.DELIBERATION_LIST,
        seance=seance,
        template_name="pdf/seance.html",
        template_sha256="0" * 64,
        snapshot={},
        snapshot_sha256="1" * 64,
        content_sha256=hashlib.sha256(content).hexdigest(),
        file=store_bytes("documents/tests", content, extension="pdf"),
        status=DocumentStatus.READY,
    )
    services.publish_seance_document(seance=seance, kind="deliberation_list", actor=clerk)

    page = client.get(url(collectivite, "seances", str(seance.pk), ""))
    pdf = client.get(url(collectivite, "seances", str(seance.pk), "deliberation_list.pdf"))
    minutes = client.get(url(collectivite, "seances", str(seance.pk), "minutes.pdf"))

    assert page.status_code == 200
    assert publication.act.objet in page.content.decode()
    assert b"".join(pdf.streaming_content) == content
    assert minutes.status_code == 404


def test_open_data_downloads_are_valid(client, online, collectivite):
    csv = client.get(url(collectivite, "donnees", "deliberations.csv"))
    json = client.get(url(collectivite, "donnees", "deliberations.json"))

    assert csv.status_code == 200
    assert validate_scdl_csv(content=csv.content) == []
    assert csv.content.count(b"\r\n") == 2
    assert json.json()["collectivite"]["siret"] == collectivite.siret
    assert len(json.json()["deliberations"]) == 1


def test_the_list_costs_a_constant_number_of_queries(
    client, online, collectivite, django_assert_num_queries
):
    with django_assert_num_queries(4):
        client.get(url(collectivite, ""))


def test_the_portal_is_accessible_markup(client, online, collectivite):
    body = client.get(url(collectivite, "")).content.decode()
    assert '<html lang="en">' in body
    assert '<a class="skip-link" href="#content">' in body
    assert '<main id="content"' in body
    assert 'role="search"' in body
    assert '<label for="id_q">Search</label>' in body
    assert 'style="' not in body and "<script" not in body
