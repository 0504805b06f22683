"""Transmission services on real model data: the archive built from a séance's act, the rules
refused before anything leaves, the folder drop, the command, cancellation and answers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from core.files import read_bytes, store_bytes
from deliberations import services as deliberations
from deliberations.enums import ActStatus
from deliberations.models import Annex
from exports.actes import services
from exports.actes.archive import read_tar
from exports.actes.enums import TransmissionKind, TransmissionStatus
from exports.actes.exceptions import (
    InvalidActesData,
    StaleClassification,
    TdtNotConfigured,
    TransmissionRefused,
)
from exports.actes.models import PrefectureMessage, Transmission
from exports.actes.reader import read_incoming
from exports.publication.scenario import aracte_package
from tests.deliberations.conftest import FIXTURES
from tests.exports.actes import integration as fixtures
from tests.exports.actes.integration import ACT_PDF, classify, ready_pdf, sign
from tests.pdfs import blank_pdf
from workflow.journal import events_for

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


def actions(act) -> list[str]:
    return [event.action for event in events_for(act) if event.action.startswith("act.t")]


def stored_files(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT) / "actes"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


# -- The archive ----------------------------------------------------------------------------------


def test_prepare_builds_the_archive_from_the_act(signed_act, collectivite, clerk, tdt):
    Annex.objects.create(
        act=signed_act,
        title="Tableau des subventions",
        file=store_bytes("annexes/tests", blank_pdf(), extension="pdf"),
        original_name="tableau.pdf",
        sha256="0" * 64,
        size=1,
        page_count=1,
        uploaded_by=clerk,
    )
    Annex.objects.create(
        act=signed_act,
        title="Note interne",
        file=store_bytes("annexes/tests", blank_pdf(), extension="pdf"),
        original_name="note.pdf",
        sha256="0" * 64,
        size=1,
        page_count=1,
        transmitted=False,
        uploaded_by=clerk,
    )

    transmission = services.prepare_transmission(act=signed_act, actor=clerk)

    today = timezone.localdate()
    day = f"{signed_act.decision_date:%Y%m%d}"
    base = f"034-{collectivite.siren}-{day}-{signed_act.number}-DE-1-1"
    members = read_tar(content=read_bytes(transmission.archive.name))
    assert [name for name, _content in members] == [
        f"EACT--{collectivite.siren}--{today:%Y%m%d}-1.xml",
        f"{base}_0.xml",
        f"99_DE-{base}_1.pdf",
        f"99_DE-{base}_2.pdf",
    ]
    assert transmission.status == TransmissionStatus.PREPARED
    assert transmission.archive_name == f"EACT--{collectivite.siren}--{today:%Y%m%d}-1.tar.gz"
    assert transmission.objet == (
        "Attribution d'une subvention de 1 500 EUR au comité des fêtes « Les Amis »"
    )
    assert transmission.classification_date == dt.date(2017, 12, 8)
    assert members[2][1] == ACT_PDF
    assert [d["title"] for d in transmission.documents] == [
        signed_act.number,
        "Tableau des subventions",
    ]
    envelope, message = members[0][1], members[1][1]
    assert envelope.startswith(b"<?xml version='1.0' encoding='ISO-8859-1'?>")
    assert "Hélène Dupré".encode("iso-8859-1") in envelope
    assert "comité des fêtes « Les Amis »".encode("iso-8859-1") in message
    package = read_incoming(content=read_bytes(transmission.archive.name))
    assert package.envelope.schema_errors == ()
    assert package.messages[0].schema_errors == ()
    assert package.messages[0].acte.matieres == (7, 5)
    assert actions(signed_act)[-1:] == ["act.transmission.prepared"]


def test_export_actes_writes_the_same_archive_without_any_change(signed_act, tdt, tmp_path):
    target = tmp_path / "out.tar.gz"

    call_command("export_actes", signed_act.number, "-o", str(target))

    members = read_tar(content=target.read_bytes())
    assert [name.split("-", 1)[0] for name, _c in members] == ["EACT", "034", "99_DE"]
    assert Transmission.objects.count() == 0
    signed_act.refresh_from_db()
    assert signed_act.status == ActStatus.SIGNED


def test_an_unsigned_act_is_refused_and_nothing_changes(
    played, clerk, tdt, classification, settings
):
    act = classify(played.acts[0])
    ready_pdf(act)

    with pytest.raises(TransmissionRefused) as refusal:
        services.prepare_transmission(act=act, actor=clerk)

    assert (
        str(refusal.value)
        == "Only a signed act is sent to the prefecture; this one is “Adopted”. Have it signed through its circuit first."
    )
    assert Transmission.objects.count() == 0
    assert not (Path(settings.MEDIA_ROOT) / "actes").exists()


def test_a_stale_classification_is_refused(signed_act, collectivite, admin, clerk, tdt):
    newer = (
        (FIXTURES / "classification_2017.xml").read_bytes().replace(b"2017-12-08", b"2018-06-01")
    )
    deliberations.import_classification(collectivite=collectivite, actor=admin, content=newer)

    with pytest.raises(StaleClassification) as refusal:
        services.prepare_transmission(act=signed_act, actor=clerk)

    assert str(refusal.value) == (
        "Stale classification: the act's matière 7.5 comes from the classification dated "
        "2017-12-08, but the current one is dated 2018-06-01. Choose the matière again in the "
        "current classification."
    )
    assert Transmission.objects.count() == 0


def test_a_newer_classification_announced_by_the_prefecture_is_refused(signed_act, clerk, tdt):
    tdt.known_classification_date = dt.date(2019, 4, 18)
    tdt.save(update_fields=["known_classification_date"])

    with pytest.raises(StaleClassification) as refusal:
        services.prepare_transmission(act=signed_act, actor=clerk)

    assert str(refusal.value) == (
        "Stale classification: the prefecture announced a classification dated 2019-04-18, but "
        "the one in Délibre is dated 2017-12-08. Import the new classification, then choose the "
        "act's matière again."
    )


def test_without_settings_nothing_is_prepared(signed_act, clerk):
    with pytest.raises(TdtNotConfigured):
        services.prepare_transmission(act=signed_act, actor=clerk)
    assert Transmission.objects.count() == 0


def test_a_validator_may_not_prepare(signed_act, validator, tdt):
    with pytest.raises(Exception) as refusal:
        services.prepare_transmission(act=signed_act, actor=validator)
    assert refusal.value.kind == "forbidden"
    assert Transmission.objects.count() == 0


def test_an_act_is_never_prepared_twice(signed_act, clerk, tdt):
    first = services.prepare_transmission(act=signed_act, actor=clerk)

    with pytest.raises(TransmissionRefused) as refusal:
        services.prepare_transmission(act=signed_act, actor=clerk)

    assert str(refusal.value) == (
        "This act already has a transmission (Prepared): an act is never sent twice. A new one "
        "is possible only after an anomaly, a failure or a cancellation."
    )
    assert list(Transmission.objects.values_list("pk", flat=True)) == [first.pk]


def test_envelope_serials_count_per_day(signed_acts, clerk, tdt):
    first = services.prepare_transmission(act=signed_acts[0], actor=clerk)
    second = services.prepare_transmission(act=signed_acts[1], actor=clerk)
    assert (first.serial, second.serial) == (1, 2)
    assert second.envelope_name.endswith("-2.xml")


# -- The folder drop --------------------------------------------------------------------------------


def send(transmission, actor, capture):
    with capture(execute=True):
        services.transmit(transmission=transmission, actor=actor)
    transmission.refresh_from_db()
    return transmission


def test_the_folder_drop_writes_the_archive_once(
    signed_act, clerk, tdt, drop, django_capture_on_commit_callbacks
):
    transmission = send(
        services.prepare_transmission(act=signed_act, actor=clerk),
        clerk,
        django_capture_on_commit_callbacks,
    )

    again = services.send_transmission(transmission_id=transmission.pk).transmission

    assert transmission.status == TransmissionStatus.SENT
    assert transmission.external_id == str(drop / transmission.archive_name)
    assert sorted(p.name for p in drop.iterdir()) == [transmission.archive_name]
    assert (drop / transmission.archive_name).read_bytes() == read_bytes(transmission.archive.name)
    assert (again.status, again.attempts) == (TransmissionStatus.SENT, 1)
    assert actions(signed_act) == [
        "act.transmission.prepared",
        "act.transmission.queued",
        "act.transmitted",
    ]
    signed_act.refresh_from_db()
    assert signed_act.status == ActStatus.SIGNED  # until the prefecture acknowledges it


def test_the_folder_drop_never_overwrites_another_file(
    signed_act, clerk, tdt, drop, django_capture_on_commit_callbacks
):
    transmission = services.prepare_transmission(act=signed_act, actor=clerk)
    (drop / transmission.archive_name).write_bytes(b"something else")

    transmission = send(transmission, clerk, django_capture_on_commit_callbacks)

    assert transmission.status == TransmissionStatus.FAILED
    assert transmission.last_error == (
        f"Another file named {transmission.archive_name} is already in the drop folder: it was "
        "left untouched. Ask the administrator to check the folder."
    )
    assert (drop / transmission.archive_name).read_bytes() == b"something else"


def test_a_missing_drop_folder_fails_clearly(
    signed_act, clerk, tdt, drop, django_capture_on_commit_callbacks
):
    transmission = services.prepare_transmission(act=signed_act, actor=clerk)
    drop.rmdir()

    transmission = send(transmission, clerk, django_capture_on_commit_callbacks)

    assert transmission.status == TransmissionStatus.FAILED
    assert transmission.last_error == (
        f"The drop folder {drop} does not exist on the server: an administrator must create it "
        "or correct the settings."
    )


def test_the_acknowledgement_moves_the_act_and_a_new_transmission_is_refused(
    signed_act, clerk, tdt, drop, django_capture_on_commit_callbacks
):
    transmission = send(
        services.prepare_transmission(act=signed_act, actor=clerk),
        clerk,
        django_capture_on_commit_callbacks,
    )
    name, package = aracte_package(
        transmission, received_on=timezone.localdate(), classification_date=dt.date(2017, 12, 8)
    )
    (drop.parent / "retours" / name).write_bytes(package)

    report = services.poll_collectivite(collectivite=signed_act.collectivite)

    transmission.refresh_from_db()
    signed_act.refresh_from_db()
    assert (report.imported, report.errors) == (1, [])
    assert transmission.status == TransmissionStatus.ACKNOWLEDGED
    assert transmission.ack_date == timezone.localdate()
    assert transmission.id_acte == (
        f"034-{signed_act.collectivite.siren}-{signed_act.decision_date:%Y%m%d}-{signed_act.number}-DE"
    )
    assert signed_act.status == ActStatus.ACKNOWLEDGED
    assert (drop.parent / "retours" / "imported" / name).exists()
    with pytest.raises(TransmissionRefused):
        services.prepare_transmission(act=signed_act, actor=clerk)


# -- Cancellation (6-1) and answers ----------------------------------------------------------------


@pytest.fixture
def acknowledged(signed_act, clerk, tdt, drop, django_capture_on_commit_callbacks):
    transmission = send(
        services.prepare_transmission(act=signed_act, actor=clerk),
        clerk,
        django_capture_on_commit_callbacks,
    )
    _name, package = aracte_package(
        transmission, received_on=timezone.localdate(), classification_date=dt.date(2017, 12, 8)
    )
    services.import_prefecture_file(
        collectivite=signed_act.collectivite, actor=clerk, content=package, name="ar.tar.gz"
    )
    transmission.refresh_from_db()
    return transmission


def test_a_cancellation_is_sent_then_acknowledged(
    acknowledged, clerk, drop, django_capture_on_commit_callbacks
):
    from exports.actes.builder import new_root, serialize

    with django_capture_on_commit_callbacks(execute=True):
        cancellation = services.request_cancellation(
            transmission=acknowledged, actor=clerk, reason="Acte retiré"
        )
    cancellation.refresh_from_db()
    members = read_tar(content=read_bytes(cancellation.archive.name))
    assert cancellation.kind == TransmissionKind.ANNULATION
    assert cancellation.status == TransmissionStatus.SENT
    assert [name for name, _c in members][1] == f"{acknowledged.id_acte}-6-1_0.xml"
    ar = serialize(
        new_root("ARAnnulation", IDActe=acknowledged.id_acte, DateReception="2026-01-05")
    )

    services.import_prefecture_file(
        collectivite=acknowledged.collectivite, actor=clerk, content=ar, name="6-2.xml"
    )

    acknowledged.refresh_from_db()
    cancellation.refresh_from_db()
    assert acknowledged.status == TransmissionStatus.CANCELLED
    assert cancellation.status == TransmissionStatus.ACKNOWLEDGED
    assert acknowledged.act.status == ActStatus.CANCELLED
    assert actions(acknowledged.act)[-3:] == [
        "act.transmission.cancellation_requested",
        "act.transmission.cancellation_sent",
        "act.transmission.cancelled",
    ]


def test_a_cancellation_needs_an_acknowledged_transmission(signed_act, clerk, tdt):
    transmission = services.prepare_transmission(act=signed_act, actor=clerk)
    with pytest.raises(TransmissionRefused):
        services.request_cancellation(transmission=transmission, actor=clerk, reason="x")
    assert Transmission.objects.count() == 1


def _letter(acknowledged, kind="2-1", text=""):
    from exports.actes.codes import MessageKind
    from exports.actes.standin.prefecture import (
        StandinConfig,
        StandinTransaction,
        prefecture_package,
    )

    collectivite = acknowledged.collectivite
    source = StandinTransaction(id=acknowledged.pk, type=1, status=4, id_acte=acknowledged.id_acte)
    config = StandinConfig(siren=collectivite.siren, departement=collectivite.departement)
    return prefecture_package(source, MessageKind(kind), text, dt.date(2026, 2, 2), config)


def test_a_letter_is_answered_through_the_connector(
    acknowledged, clerk, drop, django_capture_on_commit_callbacks
):
    [message] = services.import_prefecture_file(
        collectivite=acknowledged.collectivite,
        actor=clerk,
        content=_letter(acknowledged),
        name="2-1.tar.gz",
    )
    assert (message.kind, message.status, message.act_id) == ("2-1", "new", acknowledged.act_id)

    with django_capture_on_commit_callbacks(execute=True):
        answer = services.answer_prefecture_message(
            message=message, actor=clerk, kind="2-2", documents=[("réponse.pdf", blank_pdf())]
        )

    answer.refresh_from_db()
    message.refresh_from_db()
    members = read_tar(content=read_bytes(answer.archive.name))
    assert [name for name, _c in members][1:] == [
        f"{acknowledged.id_acte}-2-2_0.xml",
        f"99_DE-{acknowledged.id_acte}-2-2_1.pdf",
    ]
    assert read_incoming(content=read_bytes(answer.archive.name)).messages[0].schema_errors == ()
    assert (answer.status, answer.reply_to_id) == (TransmissionStatus.SENT, message.pk)
    assert (message.status, message.answered_by) == ("answered", clerk)
    assert (drop / answer.archive_name).exists()


def test_an_answer_needs_its_letter_and_a_real_pdf(acknowledged, clerk):
    [message] = services.import_prefecture_file(
        collectivite=acknowledged.collectivite,
        actor=clerk,
        content=_letter(acknowledged, "4-1", "Incompétence"),
        name="4-1.tar.gz",
    )
    assert message.deadline == dt.date(2026, 4, 2)

    with pytest.raises(InvalidActesData) as missing:
        services.answer_prefecture_message(message=message, actor=clerk, kind="4-4")
    with pytest.raises(InvalidActesData) as not_pdf:
        services.answer_prefecture_message(
            message=message, actor=clerk, kind="4-4", documents=[("a.pdf", b"%PDF-1.4 broken")]
        )
    with pytest.raises(TransmissionRefused):
        services.answer_prefecture_message(message=message, actor=clerk, kind="2-2")

    assert str(missing.value) == "Attach the letter answering the prefecture (PDF)."
    assert str(not_pdf.value).startswith("a.pdf was refused: ")
    assert Transmission.objects.filter(reply_to=message).count() == 0
    message.refresh_from_db()
    assert message.status == "new"


def test_an_acknowledgement_answer_leaves_the_letter_open(
    acknowledged, clerk, django_capture_on_commit_callbacks
):
    [message] = services.import_prefecture_file(
        collectivite=acknowledged.collectivite,
        actor=clerk,
        content=_letter(acknowledged, "3-1", "Plan de situation"),
        name="3-1.tar.gz",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_prefecture_message(message=message, actor=clerk, kind="3-2")
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_prefecture_message(
            message=message,
            actor=clerk,
            kind="3-4",
            documents=[("plan.pdf", blank_pdf()), ("note.pdf", blank_pdf())],
        )
    message.refresh_from_db()
    kinds = list(message.answers.order_by("pk").values_list("kind", "status"))
    assert kinds == [("3-2", "sent"), ("3-4", "sent")]
    assert message.status == "answered"
    assert PrefectureMessage.objects.filter(kind="3-1").count() == 1


@pytest.mark.slow
def test_the_archive_carries_the_act_rendered_from_the_model(
    played, classification, clerk, tdt, tmp_path, django_capture_on_commit_callbacks
):
    from exports import services as documents
    from exports.models import RenderedDocument

    act = played.acts[1]
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    type(act).objects.filter(pk=act.pk).update(decision_date=yesterday)
    act = classify(act, "7.1")
    with django_capture_on_commit_callbacks(execute=True):
        documents.request_document(kind="act", target=act, actor=clerk)
    rendered = RenderedDocument.objects.get(act=act, kind="act")
    sign(act)
    target = tmp_path / "archive.tar.gz"

    call_command("export_actes", str(act.pk), "-o", str(target))

    members = dict(read_tar(content=target.read_bytes()))
    base = f"034-{act.collectivite.siren}-{yesterday:%Y%m%d}-{act.number}-DE-1-1"
    assert members[f"99_DE-{base}_1.pdf"] == read_bytes(rendered.file.name)
    package = read_incoming(content=target.read_bytes())
    assert package.messages[0].acte.objet == "Tarifs de la restauration scolaire"
    assert package.messages[0].schema_errors == ()
