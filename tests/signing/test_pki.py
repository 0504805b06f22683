import json
import urllib.parse
import urllib.request
from datetime import UTC, datetime

import pytest
from asn1crypto import crl as asn1_crl
from cryptography.hazmat.primitives import serialization

from signing.pki import (
    EXPIRED,
    NOT_YET_VALID,
    REVOKED,
    SEAL,
    UNTRUSTED,
    WRONG_KEY_USAGE,
    PkiError,
    PkiPerson,
    generate_pki,
    load_pki,
)
from signing.pki.__main__ import main
from tests.signing.conftest import PASSWORD


def _names(cert):
    return cert.subject.native


def test_generate_pki_issues_named_people_seal_and_bad_certificates(pki):
    assert [p.slug for p in pki.people] == ["marie-dupont", "jean-martin", "claire-petit"]
    assert _names(pki.cert("marie-dupont")) == {
        "country_name": "FR",
        "organization_name": "Commune de Démo",
        "title": "Maire",
        "common_name": "Marie DUPONT",
    }
    assert _names(pki.cert(SEAL))["common_name"] == "Commune de Démo (cachet serveur)"
    for label in ("marie-dupont", SEAL, EXPIRED, NOT_YET_VALID, REVOKED):
        assert pki.cert(label).key_usage_value.native == {"digital_signature", "non_repudiation"}
    assert pki.cert(WRONG_KEY_USAGE).key_usage_value.native == {"key_encipherment"}
    assert pki.cert(EXPIRED).not_valid_after == datetime(2025, 1, 1, tzinfo=UTC)
    assert pki.cert(NOT_YET_VALID).not_valid_before == datetime(2054, 1, 1, tzinfo=UTC)
    assert _names(pki.cert(UNTRUSTED)) != _names(pki.cert("marie-dupont"))
    assert [c.subject.native["common_name"] for c in pki.trust_roots] == [
        "Délibre Démo Autorité Racine"
    ]
    assert pki.cert(UNTRUSTED).issuer.native["common_name"] == "Autorité Racine Non Reconnue"


def test_generate_pki_urls_name_the_loopback_port(pki, pki_socket):
    port = pki_socket.getsockname()[1]
    assert pki.tsa_url == f"http://127.0.0.1:{port}/delibre/tsa/tsa"
    assert pki.ocsp_url == f"http://127.0.0.1:{port}/delibre/ocsp/intermediate"
    aia = pki.cert("marie-dupont").authority_information_access_value.native
    assert aia == [
        {"access_method": "ocsp", "access_location": pki.ocsp_url},
    ]


def test_generate_pki_again_reuses_keys_and_reissues_identical_certificates(
    pki, tmp_path, key_cache
):
    copy = generate_pki(
        directory=tmp_path / "again", password=PASSWORD, port=pki.port, key_cache=key_cache
    )
    for label in ("root", "intermediate", "marie-dupont", SEAL, REVOKED):
        assert copy.cert_path(label).read_bytes() == pki.cert_path(label).read_bytes()
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "again" / "certs").iterdir()}
    generate_pki(
        directory=tmp_path / "again", password=PASSWORD, port=pki.port, key_cache=key_cache
    )
    after = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "again" / "certs").iterdir()}
    assert after == before  # nothing rewritten when nothing changed


def test_generate_pki_takes_people_as_tuples(tmp_path, key_cache):
    pki = generate_pki(
        directory=tmp_path / "pki",
        password=PASSWORD,
        people=[("paul-durand", "Paul DURAND"), ("lea-roux", "Léa ROUX", "Adjointe")],
        key_cache=key_cache,
    )
    assert pki.people == (
        PkiPerson("paul-durand", "Paul DURAND", ""),
        PkiPerson("lea-roux", "Léa ROUX", "Adjointe"),
    )
    assert _names(pki.cert("lea-roux"))["common_name"] == "Léa ROUX"
    assert pki.p12_path("paul-durand").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "pki" / "keys" / "root.key.pem").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"people": [("seal", "X")]}, "Person slug 'seal' must match"),
        ({"people": [("Bad Slug", "X")]}, "Person slug 'Bad Slug' must match"),
        ({"host": "0.0.0.0"}, "The demo PKI is served on loopback only, not on '0.0.0.0'."),
        ({"password": ""}, "The PKCS#12 files need a password."),
    ],
)
def test_generate_pki_refuses_bad_descriptions(tmp_path, kwargs, message):
    arguments = {"directory": tmp_path / "pki", "password": PASSWORD, **kwargs}
    with pytest.raises(PkiError) as refused:
        generate_pki(**arguments)
    assert str(refused.value).startswith(message)
    assert not (tmp_path / "pki" / "pki.json").exists()


def test_load_pki_refuses_an_empty_directory(tmp_path):
    with pytest.raises(PkiError) as refused:
        load_pki(directory=tmp_path)
    assert str(refused.value) == (
        f"No demo PKI in {tmp_path}: run `python -m signing.pki generate --dir {tmp_path}`."
    )


def test_pki_server_serves_the_crl_with_the_revoked_certificate(pki, pki_server):
    with urllib.request.urlopen(pki.crl_urls["intermediate"], timeout=5) as response:
        assert response.headers["Content-Type"] == "application/pkix-crl"
        crl = asn1_crl.CertificateList.load(response.read())
    revoked = [
        entry["user_certificate"].native for entry in crl["tbs_cert_list"]["revoked_certificates"]
    ]
    assert revoked == [pki.cert(REVOKED).serial_number]


def test_pki_command_generates_and_shows(tmp_path, capsys, key_cache):
    arguments = ["--dir", str(tmp_path / "cli"), "--port", "9123", "--password", PASSWORD]
    arguments += ["--person", "anne-bon:Anne BON:Maire", "--key-cache", str(key_cache)]
    assert main(["generate", *arguments]) == 0
    capsys.readouterr()
    assert main(["show", "--dir", str(tmp_path / "cli")]) == 0
    manifest = json.loads(capsys.readouterr().out)
    assert (manifest["port"], manifest["people"]) == (
        9123,
        [{"slug": "anne-bon", "common_name": "Anne BON", "title": "Maire"}],
    )
    assert main(["show", "--dir", str(tmp_path / "none")]) == 2


@pytest.mark.parametrize(("label", "status"), [("marie-dupont", "GOOD"), (REVOKED, "REVOKED")])
def test_pki_server_answers_ocsp_by_get_and_post(pki, pki_server, label, status):
    import base64

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509 import ocsp

    def load(name):
        return x509.load_pem_x509_certificate(pki.cert_path(name).read_bytes())

    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(load(label), load("intermediate"), hashes.SHA1())
        .build()
        .public_bytes(serialization.Encoding.DER)
    )
    get_url = f"{pki.ocsp_url}/{urllib.parse.quote(base64.b64encode(request).decode(), safe='')}"
    post = urllib.request.Request(
        pki.ocsp_url, data=request, headers={"Content-Type": "application/ocsp-request"}
    )
    for http_request in (get_url, post):
        with urllib.request.urlopen(http_request, timeout=5) as response:
            answer = ocsp.load_der_ocsp_response(response.read())
        assert (answer.response_status.name, answer.certificate_status.name) == (
            "SUCCESSFUL",
            status,
        )
