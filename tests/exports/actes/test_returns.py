"""Importing every kind of prefecture return, from the real samples (tests/exports/actes/samples)
and, for the letters no sample holds, from the stand-in's prefecture."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from core.files import store_bytes
from deliberations.enums import ActesNature, ActStatus, ActType, Role
from deliberations.models import ClassificationVersion
from exports.actes import services
from exports.actes.builder import new_root, serialize, sub
from exports.actes.codes import MessageKind
from exports.actes.enums import TransmissionKind, TransmissionStatus
from exports.actes.exceptions import ReturnRefused
from exports.actes.models import PrefectureMessage, TdtSettings, Transmission
from exports.actes.standin.prefecture import StandinConfig, StandinTransaction, prefecture_package
from tests.exports.actes.conftest import SAMPLES
from tests.factories import ActFactory, CollectiviteFactory, member
from workflow.journal import events_for

pytestmark = pytest.mark.django_db


def sent(collectivite, number, decision_date, *, nature=ActesNature.DELIBERATION, **fields):
    """An act signed and a transmission of it (rows arranged directly)."""
    act = ActFactory(
        collectivite=collectivite,
        number=number,
        decision_date=decision_date,
        nature=nature,
        act_type=ActType.DELIBERATION if nature == 1 else ActType.ARRETE,
        status=fields.pop("act_status", ActStatus.SIGNED),
    )
    values = {
        "sent_on": decision_date,
        "serial": Transmission.objects.count() + 1,
        "envelope_name": f"EACT--{collectivite.siren}--x-{number}.xml",
        "message_name": f"{number}_0.xml",
        "archive_name": f"{number}.tar.gz",
        "archive": store_bytes("actes/tests", b"archive", extension="tar.gz"),
        "archive_sha256": "0" * 64,
        "connector": "folder",
        "status": TransmissionStatus.SENT,
        **fields,
    }
    return Transmission.objects.create(collectivite=collectivite, act=act, **values)


@pytest.fixture
def loire(db):
    """The collectivité the Stela samples are addressed to (SIREN 214400152, département 044)."""
    collectivite = CollectiviteFactory(siren="214400152", departement="044", slug="sample-044")
    TdtSettings.objects.create(collectivite=collectivite, return_emails=["a@b.fr"])
    return collectivite


@pytest.fixture
def clerk_044(loire):
    return member(loire, Role.CLERK, username="clerk044")


def test_aracte_acknowledges_the_transmission_and_the_act(db):
    collectivite = CollectiviteFactory(siren="491011698", departement="034")
    transmission = sent(collectivite, "CL20171227_06", dt.date(2017, 12, 7))
    content = (SAMPLES / "pastell" / "034-491011698-20171207-CL20171227_06-DE-1-2.xml").read_bytes()

    [message] = services.import_prefecture_file(
        collectivite=collectivite, actor=None, content=content, name="ar.xml"
    )

    transmission.refresh_from_db()
    act = transmission.act
    act.refresh_from_db()
    assert transmission.status == TransmissionStatus.ACKNOWLEDGED
    assert transmission.id_acte == "034-491011698-20171207-CL20171227_06-DE"
    assert transmission.ack_date == dt.date(2017, 12, 27)
    assert act.status == ActStatus.ACKNOWLEDGED
    assert (message.kind, message.status, message.transmission) == ("1-2", "info", transmission)
    assert message.message_date == dt.date(2017, 12, 27)
    assert [e.action for e in events_for(act)] == [
        "act.acknowledged",
        "act.prefecture_message.received",
    ]


def test_a_published_act_keeps_its_status_when_acknowledged(db):
    collectivite = CollectiviteFactory(siren="210600235", departement="006")
    transmission = sent(
        collectivite,
        "684",
        dt.date(2018, 5, 22),
        nature=ActesNature.INDIVIDUAL,
        act_status=ActStatus.PUBLISHED,
    )
    content = (SAMPLES / "stela" / "006-210600235-20180522-684-AI-1-2_5279.xml").read_bytes()

    services.import_prefecture_file(collectivite=collectivite, actor=None, content=content)

    transmission.refresh_from_db()
    assert (transmission.status, transmission.ack_date) == ("acknowledged", dt.date(2018, 5, 28))
    assert transmission.act.status == ActStatus.PUBLISHED


def test_anomalie_acte_keeps_the_act_signed_and_remembers_the_classification(loire):
    transmission = sent(loire, "123456", dt.date(2018, 10, 1))
    content = (SAMPLES / "stela" / "044-214400152----1-3_1.xml").read_bytes()

    [message] = services.import_prefecture_file(collectivite=loire, actor=None, content=content)

    transmission.refresh_from_db()
    assert transmission.status == TransmissionStatus.ANOMALY
    assert transmission.anomaly == (
        "002 — ODT-VERIF-01 : Votre acte a été transmis avec une date de classification qui "
        "n'est pas à jour"
    )
    assert transmission.act.status == ActStatus.SIGNED
    assert TdtSettings.objects.get(collectivite=loire).known_classification_date == dt.date(
        2018, 10, 10
    )
    assert message.kind == "1-3"


def test_anomalie_enveloppe_matches_the_message_it_names(loire):
    transmission = sent(
        loire,
        "4365",
        dt.date(2018, 9, 5),
        message_name="044-214400152-20180905-4365-DE-4365-DE_0.xml",
    )
    content = (SAMPLES / "stela" / "ANO_EACT--214400152--20180925-1.xml").read_bytes()

    services.import_prefecture_file(collectivite=loire, actor=None, content=content)

    transmission.refresh_from_db()
    assert transmission.status == TransmissionStatus.ANOMALY
    assert transmission.anomaly == (
        "999 — ODT-VERIF-17 : La transaction que vous avez envoyé n'est pas reconnu dans "
        "l'application ACTES."
    )


def test_arannulation_cancels_the_transmission_and_the_act(loire):
    transmission = sent(
        loire,
        "TEST_DGCL_4",
        dt.date(2018, 11, 6),
        status=TransmissionStatus.ACKNOWLEDGED,
        id_acte="044-214400152-20181106-TEST_DGCL_4-DE",
        act_status=ActStatus.ACKNOWLEDGED,
    )
    content = (SAMPLES / "stela" / "044-214400152-20181106-TEST_DGCL_4-DE-6-2_10.xml").read_bytes()

    services.import_prefecture_file(collectivite=loire, actor=None, content=content)

    transmission.refresh_from_db()
    assert transmission.status == TransmissionStatus.CANCELLED
    assert transmission.act.status == ActStatus.CANCELLED


def test_courrier_simple_waits_for_an_answer_with_its_letter(db):
    collectivite = CollectiviteFactory(siren="862614864", departement="001")
    transmission = sent(
        collectivite,
        "20150805B",
        dt.date(2015, 8, 5),
        nature=ActesNature.INDIVIDUAL,
        status=TransmissionStatus.ACKNOWLEDGED,
        id_acte="001-862614864-20150805-20150805B-AI",
    )
    content = (SAMPLES / "pastell" / "courrier_simple.tar.gz").read_bytes()

    [message] = services.import_prefecture_file(
        collectivite=collectivite, actor=None, content=content, name="courrier_simple.tar.gz"
    )

    assert (message.kind, message.status) == ("2-1", "new")
    assert (message.act, message.transmission) == (transmission.act, transmission)
    assert message.message_date == dt.date(2015, 8, 5)
    assert message.deadline is None
    assert message.data["document"] == "001-862614864-20150805-20150805B-AI-2-1_1.pdf"
    from exports.actes.selectors import answer_kinds

    assert answer_kinds(message) == ("2-2",)


@pytest.mark.parametrize(
    ("kind", "text", "deadline"),
    [
        ("3-1", "Le plan de situation", dt.date(2026, 4, 2)),
        ("4-1", "Incompétence de l'auteur", dt.date(2026, 4, 2)),
    ],
)
def test_letters_asking_for_documents_or_observations(loire, kind, text, deadline):
    transmission = sent(
        loire,
        "TEST_DGCL_4",
        dt.date(2018, 11, 6),
        status=TransmissionStatus.ACKNOWLEDGED,
        id_acte="044-214400152-20181106-TEST_DGCL_4-DE",
    )
    source = StandinTransaction(id=7, type=1, status=4, id_acte=transmission.id_acte)
    package = prefecture_package(
        source,
        MessageKind(kind),
        text,
        dt.date(2026, 2, 2),
        StandinConfig(siren="214400152", departement="044"),
    )

    [message] = services.import_prefecture_file(collectivite=loire, actor=None, content=package)

    assert (message.kind, message.status, message.deadline) == (kind, "new", deadline)
    assert message.data["text"] == text
    assert message.act == transmission.act


def test_defere_is_recorded_without_an_answer(loire):
    transmission = sent(
        loire,
        "TEST_DGCL_4",
        dt.date(2018, 11, 6),
        status=TransmissionStatus.ACKNOWLEDGED,
        id_acte="044-214400152-20181106-TEST_DGCL_4-DE",
    )
    root = new_root("DefereTA", IDActe=transmission.id_acte)
    sub(root, "DateDepot", "2019-01-10")
    sub(root, "NatureIllegalite", "Incompétence")

    [message] = services.import_prefecture_file(
        collectivite=loire, actor=None, content=serialize(root)
    )

    from exports.actes.selectors import answer_kinds

    assert (message.kind, message.status, message.message_date) == (
        "5-1",
        "new",
        dt.date(2019, 1, 10),
    )
    assert message.data["nature_illegalite"] == "Incompétence"
    assert answer_kinds(message) == ()


def test_retour_classification_is_imported_by_an_administrator(loire):
    admin = member(loire, Role.ADMIN, username="admin044")
    content = (SAMPLES / "pastell" / "999-1234----7-2_1.xml").read_bytes()

    [message] = services.import_prefecture_file(collectivite=loire, actor=admin, content=content)

    current = ClassificationVersion.objects.get(collectivite=loire, is_current=True)
    assert current.version_date == dt.date(2019, 4, 18)
    assert (message.kind, message.status) == ("7-2", "closed")


def test_retour_classification_waits_for_an_administrator(loire, clerk_044):
    content = (SAMPLES / "pastell" / "999-1234----7-2_1.xml").read_bytes()

    [message] = services.import_prefecture_file(
        collectivite=loire, actor=clerk_044, content=content
    )

    assert (message.kind, message.status) == ("7-2", "new")
    assert ClassificationVersion.objects.filter(collectivite=loire).count() == 0
    assert TdtSettings.objects.get(collectivite=loire).known_classification_date == dt.date(
        2019, 4, 18
    )
    admin = member(loire, Role.ADMIN, username="admin044")
    services.import_classification_message(message=message, actor=admin)
    message.refresh_from_db()
    assert message.status == "closed"
    assert ClassificationVersion.objects.get(collectivite=loire).version_date == dt.date(
        2019, 4, 18
    )


def test_the_same_return_is_applied_once(loire):
    transmission = sent(loire, "123456", dt.date(2018, 10, 1))
    content = (SAMPLES / "stela" / "044-214400152----1-3_1.xml").read_bytes()

    first = services.import_prefecture_file(collectivite=loire, actor=None, content=content)
    again = services.import_prefecture_file(collectivite=loire, actor=None, content=content)

    assert [m.pk for m in again] == [m.pk for m in first]
    assert PrefectureMessage.objects.count() == 1
    assert [e.action for e in events_for(transmission.act)].count("act.transmission.anomaly") == 1


def test_a_return_for_another_siren_is_refused(loire):
    content = (SAMPLES / "pastell" / "courrier_simple.tar.gz").read_bytes()

    with pytest.raises(ReturnRefused) as refusal:
        services.import_prefecture_file(collectivite=loire, actor=None, content=content)

    assert str(refusal.value) == (
        f"This file is addressed to the SIREN 862614864, not to {loire.name} (SIREN 214400152): "
        "import it in the right collectivité."
    )
    assert PrefectureMessage.objects.count() == 0


def test_an_envelope_alone_or_an_outgoing_message_is_refused(loire):
    with pytest.raises(ReturnRefused) as envelope:
        services.import_prefecture_file(
            collectivite=loire,
            actor=None,
            content=(SAMPLES / "stela" / "EACT--SPREF0441-214400152-20181012-9.xml").read_bytes(),
        )
    collectivite = CollectiviteFactory(siren="491011698", departement="034")
    with pytest.raises(ReturnRefused) as outgoing:
        services.import_prefecture_file(
            collectivite=collectivite,
            actor=None,
            content=(
                SAMPLES / "pastell" / "034-491011698-20171207-CL20171227_06-DE-1-1_0.xml"
            ).read_bytes(),
            name="acte.xml",
        )
    assert str(envelope.value) == (
        "The file holds no message of the prefecture (only an envelope): nothing to import."
    )
    assert str(outgoing.value) == (
        "acte.xml is a message a collectivité sends (Acte), not a return of the prefecture: "
        "nothing was imported."
    )
    assert PrefectureMessage.objects.count() == 0


def test_an_unmatched_return_is_kept_for_the_record(loire):
    content = (SAMPLES / "stela" / "044-214400152----1-3_1.xml").read_bytes()

    [message] = services.import_prefecture_file(collectivite=loire, actor=None, content=content)

    assert (message.act, message.transmission, message.data["applied"]) == (None, None, False)
    assert [e.action for e in events_for(loire)][-1] == "prefecture_message.received"


def test_the_answer_acknowledgement_marks_the_answer(loire):
    transmission = sent(
        loire,
        "TEST_DGCL_4",
        dt.date(2018, 11, 6),
        status=TransmissionStatus.ACKNOWLEDGED,
        id_acte="044-214400152-20181106-TEST_DGCL_4-DE",
    )
    letter = PrefectureMessage.objects.create(
        collectivite=loire,
        act=transmission.act,
        transmission=transmission,
        kind="3-1",
        id_acte=transmission.id_acte,
        received_at=timezone.now(),
        source="test",
        file=store_bytes("actes/tests", b"x", extension="xml"),
        file_name="x.xml",
        file_sha256="1" * 64,
        message_sha256="1" * 64,
    )
    answer = sent(
        loire,
        "OTHER",
        dt.date(2018, 11, 6),
        kind=TransmissionKind.PIECES_COMPLEMENTAIRES,
        reply_to=letter,
    )
    root = new_root("ARPieceComplementaire", DateReception="2019-01-03")
    sub(root, "InfosCourrierPref", IDActe=transmission.id_acte, DateCourrierPref="2018-12-01")

    services.import_prefecture_file(collectivite=loire, actor=None, content=serialize(root))

    answer.refresh_from_db()
    assert (answer.status, answer.ack_date) == ("acknowledged", dt.date(2019, 1, 3))


def test_import_actes_return_finds_the_collectivite_from_the_file(db, tmp_path):
    collectivite = CollectiviteFactory(siren="491011698", departement="034")
    transmission = sent(collectivite, "CL20171227_06", dt.date(2017, 12, 7))
    path = tmp_path / "ar.xml"
    path.write_bytes(
        (SAMPLES / "pastell" / "034-491011698-20171207-CL20171227_06-DE-1-2.xml").read_bytes()
    )

    call_command("import_actes_return", str(path))

    transmission.refresh_from_db()
    assert transmission.status == TransmissionStatus.ACKNOWLEDGED
