import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from deliberations.enums import ActStatus, AttendanceStatus, SeanceStatus
from deliberations.models import Act, Annex, Vote
from tests import pdfs
from tests.deliberations.conftest import make_validated_project
from tests.factories import ActFactory


@pytest.fixture
def api():
    return APIClient()


def as_user(api, user):
    api.force_authenticate(user)
    return api


def test_anonymous_is_refused(api, collectivite):
    assert api.get("/api/acts/").status_code == 403


def test_token_authentication(api, clerk, collectivite):
    response = api.post("/api/auth/token/", {"username": "clerk", "password": "password"})
    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert api.get("/api/acts/").status_code == 200


def test_acts_list_is_limited_to_own_collectivite(api, clerk, collectivite, outsider):
    mine = ActFactory(collectivite=collectivite, drafter=clerk)
    theirs = ActFactory(collectivite=outsider.memberships.first().collectivite, drafter=outsider)
    response = as_user(api, clerk).get("/api/acts/")
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]
    assert api.get(f"/api/acts/{theirs.pk}/").status_code == 404


def test_create_act_and_refusals(api, clerk, collectivite):
    client = as_user(api, clerk)
    created = client.post(
        "/api/acts/",
        {
            "collectivite": collectivite.pk,
            "act_type": "deliberation",
            "objet": "Tarifs 2027",
            "articles": ["Les tarifs sont fixés."],
        },
        format="json",
    )
    assert created.status_code == 201
    assert (created.json()["status"], created.json()["revision"], created.json()["nature"]) == (
        "draft",
        1,
        1,
    )
    too_long = client.post(
        "/api/acts/",
        {"collectivite": collectivite.pk, "act_type": "deliberation", "objet": "x" * 500},
        format="json",
    )
    multiline = client.post(
        "/api/acts/",
        {"collectivite": collectivite.pk, "act_type": "deliberation", "objet": "a\nb"},
        format="json",
    )
    assert (too_long.status_code, multiline.status_code) == (400, 400)
    assert multiline.json() == {
        "detail": "The objet must fit on one line: remove the line breaks.",
        "code": "invalid",
        "field": "objet",
    }
    assert Act.objects.count() == 1


def test_create_act_in_foreign_collectivite_is_400(api, clerk, outsider):
    foreign = outsider.memberships.first().collectivite
    response = as_user(api, clerk).post(
        "/api/acts/",
        {"collectivite": foreign.pk, "act_type": "deliberation", "objet": "Intrusion"},
        format="json",
    )
    assert response.status_code == 400
    assert Act.objects.count() == 0


def test_patch_with_stale_revision_is_409(api, clerk, collectivite):
    client = as_user(api, clerk)
    act_id = client.post(
        "/api/acts/",
        {"collectivite": collectivite.pk, "act_type": "deliberation", "objet": "Objet"},
        format="json",
    ).json()["id"]
    assert (
        client.patch(
            f"/api/acts/{act_id}/", {"objet": "Nouveau", "revision": 1}, format="json"
        ).status_code
        == 200
    )
    stale = client.patch(f"/api/acts/{act_id}/", {"objet": "Ancien", "revision": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_revision"
    assert Act.objects.get(pk=act_id).objet == "Nouveau"


def test_validator_cannot_edit_but_can_validate(api, clerk, validator, collectivite):
    act_id = (
        as_user(api, clerk)
        .post(
            "/api/acts/",
            {"collectivite": collectivite.pk, "act_type": "deliberation", "objet": "Objet"},
            format="json",
        )
        .json()["id"]
    )
    client = as_user(APIClient(), validator)
    assert (
        client.patch(
            f"/api/acts/{act_id}/", {"objet": "Non", "revision": 1}, format="json"
        ).status_code
        == 403
    )
    assert (
        client.post(f"/api/acts/{act_id}/validate/", {}, format="json").json()["status"]
        == ActStatus.VALIDATED
    )


def test_annex_upload_download_and_bad_pdf(api, clerk, collectivite):
    client = as_user(api, clerk)
    act_id = client.post(
        "/api/acts/",
        {"collectivite": collectivite.pk, "act_type": "deliberation", "objet": "Objet"},
        format="json",
    ).json()["id"]
    bad = client.post(
        f"/api/acts/{act_id}/annexes/",
        {"file": SimpleUploadedFile("x.pdf", b"not a pdf")},
        format="multipart",
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_pdf"
    good = client.post(
        f"/api/acts/{act_id}/annexes/",
        {"file": SimpleUploadedFile("plan.pdf", pdfs.blank_pdf(2)), "title": "Plan"},
        format="multipart",
    )
    assert good.status_code == 201
    assert (good.json()["page_count"], Annex.objects.count()) == (2, 1)
    download = client.get(good.json()["download_url"])
    assert b"".join(download.streaming_content) == pdfs.blank_pdf(2)


def test_seance_through_the_api(api, clerk, validator, collectivite, assembly, mandates, numbering):
    client = as_user(api, clerk)
    act = make_validated_project(collectivite, clerk, validator, assembly)
    seance = client.post(
        "/api/seances/",
        {
            "collectivite": collectivite.pk,
            "assembly": assembly.pk,
            "date": (timezone.now() + dt.timedelta(days=8)).isoformat(),
            "place": "Mairie",
            "president": mandates[0].pk,
            "secretary": mandates[1].pk,
        },
        format="json",
    ).json()
    item = client.post(
        f"/api/seances/{seance['id']}/agenda/", {"act": act.pk}, format="json"
    ).json()
    assert (
        client.post(f"/api/seances/{seance['id']}/convene/", {}, format="json").status_code == 200
    )
    entries = [{"mandate": m.pk, "status": AttendanceStatus.PRESENT} for m in mandates[:10]]
    client.post(f"/api/seances/{seance['id']}/roll-call/", {"entries": entries}, format="json")
    opened = client.post(f"/api/seances/{seance['id']}/open/", {}, format="json").json()
    assert opened["status"] == SeanceStatus.OPEN
    no_quorum = client.post(
        f"/api/agenda-items/{item['id']}/vote/", {"mode": "noted"}, format="json"
    )
    assert no_quorum.status_code == 409
    assert no_quorum.json()["code"] == "quorum_not_reached"
    for mandate in mandates[10:15]:
        client.post(
            f"/api/agenda-items/{item['id']}/movement/",
            {"mandate": mandate.pk, "status": "present"},
            format="json",
        )
    vote = client.post(
        f"/api/agenda-items/{item['id']}/vote/",
        {"mode": "totals", "counts": {"for": 14, "against": 1}},
        format="json",
    )
    assert vote.status_code == 201
    assert (vote.json()["result"], vote.json()["present"]) == ("adopted", 15)
    closed = client.post(f"/api/seances/{seance['id']}/close/", {}, format="json").json()
    assert closed["status"] == SeanceStatus.CLOSED
    act.refresh_from_db()
    assert act.number == f"DEL{timezone.localtime(timezone.now() + dt.timedelta(days=8)).year}_0001"
    assert Vote.objects.count() == 1


def test_roll_call_with_two_proxies_to_one_holder_is_400(api, clerk, seance, mandates):
    client = as_user(api, clerk)
    entries = [
        {"mandate": mandates[5].pk, "status": "proxy", "proxy_holder": mandates[0].pk},
        {"mandate": mandates[6].pk, "status": "proxy", "proxy_holder": mandates[0].pk},
    ]
    response = client.post(
        f"/api/seances/{seance.pk}/roll-call/", {"entries": entries}, format="json"
    )
    assert response.status_code == 400
    assert seance.roll_call.count() == 0


def test_numbering_scheme_with_illegal_pattern_is_400(api, admin, collectivite):
    response = as_user(api, admin).post(
        "/api/numbering-schemes/",
        {"collectivite": collectivite.pk, "act_type": "arrete", "pattern": "A-{SEQ:3}"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "numbering"


def test_invalid_siren_update_is_400(api, admin, collectivite):
    response = as_user(api, admin).patch(
        f"/api/collectivites/{collectivite.pk}/", {"siren": "123456789"}, format="json"
    )
    assert response.status_code == 400
    collectivite.refresh_from_db()
    assert collectivite.siren != "123456789"


def test_openapi_schema_is_served(api, clerk):
    response = as_user(api, clerk).get(
        "/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    )
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/agenda-items/{id}/vote/" in paths
    assert "/api/acts/{id}/annexes/" in paths
