"""The prefecture exchanges and publication API: same services, same checks as the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from core.files import read_bytes
from deliberations.validators import luhn_complete
from exports.actes.models import Transmission
from exports.opendata.scdl import validate_scdl_csv
from exports.publication.scenario import aracte_package
from tests.exports.actes import integration as fixtures
from tests.exports.actes.test_services import _letter
from tests.pdfs import blank_pdf

# Fixtures shared with the other integration modules (assigned, so that they override the
# library's own ``collectivite`` in tests/exports/actes/conftest.py).
admin = fixtures.admin
arrete = fixtures.arrete
assembly = fixtures.assembly
classification = fixtures.classification
clerk = fixtures.clerk
collectivite = fixtures.collectivite
drop = fixtures.drop
actes_root = fixtures.actes_root
mandates = fixtures.mandates
outsider = fixtures.outsider
played = fixtures.played
signed_act = fixtures.signed_act
signed_acts = fixtures.signed_acts
tdt = fixtures.tdt
the_council = fixtures.the_council
validator = fixtures.validator

pytestmark = pytest.mark.django_db


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_prepare_transmit_follow_and_download(
    signed_act, clerk, tdt, django_capture_on_commit_callbacks
):
    api = api_for(clerk)

    created = api.post("/api/actes/transmissions/", {"act": signed_act.pk}, format="json")
    pk = created.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        queued = api.post(f"/api/actes/transmissions/{pk}/transmit/")
    detail = api.get(f"/api/actes/transmissions/{pk}/").json()
    archive = api.get(f"/api/actes/transmissions/{pk}/archive/")
    twice = api.post("/api/actes/transmissions/", {"act": signed_act.pk}, format="json")

    transmission = Transmission.objects.get(pk=pk)
    assert (created.status_code, created.json()["status"]) == (201, "prepared")
    assert (queued.status_code, queued.json()["status"]) == (202, "queued")
    assert detail["status"] == "sent"
    assert archive.content == read_bytes(transmission.archive.name)
    assert (twice.status_code, twice.json()["code"]) == (409, "transmission_refused")


def test_refusals_are_4xx_and_change_nothing(signed_act, played, validator, clerk, outsider, tdt):
    unsigned = played.acts[2]

    forbidden = api_for(validator).post(
        "/api/actes/transmissions/", {"act": signed_act.pk}, format="json"
    )
    unsigned_answer = api_for(clerk).post(
        "/api/actes/transmissions/", {"act": unsigned.pk}, format="json"
    )
    foreign = api_for(outsider).post(
        "/api/actes/transmissions/", {"act": signed_act.pk}, format="json"
    )

    assert forbidden.status_code == 403
    assert (unsigned_answer.status_code, unsigned_answer.json()["code"]) == (
        409,
        "transmission_refused",
    )
    assert foreign.status_code == 400  # the act is unknown to them, like any wrong id
    assert foreign.json() == {"act": [f'Invalid pk "{signed_act.pk}" - object does not exist.']}
    assert Transmission.objects.count() == 0


def test_import_and_answer_through_the_api(
    signed_act, clerk, outsider, tdt, django_capture_on_commit_callbacks
):
    api = api_for(clerk)
    pk = api.post("/api/actes/transmissions/", {"act": signed_act.pk}, format="json").json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/api/actes/transmissions/{pk}/transmit/")
    transmission = Transmission.objects.get(pk=pk)
    name, package = aracte_package(
        transmission, received_on=timezone.localdate(), classification_date=dt.date(2017, 12, 8)
    )

    imported = api.post(
        "/api/actes/messages/import/",
        {"file": SimpleUploadedFile(name, package)},
        format="multipart",
    )
    transmission.refresh_from_db()
    letter = api.post(
        "/api/actes/messages/import/",
        {"file": SimpleUploadedFile("2-1.tar.gz", _letter(transmission))},
        format="multipart",
    ).json()[0]
    with django_capture_on_commit_callbacks(execute=True):
        answered = api.post(
            f"/api/actes/messages/{letter['id']}/answer/",
            {"kind": "2-2", "documents": [SimpleUploadedFile("r.pdf", blank_pdf())]},
            format="multipart",
        )

    assert (imported.status_code, imported.json()[0]["kind"]) == (201, "1-2")
    assert transmission.status == "acknowledged"
    assert (answered.status_code, answered.json()["kind"]) == (202, "2-2")
    assert api.get(f"/api/actes/messages/{letter['id']}/").json()["status"] == "answered"
    assert api_for(outsider).get(f"/api/actes/messages/{letter['id']}/").status_code == 404
    assert api_for(outsider).get(f"/api/actes/transmissions/{pk}/archive/").status_code == 404
    assert api_for(outsider).get("/api/actes/transmissions/").json()["results"] == []


def test_publish_and_download_open_data(signed_acts, clerk, admin, outsider, collectivite):
    collectivite.siret = luhn_complete(collectivite.siren + "0001")
    collectivite.save(update_fields=["siret"])
    api = api_for(clerk)

    published = api.post("/api/publication/acts/", {"act": signed_acts[0].pk}, format="json")
    early = api_for(admin).post(
        f"/api/publication/acts/{published.json()['id']}/unpublish/", {"reason": "x"}, format="json"
    )
    csv = api.get("/api/publication/opendata/", {"collectivite": collectivite.pk})
    data = api.get(
        "/api/publication/opendata/", {"collectivite": collectivite.pk, "format": "json"}
    )
    foreign = api_for(outsider).get("/api/publication/opendata/", {"collectivite": collectivite.pk})

    assert published.status_code == 201
    assert published.json()["pdf_url"] == (
        f"/actes/{collectivite.slug}/{signed_acts[0].number}.pdf"
    )
    assert (early.status_code, early.json()["code"]) == (409, "publication_refused")
    assert validate_scdl_csv(content=csv.content) == []
    assert len(data.json()["deliberations"]) == 1
    assert foreign.status_code == 404


def test_the_schema_describes_the_new_endpoints(admin):
    schema = api_for(admin).get("/api/schema/", {"format": "json"}).json()
    assert {
        "/api/actes/transmissions/",
        "/api/actes/transmissions/{id}/transmit/",
        "/api/actes/messages/import/",
        "/api/actes/messages/{id}/answer/",
        "/api/publication/acts/",
        "/api/publication/acts/{id}/unpublish/",
        "/api/publication/seance-documents/",
        "/api/publication/opendata/",
    } <= set(schema["paths"])
