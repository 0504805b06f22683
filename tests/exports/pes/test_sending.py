"""Sending signed flows to the treasury: folder drop and S2LOW Hélios, in the background,
retried on transient errors, and never twice."""

from __future__ import annotations

import hashlib
import threading

import pytest
from django.core.files.storage import default_storage
from django.db import connection

from exports.pes import services as pes
from exports.pes.exceptions import PesStateRefused
from exports.pes.models import PesFlow, PesSettings, PesTransmission
from exports.pes.tasks import deliver_pes_transmission
from workflow.models import AuditEvent


def _sha(flow: PesFlow) -> str:
    with default_storage.open(flow.current_file.name, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _sent_events(flow: PesFlow) -> int:
    return AuditEvent.objects.filter(
        chain__key=f"pesflow:{flow.pk}", action="pes.flow.sent"
    ).count()


def test_send_drops_the_signed_flow_in_the_folder_once(
    signed_flow, finance, drop_dir, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        transmission = pes.send_flow(flow=signed_flow, actor=finance)

    assert len(callbacks) == 1
    transmission.refresh_from_db()
    signed_flow.refresh_from_db()
    target = drop_dir / "PESALR2_24310063300011_250302_001.xml"
    assert (transmission.status, transmission.attempts, transmission.target) == (
        "sent",
        1,
        str(target),
    )
    assert hashlib.sha256(target.read_bytes()).hexdigest() == _sha(signed_flow)
    assert (signed_flow.status, set(signed_flow.bordereaux.values_list("status", flat=True))) == (
        "sent",
        {"sent"},
    )
    assert _sent_events(signed_flow) == 1


def test_the_delivery_task_run_twice_sends_once(signed_flow, finance, drop_dir):
    transmission = pes.send_flow(flow=signed_flow, actor=finance)  # task queued, not run here

    first = deliver_pes_transmission.delay(transmission_id=transmission.pk).get()
    second = deliver_pes_transmission.delay(transmission_id=transmission.pk).get()

    assert (first, second) == ("sent", "sent")
    assert [p.name for p in drop_dir.iterdir()] == ["PESALR2_24310063300011_250302_001.xml"]
    assert _sent_events(signed_flow) == 1
    assert PesTransmission.objects.get().attempts == 1


def test_a_flow_is_never_queued_twice(signed_flow, finance, drop_dir):
    pes.send_flow(flow=signed_flow, actor=finance)

    with pytest.raises(PesStateRefused) as caught:
        pes.send_flow(flow=signed_flow, actor=finance)

    assert str(caught.value) == "This flow is already being sent."
    assert PesTransmission.objects.count() == 1


def test_the_treasury_does_not_send(treasurer, signed_flow):
    from deliberations.exceptions import NotAllowed

    with pytest.raises(NotAllowed):
        pes.send_flow(flow=signed_flow, actor=treasurer)

    assert PesTransmission.objects.count() == 0


def test_an_unsigned_flow_is_not_sent(imported_flow, finance):
    with pytest.raises(PesStateRefused) as caught:
        pes.send_flow(flow=imported_flow, actor=finance)

    assert str(caught.value) == "Only a signed flow is sent, once; this flow is “Imported”."


def test_a_transient_error_is_retried_and_the_flow_sent_once(
    signed_flow, finance, drop_dir, settings
):
    drop_dir.parent.mkdir(parents=True)
    drop_dir.write_text("not a folder")  # the drop folder cannot be written now
    transmission = pes.send_flow(flow=signed_flow, actor=finance)

    delayed = pes.deliver_transmission(transmission_id=transmission.pk)

    assert (delayed.status, delayed.attempts) == ("queued", 1)
    assert delayed.last_error.startswith("The drop folder cannot be written right now")
    signed_flow.refresh_from_db()
    assert signed_flow.status == "signed"
    drop_dir.unlink()

    assert pes.retry_transmissions() == 1

    transmission.refresh_from_db()
    signed_flow.refresh_from_db()
    assert (transmission.status, transmission.attempts, signed_flow.status) == ("sent", 2, "sent")
    assert list(
        AuditEvent.objects.filter(action__startswith="pes.transmission").values_list(
            "action", flat=True
        )
    ) == ["pes.transmission.queued", "pes.transmission.delayed"]


def test_attempts_are_bounded_then_the_transmission_fails(signed_flow, finance, drop_dir, settings):
    settings.DELIBRE_PES_SEND_ATTEMPTS = 2
    drop_dir.parent.mkdir(parents=True)
    drop_dir.write_text("not a folder")
    transmission = pes.send_flow(flow=signed_flow, actor=finance)

    pes.deliver_transmission(transmission_id=transmission.pk)
    failed = pes.deliver_transmission(transmission_id=transmission.pk)

    assert (failed.status, failed.attempts, len(failed.errors)) == ("failed", 2, 2)
    signed_flow.refresh_from_db()
    assert signed_flow.status == "signed"
    drop_dir.unlink()
    again = pes.send_flow(flow=signed_flow, actor=finance)  # a failed sending can be redone
    assert pes.deliver_transmission(transmission_id=again.pk).status == "sent"


def test_a_file_already_in_the_folder_is_recognised(signed_flow, finance, drop_dir):
    """The answer of an attempt was lost: the next one finds the same bytes and succeeds."""
    drop_dir.mkdir(parents=True)
    with default_storage.open(signed_flow.current_file.name, "rb") as handle:
        (drop_dir / "PESALR2_24310063300011_250302_001.xml").write_bytes(handle.read())
    transmission = pes.send_flow(flow=signed_flow, actor=finance)

    sent = pes.deliver_transmission(transmission_id=transmission.pk)

    assert sent.status == "sent"
    event = AuditEvent.objects.get(action="pes.flow.sent")
    assert event.data["already_there"] is True


def test_a_training_collectivite_never_transmits(signed_flow, finance, commune):
    commune.is_training = True
    commune.save()

    with pytest.raises(PesStateRefused) as caught:
        pes.send_flow(flow=signed_flow, actor=finance)

    assert str(caught.value) == "Nothing is ever transmitted from a training collectivité."


# --- S2LOW Hélios (the stand-in server) -----------------------------------------------------


@pytest.fixture
def s2low_settings(commune, pes_admin, tmp_path, settings):
    pytest.importorskip("exports.actes.models")
    from exports.actes.models import TdtSettings
    from exports.actes.standin import StandinConfig, make_test_pki, serve_in_thread

    # The S2LOW account is the prefecture transmission's: its files live in its own folder.
    settings.DELIBRE_ACTES_DIR = tmp_path / "actes"
    directory = tmp_path / "actes" / commune.slug
    directory.mkdir(parents=True)
    tls = make_test_pki(directory=directory)
    server, thread = serve_in_thread(
        cert_file=tls.server_cert,
        key_file=tls.server_key,
        ca_file=tls.ca,
        config=StandinConfig(siren=commune.siren, departement="031"),
    )
    TdtSettings.objects.create(
        collectivite=commune,
        connector="s2low",
        s2low_url=f"https://127.0.0.1:{server.server_address[1]}",
        client_cert=str(tls.client_cert),
        client_key=str(tls.client_key),
        ca_file=str(tls.ca),
        timeout_seconds=5,
    )
    PesSettings.objects.create(collectivite=commune, connector="s2low_helios")
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_send_through_s2low_helios(signed_flow, finance, s2low_settings):
    transmission = pes.send_flow(flow=signed_flow, actor=finance)

    sent = pes.deliver_transmission(transmission_id=transmission.pk)

    assert (sent.status, sent.connector, sent.external_id.isdigit()) == (
        "sent",
        "s2low_helios",
        True,
    )
    assert list(s2low_settings.state.helios) == [int(sent.external_id)]


def test_s2low_doublon_means_the_first_attempt_arrived(signed_flow, finance, s2low_settings):
    """S2LOW received the file but its answer was lost: trying again gets "doublon"."""
    from exports.pes.connectors import s2low_client_for

    with default_storage.open(signed_flow.current_file.name, "rb") as handle:
        s2low_client_for(signed_flow.collectivite).helios_send(
            filename="PESALR2_24310063300011_250302_001.xml", content=handle.read()
        )
    transmission = pes.send_flow(flow=signed_flow, actor=finance)

    sent = pes.deliver_transmission(transmission_id=transmission.pk)

    assert (sent.status, sent.external_id) == ("sent", "")
    assert len(s2low_settings.state.helios) == 1


# --- concurrency (PostgreSQL, real threads) ---------------------------------------------------


def _in_threads(count: int, call) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - the test reports what each thread met
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_send_once(signed_flow, finance, drop_dir, monkeypatch):
    monkeypatch.setattr("exports.pes.services.sending._queue", lambda transmission_id: None)
    transmission = pes.send_flow(flow=signed_flow, actor=finance)

    results = _in_threads(4, lambda: pes.deliver_transmission(transmission_id=transmission.pk))

    # One worker claimed and sent it; the others found it being sent (or sent) and stopped.
    assert all(r.status in ("sending", "sent") for r in results)
    assert PesTransmission.objects.get().status == "sent"
    assert [p.name for p in drop_dir.iterdir()] == ["PESALR2_24310063300011_250302_001.xml"]
    assert _sent_events(signed_flow) == 1
    assert PesTransmission.objects.get().attempts == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_send_requests_queue_one_transmission(signed_flow, finance, drop_dir):
    results = _in_threads(4, lambda: pes.send_flow(flow=signed_flow, actor=finance))

    refused = [r for r in results if isinstance(r, PesStateRefused)]
    assert (len(refused), PesTransmission.objects.count()) == (3, 1)
    assert [p.name for p in drop_dir.iterdir()] == ["PESALR2_24310063300011_250302_001.xml"]
    assert _sent_events(signed_flow) == 1
