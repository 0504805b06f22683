"""Delivery through S2LOW, against the stand-in server (real HTTPS with client certificates):
success, anomaly, timeout, retry and permanent refusal through the task, the act ending
acknowledged or in anomaly and never sent twice; polling letters and answers; cancellation;
concurrent deliveries on PostgreSQL."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from django.db import connection

from deliberations.enums import ActStatus
from exports.actes import services
from exports.actes.codes import MessageKind
from exports.actes.enums import TransmissionKind, TransmissionStatus
from exports.actes.models import PrefectureMessage, Transmission
from exports.actes.standin import StandinConfig, serve_in_thread
from exports.actes.tasks import poll_tdt_task, transmit_task
from tests.exports.actes import integration as fixtures
from tests.exports.actes.integration import creates
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
mandates = fixtures.mandates
outsider = fixtures.outsider
played = fixtures.played
s2low_tdt = fixtures.s2low_tdt
client_pki = fixtures.client_pki
actes_root = fixtures.actes_root
signed_act = fixtures.signed_act
signed_acts = fixtures.signed_acts
standin_server = fixtures.standin_server
the_council = fixtures.the_council
validator = fixtures.validator

pytestmark = pytest.mark.django_db


def queue(act, actor, capture):
    """Prepare and transmit; the task runs at commit (eagerly, as without a broker)."""
    transmission = services.prepare_transmission(act=act, actor=actor)
    with capture(execute=True):
        services.transmit(transmission=transmission, actor=actor)
    transmission.refresh_from_db()
    return transmission


def acts_on_server(server) -> list[str]:
    return [
        (t.fields.get("number") or [""])[0]
        for t in server.state.transactions.values()
        if t.type == 1
    ]


def test_s2low_success_ends_acknowledged_and_is_never_sent_twice(
    signed_act, clerk, s2low_tdt, standin_server, django_capture_on_commit_callbacks
):
    transmission = queue(signed_act, clerk, django_capture_on_commit_callbacks)
    transmit_task.delay(transmission_id=transmission.pk)  # a second delivery of the same task

    assert transmission.status == TransmissionStatus.SENT
    assert transmission.external_id == "1"
    assert acts_on_server(standin_server) == [signed_act.number]
    assert len(creates(standin_server)) == 1

    assert poll_tdt_task.delay().get() == 1

    transmission.refresh_from_db()
    signed_act.refresh_from_db()
    assert transmission.status == TransmissionStatus.ACKNOWLEDGED
    assert transmission.id_acte == (
        f"034-{signed_act.collectivite.siren}-{signed_act.decision_date:%Y%m%d}-"
        f"{signed_act.number}-DE"
    )
    assert signed_act.status == ActStatus.ACKNOWLEDGED
    assert [e.action for e in events_for(signed_act) if e.action.startswith("act.")][-5:] == [
        "act.transmission.prepared",
        "act.transmission.queued",
        "act.transmitted",
        "act.acknowledged",
        "act.prefecture_message.received",
    ]


def test_s2low_anomaly_keeps_the_act_signed_for_a_new_transmission(
    signed_act, clerk, s2low_tdt, standin_server, django_capture_on_commit_callbacks
):
    standin_server.state.config.outcome = "anomaly"
    transmission = queue(signed_act, clerk, django_capture_on_commit_callbacks)

    services.poll_collectivite(collectivite=signed_act.collectivite)

    transmission.refresh_from_db()
    signed_act.refresh_from_db()
    assert transmission.status == TransmissionStatus.ANOMALY
    assert transmission.anomaly == (
        "002 — ODT-VERIF-01 : Votre acte a été transmis avec une date de classification qui "
        "n'est pas à jour"
    )
    assert signed_act.status == ActStatus.SIGNED
    again = services.prepare_transmission(act=signed_act, actor=clerk)
    assert (again.previous, again.status) == (transmission, TransmissionStatus.PREPARED)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def s2low_down(collectivite, admin, client_pki):
    """S2LOW settings pointing at a port where nothing listens yet (connection refused)."""
    port = free_port()
    services.update_tdt_settings(
        collectivite=collectivite,
        actor=admin,
        connector="s2low",
        s2low_url=f"https://127.0.0.1:{port}",
        client_cert=client_pki.client_cert,
        client_key=client_pki.client_key,
        ca_file=client_pki.ca,
        timeout_seconds=2,
        return_emails=["actes@saint-exemple.fr"],
    )
    return port


def test_a_transient_error_is_retried_until_s2low_answers(signed_act, clerk, s2low_down, pki):
    transmission = services.prepare_transmission(act=signed_act, actor=clerk)
    services.transmit(transmission=transmission, actor=clerk)  # (the queued task is not run)

    first = services.send_transmission(transmission_id=transmission.pk)
    server, thread = serve_in_thread(
        cert_file=pki.server_cert,
        key_file=pki.server_key,
        ca_file=pki.ca,
        port=s2low_down,
        config=StandinConfig(siren=signed_act.collectivite.siren),
    )
    try:
        second = services.send_transmission(transmission_id=transmission.pk)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    assert (first.retry, first.transmission.status, first.transmission.attempts) == (
        True,
        TransmissionStatus.QUEUED,
        1,
    )
    assert services.retry_delay(first.transmission.attempts) == 30
    assert (second.retry, second.transmission.status, second.transmission.attempts) == (
        False,
        TransmissionStatus.SENT,
        2,
    )
    assert acts_on_server(server) == [signed_act.number]
    assert [e.action for e in events_for(signed_act) if e.action.startswith("act.transm")][-2:] == [
        "act.transmission.attempt_failed",
        "act.transmitted",
    ]


def test_the_task_retries_a_bounded_number_of_times(
    signed_act, clerk, s2low_down, django_capture_on_commit_callbacks
):
    transmission = queue(signed_act, clerk, django_capture_on_commit_callbacks)

    assert (transmission.status, transmission.attempts) == (
        TransmissionStatus.FAILED,
        services.MAX_ATTEMPTS,
    )
    assert transmission.last_error == (
        "The transmission platform (S2LOW) cannot be reached right now. Délibre will try again; "
        "if this lasts, check the network or the platform's status page."
    )
    assert [e.action for e in events_for(signed_act)].count("act.transmission.attempt_failed") == 4


def test_an_error_after_the_act_may_have_arrived_is_never_posted_again(
    signed_act, clerk, s2low_tdt, standin_server, django_capture_on_commit_callbacks
):
    standin_server.state.config.fail_next = 1  # HTTP 503 once the request reached S2LOW

    transmission = queue(signed_act, clerk, django_capture_on_commit_callbacks)
    transmit_task.delay(transmission_id=transmission.pk)

    transmission.refresh_from_db()
    assert (transmission.status, transmission.outcome_unknown) == (TransmissionStatus.QUEUED, True)
    assert len(creates(standin_server)) == 1
    services.reconcile_transmission(transmission=transmission, actor=clerk, received=False)
    transmit_task.delay(transmission_id=transmission.pk)  # as the queued task would, after commit
    transmission.refresh_from_db()
    assert transmission.status == TransmissionStatus.SENT
    assert acts_on_server(standin_server) == [signed_act.number]


def test_a_timeout_leaves_the_outcome_unknown_and_nothing_is_posted_again(
    signed_act, clerk, s2low_tdt, standin_server, django_capture_on_commit_callbacks
):
    standin_server.state.config.delay_seconds = 3.0  # the client gives up after 2 s

    transmission = queue(signed_act, clerk, django_capture_on_commit_callbacks)
    deadline = time.monotonic() + 10
    while not acts_on_server(standin_server) and time.monotonic() < deadline:
        time.sleep(0.1)  # the stand-in finishes the request the client gave up on
    standin_server.state.config.delay_seconds = 0.0
    transmit_task.delay(transmission_id=transmission.pk)
    services.poll_collectivite(collectivite=signed_act.collectivite)

    transmission.refresh_from_db()
    assert (transmission.status, transmission.outcome_unknown) == (TransmissionStatus.QUEUED, True)
    assert acts_on_server(standin_server) == [signed_act.number]
    assert len(creates(standin_server)) == 1

    [on_server] = [t.id for t in standin_server.state.transactions.values() if t.type == 1]
    services.reconcile_transmission(
        transmission=transmission, actor=clerk, received=True, external_id=str(on_server)
    )
    services.poll_collectivite(collectivite=signed_act.collectivite)

    transmission.refresh_from_db()
    signed_act.refresh_from_db()
    assert transmission.status == TransmissionStatus.ACKNOWLEDGED
    assert signed_act.status == ActStatus.ACKNOWLEDGED
    assert len(creates(standin_server)) == 1


def test_a_slow_status_is_asked_again_at_the_next_poll(
    signed_act, clerk, s2low_tdt, standin_server, django_capture_on_commit_callbacks
):
    transmission = queue(signed_act, clerk, django_capture_on_commit_callbacks)
    standin_server.state.config.delay_seconds = 3.0

    slow = services.poll_collectivite(collectivite=signed_act.collectivite)
    standin_server.state.config.delay_seconds = 0.0
    normal = services.poll_collectivite(collectivite=signed_act.collectivite)

    transmission.refresh_from_db()
    assert (len(slow.errors), slow.imported) == (1, 0)
    assert (normal.errors, normal.imported) == ([], 1)
    assert transmission.status == TransmissionStatus.ACKNOWLEDGED


def test_a_refused_certificate_fails_without_retry(
    signed_act, clerk, s2low_tdt, client_pki, standin_server, django_capture_on_commit_callbacks
):
    s2low_tdt.client_cert = client_pki.stranger_cert
    s2low_tdt.client_key = client_pki.stranger_key
    s2low_tdt.save(update_fields=["client_cert", "client_key"])

    transmission = queue(signed_act, clerk, django_capture_on_commit_callbacks)

    assert (transmission.status, transmission.attempts) == (TransmissionStatus.FAILED, 1)
    assert transmission.last_error == (
        "The transmission platform (S2LOW) refused the connection: check that the collectivité's "
        "certificate is installed, valid and registered on the platform."
    )
    assert acts_on_server(standin_server) == []


def test_letters_come_through_s2low_and_are_answered_there(
    signed_act, clerk, s2low_tdt, standin_server, django_capture_on_commit_callbacks
):
    transmission = queue(signed_act, clerk, django_capture_on_commit_callbacks)
    services.poll_collectivite(collectivite=signed_act.collectivite)
    letter_id = standin_server.state.add_courrier(
        transaction_id=int(transmission.external_id), kind=MessageKind.COURRIER_SIMPLE
    )

    report = services.poll_collectivite(collectivite=signed_act.collectivite)
    again = services.poll_collectivite(collectivite=signed_act.collectivite)

    message = PrefectureMessage.objects.get(kind="2-1")
    assert (report.imported, again.imported) == (1, 0)
    assert (message.external_id, message.act, message.status) == (str(letter_id), signed_act, "new")

    with django_capture_on_commit_callbacks(execute=True):
        answer = services.answer_prefecture_message(
            message=message, actor=clerk, kind="2-2", documents=[("reponse.pdf", blank_pdf())]
        )
    answer.refresh_from_db()
    [on_server] = [
        t for t in standin_server.state.transactions.values() if t.related_id == letter_id
    ]
    assert (answer.status, answer.external_id) == (TransmissionStatus.SENT, str(on_server.id))
    assert on_server.fields["type_envoie"] == ["4"]
    assert on_server.fields["type_acte"] == ["99_DE"]


def test_cancellation_through_s2low(
    signed_act, clerk, s2low_tdt, standin_server, django_capture_on_commit_callbacks
):
    transmission = queue(signed_act, clerk, django_capture_on_commit_callbacks)
    services.poll_collectivite(collectivite=signed_act.collectivite)
    transmission.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        cancellation = services.request_cancellation(
            transmission=transmission, actor=clerk, reason="Retrait de l'acte"
        )
    services.poll_collectivite(collectivite=signed_act.collectivite)

    cancellation.refresh_from_db()
    transmission.refresh_from_db()
    signed_act.refresh_from_db()
    assert cancellation.kind == TransmissionKind.ANNULATION
    assert cancellation.status == TransmissionStatus.ACKNOWLEDGED
    assert transmission.status == TransmissionStatus.CANCELLED
    assert signed_act.status == ActStatus.CANCELLED


def test_a_training_collectivite_never_posts_to_s2low(signed_act, clerk, s2low_tdt, standin_server):
    collectivite = signed_act.collectivite
    collectivite.is_training = True
    collectivite.save(update_fields=["is_training"])
    transmission = services.prepare_transmission(act=signed_act, actor=clerk)

    with pytest.raises(Exception) as refusal:
        services.transmit(transmission=transmission, actor=clerk)

    assert refusal.value.code == "transmission_refused"
    transmission.refresh_from_db()
    assert transmission.status == TransmissionStatus.PREPARED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("connector", ["s2low", "folder"])
def test_concurrent_deliveries_send_once(
    connector, signed_act, clerk, admin, client_pki, actes_root, standin_server
):
    if connector == "s2low":
        services.update_tdt_settings(
            collectivite=signed_act.collectivite,
            actor=admin,
            connector="s2low",
            s2low_url=f"https://127.0.0.1:{standin_server.server_address[1]}",
            client_cert=client_pki.client_cert,
            client_key=client_pki.client_key,
            ca_file=client_pki.ca,
            timeout_seconds=5,
            return_emails=["actes@saint-exemple.fr"],
        )
        standin_server.state.config.delay_seconds = 0.3  # both workers are in flight together
    else:
        (actes_root / "depot").mkdir()
        services.update_tdt_settings(
            collectivite=signed_act.collectivite,
            actor=admin,
            connector="folder",
            folder_path=str(actes_root / "depot"),
            return_emails=["actes@saint-exemple.fr"],
        )
    transmission = services.prepare_transmission(act=signed_act, actor=clerk)
    Transmission.objects.filter(pk=transmission.pk).update(status=TransmissionStatus.QUEUED)
    start = threading.Barrier(3)
    outcomes: list[str] = []

    def worker() -> None:
        try:
            start.wait()
            outcome = services.send_transmission(transmission_id=transmission.pk)
            outcomes.append(outcome.transmission.status)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    transmission.refresh_from_db()
    if connector == "s2low":
        # The delivering worker commits its mark before posting: a worker that finds the mark
        # returns at once ("queued", the other one delivers) instead of waiting for the lock.
        assert len(outcomes) == 3 and "sent" in outcomes
        assert set(outcomes) <= {"sent", "queued"}
    else:
        assert outcomes == ["sent", "sent", "sent"]
    assert (transmission.status, transmission.attempts) == ("sent", 1)
    assert [e.action for e in events_for(signed_act)].count("act.transmitted") == 1
    if connector == "s2low":
        assert acts_on_server(standin_server) == [signed_act.number]
    else:
        assert [p.name for p in (actes_root / "depot").iterdir()] == [transmission.archive_name]
