"""Pages of the prefecture exchanges: the act's box, the Préfecture desk, a transmission, a
message with its answer, the settings; permissions and isolation between collectivités."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from exports.actes import services
from exports.actes.enums import TransmissionStatus
from exports.actes.models import PrefectureMessage, TdtSettings, Transmission
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


@pytest.fixture
def as_clerk(client, clerk):
    client.force_login(clerk)
    return client


def test_the_act_page_offers_to_prepare_then_send(
    as_clerk, signed_act, tdt, django_capture_on_commit_callbacks
):
    page = as_clerk.get(f"/acts/{signed_act.pk}/")
    assert page.status_code == 200
    assert "Prepare the transmission" in page.content.decode()

    prepared = as_clerk.post(
        f"/prefecture/acts/{signed_act.pk}/prepare/", {"next": f"/acts/{signed_act.pk}/"}
    )
    transmission = Transmission.objects.get()
    page = as_clerk.get(f"/acts/{signed_act.pk}/").content.decode()
    assert prepared.status_code == 302
    assert "Send to the prefecture" in page
    assert transmission.archive_name in page

    with django_capture_on_commit_callbacks(execute=True):
        sent = as_clerk.post(f"/prefecture/transmissions/{transmission.pk}/transmit/")

    transmission.refresh_from_db()
    assert sent.status_code == 302
    assert transmission.status == TransmissionStatus.SENT


def test_a_refusal_is_shown_and_changes_nothing(as_clerk, played, tdt):
    act = played.acts[0]

    response = as_clerk.post(f"/prefecture/acts/{act.pk}/prepare/", follow=True)

    assert (
        "Only a signed act is sent to the prefecture; this one is “Adopted”. "
        "Have it signed through its circuit first."
    ) in (response.content.decode())
    assert Transmission.objects.count() == 0


def test_the_desk_lists_what_to_handle_and_imports_a_return(
    as_clerk, signed_act, clerk, tdt, django_capture_on_commit_callbacks
):
    transmission = services.prepare_transmission(act=signed_act, actor=clerk)
    with django_capture_on_commit_callbacks(execute=True):
        services.transmit(transmission=transmission, actor=clerk)
    transmission.refresh_from_db()
    name, package = aracte_package(
        transmission, received_on=timezone.localdate(), classification_date=dt.date(2017, 12, 8)
    )

    before = as_clerk.get("/prefecture/").content.decode()
    imported = as_clerk.post(
        "/prefecture/import/",
        {"file": SimpleUploadedFile(name, package, content_type="application/gzip")},
        follow=True,
    )

    transmission.refresh_from_db()
    assert "On their way" in before and signed_act.number in before
    assert "The file was imported." in imported.content.decode()
    assert transmission.status == TransmissionStatus.ACKNOWLEDGED


@pytest.fixture
def returned(signed_act, clerk, tdt, drop, django_capture_on_commit_callbacks):
    """A transmission sent through the folder, its acknowledgement waiting in the returns
    folder."""
    transmission = services.prepare_transmission(act=signed_act, actor=clerk)
    with django_capture_on_commit_callbacks(execute=True):
        services.transmit(transmission=transmission, actor=clerk)
    transmission.refresh_from_db()
    name, package = aracte_package(
        transmission, received_on=timezone.localdate(), classification_date=dt.date(2017, 12, 8)
    )
    (drop.parent / "retours" / name).write_bytes(package)
    return transmission


def test_check_now_reads_the_returns_at_once(as_clerk, returned):
    assert 'action="/prefecture/poll/"' in as_clerk.get("/prefecture/").content.decode()

    response = as_clerk.post("/prefecture/poll/", follow=True)

    returned.refresh_from_db()
    assert [str(m) for m in response.context["messages"]] == [
        "Checked with the prefecture: 0 transmission(s) sent, 0 status(es) read, "
        "1 return(s) imported."
    ]
    assert returned.status == TransmissionStatus.ACKNOWLEDGED


def test_check_now_is_for_clerks_and_admins_only(client, validator, returned):
    client.force_login(validator)
    assert 'action="/prefecture/poll/"' not in client.get("/prefecture/").content.decode()

    response = client.post("/prefecture/poll/", follow=True)

    returned.refresh_from_db()
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert returned.status == TransmissionStatus.SENT
    assert PrefectureMessage.objects.count() == 0


def test_check_now_through_the_api(client, clerk, outsider, returned):
    client.force_login(outsider)
    refused = client.post(
        "/api/actes/messages/poll/",
        {"collectivite": returned.collectivite_id},
        content_type="application/json",
    )
    client.force_login(clerk)
    answer = client.post("/api/actes/messages/poll/", {}, content_type="application/json")

    returned.refresh_from_db()
    assert refused.status_code == 404
    assert answer.status_code == 200
    assert answer.json() == {"sent": 0, "checked": 0, "imported": 1, "errors": []}
    assert returned.status == TransmissionStatus.ACKNOWLEDGED


def test_the_desk_costs_a_constant_number_of_queries(
    as_clerk, signed_acts, clerk, tdt, django_assert_num_queries
):
    as_clerk.get("/prefecture/")  # warm the caches (content types, permissions)
    for act in signed_acts:  # one transmission, then two: the same number of queries
        services.prepare_transmission(act=act, actor=clerk)
        with django_assert_num_queries(14):
            as_clerk.get("/prefecture/")


@pytest.fixture
def acknowledged(signed_act, clerk, tdt, django_capture_on_commit_callbacks):
    transmission = services.prepare_transmission(act=signed_act, actor=clerk)
    with django_capture_on_commit_callbacks(execute=True):
        services.transmit(transmission=transmission, actor=clerk)
    transmission.refresh_from_db()
    _name, package = aracte_package(
        transmission, received_on=timezone.localdate(), classification_date=dt.date(2017, 12, 8)
    )
    services.import_prefecture_file(
        collectivite=signed_act.collectivite, actor=clerk, content=package
    )
    transmission.refresh_from_db()
    return transmission


def test_a_letter_is_read_and_answered_from_its_page(
    as_clerk, acknowledged, clerk, django_capture_on_commit_callbacks
):
    [message] = services.import_prefecture_file(
        collectivite=acknowledged.collectivite,
        actor=clerk,
        content=_letter(acknowledged, "4-1", "Incompétence de l'auteur"),
    )

    page = as_clerk.get(f"/prefecture/messages/{message.pk}/").content.decode()
    letter = as_clerk.get(f"/prefecture/messages/{message.pk}/files/0/")
    with django_capture_on_commit_callbacks(execute=True):
        answered = as_clerk.post(
            f"/prefecture/messages/{message.pk}/answer/",
            {
                "kind": "4-4",
                "documents": [SimpleUploadedFile("reponse.pdf", blank_pdf(), "application/pdf")],
            },
            follow=True,
        )

    message.refresh_from_db()
    assert "Incompétence de l&#x27;auteur" in page
    assert "Acknowledgement of a letter of observations (4-2)" in page
    assert letter["Content-Type"] == "application/pdf"
    assert "The answer is on its way to the prefecture." in answered.content.decode()
    assert message.status == "answered"
    assert message.answers.get().status == TransmissionStatus.SENT


def test_the_transmission_page_offers_the_cancellation(as_clerk, acknowledged):
    page = as_clerk.get(f"/prefecture/transmissions/{acknowledged.pk}/").content.decode()
    archive = as_clerk.get(f"/prefecture/transmissions/{acknowledged.pk}/archive/")

    assert "Send the cancellation" in page
    assert archive["X-Content-SHA256"] == acknowledged.archive_sha256
    refused = as_clerk.post(f"/prefecture/transmissions/{acknowledged.pk}/cancel/", {}, follow=True)
    assert "Give the reason for cancelling the transmission." in refused.content.decode()
    assert Transmission.objects.count() == 1


def test_another_collectivite_sees_nothing(client, outsider, acknowledged, clerk):
    [message] = services.import_prefecture_file(
        collectivite=acknowledged.collectivite, actor=clerk, content=_letter(acknowledged)
    )
    client.force_login(outsider)

    addresses = [
        f"/prefecture/transmissions/{acknowledged.pk}/",
        f"/prefecture/transmissions/{acknowledged.pk}/archive/",
        f"/prefecture/messages/{message.pk}/",
        f"/prefecture/messages/{message.pk}/file/",
        f"/prefecture/messages/{message.pk}/files/0/",
    ]
    posts = [
        f"/prefecture/transmissions/{acknowledged.pk}/cancel/",
        f"/prefecture/messages/{message.pk}/answer/",
        f"/prefecture/acts/{acknowledged.act_id}/prepare/",
    ]
    assert [client.get(a).status_code for a in addresses] == [404] * len(addresses)
    assert [client.post(a, {"reason": "x"}).status_code for a in posts] == [404] * len(posts)
    assert acknowledged.act.number not in client.get("/prefecture/").content.decode()


def test_settings_are_for_administrators_and_keep_no_secret(
    client, clerk, admin, collectivite, actes_root
):
    client.force_login(clerk)
    assert client.get("/prefecture/settings/").status_code == 403
    client.force_login(admin)
    prefix = "DELIBRE_ACTES_" + collectivite.slug.upper().replace("-", "_") + "_"
    form = {
        "connector": "s2low",
        "folder_path": "",
        "return_folder_path": "",
        "s2low_url": "https://s2low.example.org",
        "client_cert": "-----BEGIN CERTIFICATE-----\nMIIB...",
        "client_key": "",
        "key_password_env": "",
        "ca_file": "",
        "timeout_seconds": "30",
        "return_emails": "actes@saint-exemple.fr",
    }

    pasted = client.post("/prefecture/settings/", form)
    elsewhere = client.post("/prefecture/settings/", {**form, "client_cert": "/etc/ssl/other.pem"})
    foreign = client.post("/prefecture/settings/", {**form, "client_cert": "env:S2LOW_CERT"})
    saved = client.post(
        "/prefecture/settings/",
        {
            **form,
            "client_cert": f"env:{prefix}CERT",
            "client_key": str(actes_root / "key.pem"),
            "key_password_env": f"{prefix}KEY_PASSWORD",
        },
    )

    assert "never its content" in pasted.content.decode()
    assert f"Give an absolute path inside {actes_root} on the server." in elsewhere.content.decode()
    assert (
        f"After env: write the name of an environment variable starting with {prefix}."
        in foreign.content.decode()
    )
    assert saved.status_code == 302
    settings = TdtSettings.objects.get(collectivite=collectivite)
    assert (settings.client_cert, settings.key_password_env) == (
        f"env:{prefix}CERT",
        f"{prefix}KEY_PASSWORD",
    )


def test_a_validator_sees_the_box_without_actions(client, validator, signed_act, tdt):
    client.force_login(validator)
    page = client.get(f"/acts/{signed_act.pk}/").content.decode()
    assert "Prefecture (contrôle de légalité)" in page
    assert "Prepare the transmission" not in page
    assert client.post(f"/prefecture/acts/{signed_act.pk}/prepare/").status_code == 302
    assert Transmission.objects.count() == 0
    assert PrefectureMessage.objects.count() == 0
