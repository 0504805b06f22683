"""The S2LOW client against the stand-in server, over real HTTPS with client certificates."""

import dataclasses
import datetime as dt
import os
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from exports.actes.codes import MessageKind
from exports.actes.exceptions import (
    TdtAuthenticationFailed,
    TdtNotFound,
    TdtRefused,
    TdtUnavailable,
)
from exports.actes.reader import AnomalieActe, CourrierPrefecture, read_message
from exports.actes.s2low import S2lowClient, call_with_retries
from exports.actes.tdt_status import TdtState

TODAY = dt.date(2024, 3, 6)
ID_ACTE = "034-213401722-20240305-2024_DE_012-DE"


def client_for(pki, port, **overrides):
    options = {
        "base_url": f"https://127.0.0.1:{port}",
        "cert_file": pki.client_cert,
        "key_file": pki.client_key,
        "ca_file": pki.ca,
        "timeout": 2.0,
    } | overrides
    return S2lowClient(**options)


def test_client_posts_act_and_reads_acknowledgement(s2low, standin, acte):
    transaction_id = s2low.create_transaction(acte=acte, today=TODAY)

    status = s2low.get_status(transaction_id=transaction_id)

    assert (status.code, status.label, status.state) == (
        4,
        "Acquittement reçu",
        TdtState.ACKNOWLEDGED,
    )
    assert status.aracte.id_acte == ID_ACTE
    assert status.aracte.date_reception == dt.date(2024, 3, 7)
    assert status.aracte.acte.objet == "Budget primitif 2024 de la régie des eaux"
    assert status.aracte.acte.annexes == (
        f"41_RA-{ID_ACTE}-1-1_2.pdf",
        f"99_DE-{ID_ACTE}-1-1_3.png",
    )
    assert status.aracte.schema_errors == ()
    assert s2low.get_aracte(transaction_id=transaction_id).id_acte == ID_ACTE


def test_client_sends_s2low_form_fields(s2low, standin, acte):
    transaction_id = s2low.create_transaction(
        acte=dataclasses.replace(acte, objet="L’été – 1 000 €"), today=TODAY
    )

    posted = standin.state.transactions[transaction_id]
    assert posted.fields == {
        "api": ["1"],
        "nature_code": ["1"],
        "number": ["2024_DE_012"],
        "subject": ["L'été - 1 000 EUR"],
        "decision_date": ["2024-03-05"],
        "en_attente": ["0"],
        "document_papier": ["0"],
        "type_acte": ["99_DE"],
        "classif1": ["7"],
        "classif2": ["1"],
        "type_pj[]": ["41_RA", "99_DE"],
    }
    assert [(field, name) for field, name, _content in posted.files] == [
        ("acte_pdf_file", "d_lib_ration 12.pdf"),
        ("acte_attachments[]", "annexe budg_taire.pdf"),
        ("acte_attachments[]", "plan.png"),
    ]


def test_client_sees_transmitted_before_acknowledged(s2low, standin, acte):
    standin.state.config.polls_before_outcome = 1
    transaction_id = s2low.create_transaction(acte=acte, today=TODAY)

    first = s2low.get_status(transaction_id=transaction_id)
    second = s2low.get_status(transaction_id=transaction_id)

    assert (first.code, first.state, first.aracte) == (3, TdtState.TRANSMITTED, None)
    assert (second.code, second.state) == (4, TdtState.ACKNOWLEDGED)


def test_client_reads_anomaly(s2low, standin, acte):
    standin.state.config.outcome = "anomaly"
    transaction_id = s2low.create_transaction(acte=acte, today=TODAY)

    status = s2low.get_status(transaction_id=transaction_id)

    assert (status.code, status.state, status.aracte) == (-1, TdtState.ERROR, None)
    assert status.message == (
        "Anomalie : ODT-VERIF-01 : Votre acte a été transmis avec une date de classification "
        "qui n'est pas à jour"
    )
    anomaly = read_message(content=status.return_xml, name="anomalie.xml")
    assert isinstance(anomaly, AnomalieActe)
    assert (anomaly.nature, anomaly.act_number, anomaly.schema_errors) == ("002", "2024_DE_012", ())


def test_client_times_out_on_slow_server(pki, standin, acte):
    client = client_for(pki, standin.server_address[1], timeout=0.3)
    standin.state.config.delay_seconds = 1.0

    with pytest.raises(TdtUnavailable) as info:
        client.fetch_classification()

    assert info.value.retryable is True
    assert info.value.may_have_reached_server is True
    assert info.value.detail == "TimeoutError: The read operation timed out"


def test_client_retries_transient_503_then_succeeds(s2low, standin):
    standin.state.config.fail_next = 1
    pauses = []

    classification = call_with_retries(s2low.fetch_classification, delay=0.5, sleep=pauses.append)

    assert classification.classification_date == dt.date(2024, 1, 15)
    assert pauses == [0.5]
    assert standin.state.requests == [
        "GET /modules/actes/actes_classification_fetch.php?api=1",
        "GET /modules/actes/actes_classification_fetch.php?api=1",
    ]


def test_client_gives_up_after_bounded_retries(s2low, standin):
    standin.state.config.fail_next = 5
    pauses = []

    with pytest.raises(TdtUnavailable) as info:
        call_with_retries(s2low.fetch_classification, attempts=3, delay=1.0, sleep=pauses.append)

    assert info.value.detail == "Service temporairement indisponible"
    assert pauses == [1.0, 2.0]
    assert len(standin.state.requests) == 3


def test_client_never_reposts_an_act_that_may_have_arrived(s2low, standin, acte):
    standin.state.config.fail_next = 1
    pauses = []

    with pytest.raises(TdtUnavailable):
        call_with_retries(
            lambda: s2low.create_transaction(acte=acte, today=TODAY),
            idempotent=False,
            sleep=pauses.append,
        )

    assert pauses == []
    assert standin.state.transactions == {}


def test_client_retries_a_post_that_never_left(pki, acte):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = client_for(pki, port)
    pauses = []

    with pytest.raises(TdtUnavailable) as info:
        call_with_retries(
            lambda: client.create_transaction(acte=acte, today=TODAY),
            idempotent=False,
            sleep=pauses.append,
        )

    assert info.value.may_have_reached_server is False
    assert info.value.detail.startswith("ConnectionRefusedError")
    assert pauses == [1.0, 2.0]


def test_client_without_certificate_is_refused(s2low, pki, standin):
    s2low.context = ssl.create_default_context(cafile=pki.ca)  # trusts the server, shows no cert

    with pytest.raises(TdtAuthenticationFailed) as info:
        s2low.fetch_classification()

    assert info.value.retryable is False
    assert "CERTIFICATE_REQUIRED" in info.value.detail
    assert standin.state.requests == []


def test_client_with_unknown_certificate_is_refused(pki, standin):
    client = client_for(
        pki, standin.server_address[1], cert_file=pki.stranger_cert, key_file=pki.stranger_key
    )

    with pytest.raises(TdtAuthenticationFailed):
        client.fetch_classification()

    assert standin.state.requests == []


def test_client_refuses_unknown_server_certificate(pki, standin):
    client = client_for(pki, standin.server_address[1], ca_file=pki.stranger_cert)

    with pytest.raises(TdtAuthenticationFailed) as info:
        client.fetch_classification()

    assert "CERTIFICATE_VERIFY_FAILED" in info.value.detail


def test_standin_refuses_bad_number_like_s2low(s2low, standin):
    # Bypasses the client's own check to see the server's answer.
    result = s2low._request(
        "POST",
        "/modules/actes/actes_transac_create.php",
        fields=[("api", "1"), ("number", "2024-12"), ("subject", "Objet")],
    )

    with pytest.raises(TdtRefused) as info:
        s2low._ok_lines(result)

    assert info.value.detail == "Le numéro n'est pas correct"
    assert standin.state.transactions == {}


def test_standin_refuses_multiline_objet_like_s2low(s2low, standin):
    result = s2low._request(
        "POST",
        "/modules/actes/actes_transac_create.php",
        fields=[
            ("api", "1"),
            ("number", "A1"),
            ("decision_date", "2024-03-05"),
            ("subject", "a\nb"),
        ],
    )

    with pytest.raises(TdtRefused) as info:
        s2low._ok_lines(result)

    assert info.value.detail == (
        "Objet de l'acte : l'objet doit faire de 1 à 499 caractères, sans retour chariot"
    )


def test_client_refused_for_duplicate_number(s2low, standin, acte):
    s2low.create_transaction(acte=acte, today=TODAY)

    with pytest.raises(TdtRefused) as info:
        s2low.create_transaction(acte=acte, today=TODAY)

    assert info.value.detail == (
        "Un acte portant le même numéro interne existe déjà dans la base de données.\n"
        "Il faut peut-être ajouter un suffixe au numéro."
    )
    assert len(standin.state.transactions) == 1


def test_client_cancels_acknowledged_act(s2low, standin, acte):
    transaction_id = s2low.create_transaction(acte=acte, today=TODAY)
    s2low.get_status(transaction_id=transaction_id)

    cancellation_id = s2low.cancel_transaction(transaction_id=transaction_id)

    assert s2low.get_status(transaction_id=transaction_id).state == TdtState.CANCELLED
    acknowledgement = s2low.get_status(transaction_id=cancellation_id)
    assert acknowledgement.code == 4
    assert read_message(content=acknowledgement.return_xml).id_acte == ID_ACTE
    with pytest.raises(TdtRefused):
        s2low.cancel_transaction(transaction_id=transaction_id)


def test_client_unknown_transaction(s2low, standin):
    with pytest.raises(TdtNotFound):
        s2low.get_status(transaction_id=999)


def test_client_fetches_classification(s2low, standin):
    classification = s2low.fetch_classification()

    assert classification.code == "7-2"
    assert classification.schema_errors == ()
    assert [e.code for e in classification.classification.matieres if e.level == 1] == [
        str(code) for code in range(1, 10)
    ]


def test_client_downloads_prefecture_letter(s2low, standin, acte):
    transaction_id = s2low.create_transaction(acte=acte, today=TODAY)
    s2low.get_status(transaction_id=transaction_id)
    letter_id = standin.state.add_courrier(
        transaction_id=transaction_id,
        kind=MessageKind.LETTRE_OBSERVATIONS,
        text="Incompétence de l'auteur.",
    )

    refs = s2low.list_prefecture_messages(transaction_id=transaction_id)
    package = s2low.get_prefecture_message(transaction_id=letter_id)

    assert [(ref.transaction_type, ref.status, ref.transaction_id) for ref in refs] == [
        (4, 7, letter_id)
    ]
    assert package.envelope.emitter == "PREF034"
    (message,) = package.messages
    assert isinstance(message, CourrierPrefecture)
    assert (message.code, message.id_acte, message.text) == (
        "4-1",
        ID_ACTE,
        "Incompétence de l'auteur.",
    )
    assert package.file(message.document)[:5] == b"%PDF-"
    assert message.schema_errors == ()


def test_client_helios_round_trip(s2low, standin):
    pes = b'<?xml version="1.0" encoding="UTF-8"?><PES_Aller/>'

    transaction_id = s2low.helios_send(filename="PESALR2 mars.xml", content=pes)
    status = s2low.helios_status(transaction_id=transaction_id)

    assert (status.code, status.label, status.state) == (1, "Posté", TdtState.QUEUED)
    assert standin.state.helios[transaction_id]["filename"] == "PESALR2 mars.xml"
    with pytest.raises(TdtRefused) as info:
        s2low.helios_send(filename="again.xml", content=pes)
    assert info.value.detail == "doublon détecté. Ce fichier a déjà été posté"
    with pytest.raises(TdtNotFound):
        s2low.helios_get_retour(retour_id=42)


def test_standin_runs_from_the_command_line(pki):
    root = Path(__file__).resolve().parents[3]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "exports.actes.standin",
            "--port",
            "0",
            "--cert",
            pki.server_cert,
            "--key",
            pki.server_key,
            "--ca",
            pki.ca,
        ],
        cwd=root,
        env=os.environ | {"PYTHONPATH": str(root)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        port = int(line.rsplit(":", 1)[1].strip("/\n"))
        classification = client_for(pki, port).fetch_classification()
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert line.startswith("Stand-in S2LOW listening on https://127.0.0.1:")
    assert classification.classification_date == dt.date(2024, 1, 15)
