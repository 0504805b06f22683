"""Signing test set-up: one demo PKI and its loopback TSA/OCSP/CRL server per test session.

RSA keys are the slow part of a PKI (~0.2 s each, 14 of them): they are kept in pytest's cache
directory (``.pytest_cache``) and reused by later runs; certificates are re-issued from them
in a fresh directory every session, for the loopback port the server got this time.
"""

from __future__ import annotations

import io
import socket
import tempfile
from pathlib import Path

import pytest

from signing.fields import add_signature_fields
from signing.pki import PkiServer, bind_loopback_socket, generate_pki
from signing.trust import TrustSettings

PASSWORD = "mot-de-passe-de-test"
PIN = "123456"
FIELDS = [("Maire", 2, (320, 60, 565, 150)), ("Secretaire", 2, (30, 60, 290, 150))]


def make_document(pages: int = 3) -> bytes:
    """A small text PDF written by pyHanko's own writer (no reportlab, no WeasyPrint)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

    writer = PdfFileWriter()
    font = writer.add_object(
        generic.DictionaryObject(
            {
                generic.pdf_name("/Type"): generic.pdf_name("/Font"),
                generic.pdf_name("/Subtype"): generic.pdf_name("/Type1"),
                generic.pdf_name("/BaseFont"): generic.pdf_name("/Helvetica"),
            }
        )
    )
    resources = generic.DictionaryObject(
        {generic.pdf_name("/Font"): generic.DictionaryObject({generic.pdf_name("/F1"): font})}
    )
    for number in range(1, pages + 1):
        text = f"BT /F1 20 Tf 72 760 Td (Deliberation 2026-042, page {number}) Tj ET"
        content = writer.add_object(generic.StreamObject(stream_data=text.encode()))
        writer.insert_page(
            PageObject(contents=content, media_box=(0, 0, 595, 842), resources=resources)
        )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="session")
def key_cache(request) -> Path:
    cache = getattr(request.config, "cache", None)
    if cache is None:  # -p no:cacheprovider: keep the demo keys in the system temp directory
        return Path(tempfile.gettempdir()) / "delibre-signing-pki-keys"
    return Path(cache.mkdir("delibre-signing-pki-keys"))


@pytest.fixture(scope="session")
def pki_socket():
    sock = bind_loopback_socket()
    yield sock
    sock.close()


@pytest.fixture(scope="session")
def pki(tmp_path_factory, key_cache, pki_socket):
    return generate_pki(
        directory=tmp_path_factory.mktemp("pki"),
        password=PASSWORD,
        port=pki_socket.getsockname()[1],
        key_cache=key_cache,
    )


@pytest.fixture(scope="session")
def pki_server(pki, pki_socket):
    server = PkiServer(pki, sock=pki_socket).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def dead_port():
    """A loopback port that refuses connections: bound, never listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture(scope="session")
def offline_pki(tmp_path_factory, key_cache, dead_port):
    """The same PKI, but its OCSP/CRL/TSA URLs point to a port where nothing answers."""
    return generate_pki(
        directory=tmp_path_factory.mktemp("offline-pki"),
        password=PASSWORD,
        port=dead_port,
        key_cache=key_cache,
    )


@pytest.fixture(scope="session")
def trust(pki) -> TrustSettings:
    return TrustSettings(trust_roots=tuple(pki.trust_roots), fetch_timeout=5)


@pytest.fixture(scope="session")
def signers(pki):
    """PKCS#12 signers by label, each opened once (as the server seal is in production)."""
    from signing.keys import load_pkcs12_signer

    loaded = {}

    def get(label: str):
        if label not in loaded:
            loaded[label] = load_pkcs12_signer(data=pki.p12_bytes(label), password=PASSWORD)
        return loaded[label]

    return get


@pytest.fixture(scope="session")
def document() -> bytes:
    """Three pages with two empty visible signature fields on the last one."""
    return add_signature_fields(make_document(), FIELDS)


@pytest.fixture(scope="session")
def softhsm_token(pki, tmp_path_factory):
    from signing.pki.softhsm import find_softhsm_library, provision_softhsm_token

    if find_softhsm_library() is None:
        pytest.skip("SoftHSM2 is not installed (Debian package softhsm2)")
    return provision_softhsm_token(
        directory=tmp_path_factory.mktemp("softhsm"),
        key_pem=(pki.directory / "keys" / "seal.key.pem").read_bytes(),
        cert_pem=pki.cert_path("seal").read_bytes(),
        pin=PIN,
        so_pin="654321",
    )


@pytest.fixture(scope="session")
def nss_db(pki, tmp_path_factory) -> Path:
    """An NSS database trusting the demo root, for pdfsig's certificate checks."""
    import shutil
    import subprocess

    if shutil.which("certutil") is None:
        pytest.skip("certutil (Debian package libnss3-tools) is not installed")
    directory = tmp_path_factory.mktemp("nssdb")
    for command in (
        ["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"],
        [
            "certutil",
            "-A",
            "-d",
            f"sql:{directory}",
            "-n",
            "delibre-demo-root",
            "-t",
            "CT,C,C",
            "-i",
            str(pki.trust_roots_path),
        ],
    ):
        subprocess.run(command, check=True, capture_output=True, timeout=60)
    return directory
