"""Fixtures for the ACTES tests: sample data, a throw-away TLS PKI and the stand-in S2LOW server."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.utils import translation
from pypdf import PdfWriter

from exports.actes.builder import Acte, Collectivite, Piece, Referent
from exports.actes.s2low import S2lowClient
from exports.actes.standin import StandinConfig, serve_in_thread
from exports.actes.standin.pki import TestPki, make_test_pki

SAMPLES = Path(__file__).parent / "samples"
SENT_ON = dt.date(2024, 3, 6)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def make_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


PDF = make_pdf()


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted exactly, in their English msgids, whatever catalogue exists.
    with translation.override("en"):
        yield


@pytest.fixture
def collectivite() -> Collectivite:
    return Collectivite(
        siren="213401722",
        departement="034",
        arrondissement=1,
        nature="31",
        return_emails=("actes@ville-exemple.fr", "dgs@ville-exemple.fr"),
        referent=Referent(
            name="Hélène Dupré", telephone="0467000000", email="h.dupre@ville-exemple.fr"
        ),
    )


@pytest.fixture
def acte() -> Acte:
    return Acte(
        number="2024_DE_012",
        decision_date=dt.date(2024, 3, 5),
        nature=1,
        matieres=(7, 1),
        objet="Budget primitif 2024 de la régie des eaux",
        classification_date=dt.date(2024, 1, 15),
        document=Piece(filename="délibération 12.pdf", content=PDF, type_pj="99_DE"),
        annexes=(
            Piece(filename="annexe budgétaire.pdf", content=PDF, type_pj="41_RA"),
            Piece(filename="plan.png", content=PNG, type_pj="99_DE"),
        ),
    )


# -- TLS PKI and the stand-in server ------------------------------------------------------


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> TestPki:
    return make_test_pki(directory=tmp_path_factory.mktemp("pki"))


@pytest.fixture
def standin(pki):
    server, thread = serve_in_thread(
        cert_file=pki.server_cert,
        key_file=pki.server_key,
        ca_file=pki.ca,
        config=StandinConfig(siren="213401722", departement="034", reception_date="2024-03-07"),
    )
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def s2low(pki, standin) -> S2lowClient:
    return S2lowClient(
        base_url=f"https://127.0.0.1:{standin.server_address[1]}",
        cert_file=pki.client_cert,
        key_file=pki.client_key,
        ca_file=pki.ca,
        timeout=2.0,
    )
