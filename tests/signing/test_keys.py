from datetime import UTC, datetime
from pathlib import Path

import pytest

from signing import keys
from signing.exceptions import (
    CertificateProblem,
    CertificateRefused,
    KeyUnavailable,
    TrustServiceUnavailable,
    WrongPassword,
)
from signing.pki import EXPIRED, NOT_YET_VALID, REVOKED, SEAL, UNTRUSTED, WRONG_KEY_USAGE
from signing.trust import RevocationPolicy, TrustSettings
from tests.signing.conftest import PASSWORD, PIN


def test_load_pkcs12_signer_keeps_the_parsed_key(pki):
    signer = keys.load_pkcs12_signer(data=pki.p12_bytes("marie-dupont"), password=PASSWORD)
    assert isinstance(signer, keys.CachedKeySigner)
    assert keys.common_name(signer.signing_cert) == "Marie DUPONT"
    # the PKCS#12 carries the chain: intermediate and root are ready to embed
    assert sorted(c.subject.native["common_name"] for c in signer.cert_registry) == [
        "Délibre Démo Autorité Racine",
        "Délibre Démo Autorité de Signature",
    ]


def test_load_pkcs12_signer_refuses_a_wrong_password(pki):
    with pytest.raises(WrongPassword) as refused:
        keys.load_pkcs12_signer(data=pki.p12_bytes("marie-dupont"), password="mauvais")
    assert (refused.value.code, str(refused.value)) == (
        "wrong_password",
        "Wrong password for this certificate file: type it again. It is the password given with the certificate, not the one you log in with.",
    )


@pytest.mark.parametrize("data", [b"", b"not a PKCS#12 at all", b"%PDF-1.7\n"])
def test_load_pkcs12_signer_refuses_what_is_not_a_pkcs12(data):
    with pytest.raises(KeyUnavailable) as refused:
        keys.load_pkcs12_signer(data=data, password=PASSWORD)
    assert type(refused.value) is KeyUnavailable
    assert str(refused.value) == "This file is not a PKCS#12 certificate file (.p12 or .pfx)."


def test_cached_key_signer_signs_like_pyhanko(pki, signers):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.x509 import load_der_x509_certificate

    signer = signers("marie-dupont")
    signature = signer.sign_raw(b"acte 2026-042", "sha256")
    public_key = load_der_x509_certificate(signer.signing_cert.dump()).public_key()
    public_key.verify(signature, b"acte 2026-042", padding.PKCS1v15(), hashes.SHA256())
    assert len(signature) == 256


def test_check_signing_certificate_accepts_a_valid_signer(pki_server, signers, trust):
    signer = signers("marie-dupont")
    check = keys.check_signing_certificate(
        cert=signer.signing_cert, intermediates=signer.cert_registry, trust=trust
    )
    assert (check.common_name, check.serial) == ("Marie DUPONT", signer.signing_cert.serial_number)
    assert check.chain == (
        "Common Name: Délibre Démo Autorité Racine",
        "Common Name: Délibre Démo Autorité de Signature",
        "Common Name: Marie DUPONT, Title: Maire, Organization: Commune de Démo, Country: FR",
    )


REFUSALS = [
    (
        EXPIRED,
        CertificateProblem.EXPIRED,
        "The certificate of Certificat Expiré expired on 2025-01-01: it can no longer sign. "
        "Import your new certificate under Signatures > My certificates.",
    ),
    (
        NOT_YET_VALID,
        CertificateProblem.NOT_YET_VALID,
        "The certificate of Certificat Pas Encore Valide is not valid before 2054-01-01.",
    ),
    (
        REVOKED,
        CertificateProblem.REVOKED,
        "The certificate of Certificat Révoqué was revoked on 2025-06-01: it can no longer sign. "
        "Import your new certificate under Signatures > My certificates.",
    ),
    (
        UNTRUSTED,
        CertificateProblem.UNTRUSTED,
        "The certificate of Certificat Non Reconnu was not issued by a certification authority "
        "trusted by this platform.",
    ),
    (
        WRONG_KEY_USAGE,
        CertificateProblem.WRONG_KEY_USAGE,
        "The certificate of Certificat Mauvais Usage is not meant for electronic signatures: it "
        "lacks the non-repudiation and digital signature key usages.",
    ),
]


@pytest.mark.parametrize(("label", "problem", "message"), REFUSALS)
def test_check_signing_certificate_refuses_bad_certificates(
    pki_server, signers, trust, label, problem, message
):
    signer = signers(label)
    with pytest.raises(CertificateRefused) as refused:
        keys.check_signing_certificate(
            cert=signer.signing_cert, intermediates=signer.cert_registry, trust=trust
        )
    assert (refused.value.problem, refused.value.code, refused.value.kind) == (
        problem,
        problem.value,
        "invalid",
    )
    assert str(refused.value) == message


def test_check_signing_certificate_at_another_moment_uses_that_date(signers, trust):
    signer = signers("marie-dupont")
    with pytest.raises(CertificateRefused) as refused:
        keys.check_signing_certificate(
            cert=signer.signing_cert,
            intermediates=signer.cert_registry,
            trust=trust,
            moment=datetime(2050, 6, 1, tzinfo=UTC),
        )
    assert refused.value.problem == CertificateProblem.EXPIRED
    assert str(refused.value) == (
        "The certificate of Marie DUPONT expired on 2049-01-01: it can no longer sign. "
        "Import your new certificate under Signatures > My certificates."
    )


def test_check_signing_certificate_reports_revocation_service_down(offline_pki):
    from signing.keys import load_pkcs12_signer

    signer = load_pkcs12_signer(data=offline_pki.p12_bytes("marie-dupont"), password=PASSWORD)
    trust = TrustSettings(trust_roots=tuple(offline_pki.trust_roots), fetch_timeout=2)
    with pytest.raises(TrustServiceUnavailable) as refused:
        keys.check_signing_certificate(
            cert=signer.signing_cert, intermediates=signer.cert_registry, trust=trust
        )
    assert (refused.value.kind, refused.value.code) == ("unavailable", "trust_service_unavailable")
    assert str(refused.value) == (
        "The revocation status of the certificate of Marie DUPONT cannot be checked now: the "
        "OCSP or CRL service does not answer. Nothing was signed; try again later."
    )
    # in soft-fail mode the same check passes: revocation is checked when it can be
    soft = TrustSettings(
        trust_roots=trust.trust_roots, fetch_timeout=2, revocation=RevocationPolicy.SOFT_FAIL
    )
    check = keys.check_signing_certificate(
        cert=signer.signing_cert, intermediates=signer.cert_registry, trust=soft
    )
    assert check.common_name == "Marie DUPONT"


def test_get_server_seal_loads_once_per_process(pki):
    settings = keys.SealSettings(pkcs12_path=pki.p12_path(SEAL), pkcs12_password=PASSWORD)
    keys.clear_seal_cache()
    try:
        first = keys.get_server_seal(settings=settings)
        again = keys.get_server_seal(
            settings=keys.SealSettings(pkcs12_path=pki.p12_path(SEAL), pkcs12_password=PASSWORD)
        )
        assert again is first
        assert keys.common_name(first.signing_cert) == "Commune de Démo (cachet serveur)"
    finally:
        keys.clear_seal_cache()


def test_get_server_seal_refuses_a_missing_file(tmp_path):
    settings = keys.SealSettings(pkcs12_path=tmp_path / "absent.p12", pkcs12_password="x")
    with pytest.raises(KeyUnavailable) as refused:
        keys.get_server_seal(settings=settings)
    assert str(refused.value) == "The server seal file cannot be read (No such file or directory)."


def test_seal_settings_from_env_reads_pkcs12_or_pkcs11():
    assert keys.SealSettings.from_env({}) is None
    assert keys.SealSettings.from_env(
        {"DELIBRE_SEAL_PKCS12": "/etc/delibre/seal.p12", "DELIBRE_SEAL_PASSWORD": "s"}
    ) == keys.SealSettings(pkcs12_path=Path("/etc/delibre/seal.p12"), pkcs12_password="s")
    from_env = keys.SealSettings.from_env(
        {
            "DELIBRE_SEAL_PKCS11_LIBRARY": "/usr/lib/softhsm/libsofthsm2.so",
            "DELIBRE_SEAL_PKCS11_TOKEN": "delibre-seal",
            "DELIBRE_SEAL_PKCS11_KEY": "seal",
            "DELIBRE_SEAL_PKCS11_PIN": "1234",
        }
    )
    assert from_env.pkcs11 == keys.Pkcs11Settings(
        library="/usr/lib/softhsm/libsofthsm2.so",
        token_label="delibre-seal",
        key_label="seal",
        pin="1234",
    )
    assert "1234" not in repr(from_env)


def _pkcs11_settings(token, **overrides):
    values = {
        "library": token.library,
        "token_label": token.token_label,
        "key_label": token.object_label,
        "pin": token.pin,
    }
    values.update(overrides)
    return keys.Pkcs11Settings(**values)


def test_open_pkcs11_signer_refuses_a_wrong_pin(softhsm_token):
    keys.clear_seal_cache()  # no session of ours logged in to the token
    with pytest.raises(WrongPassword) as refused:
        keys.open_pkcs11_signer(settings=_pkcs11_settings(softhsm_token, pin="000000"))
    assert (
        str(refused.value)
        == "Wrong PIN for the signing token: type it again; several wrong PINs in a row lock the token."
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"token_label": "absent"},
            "The signing token or its key cannot be opened (No token matching criteria "
            "TokenCriteria(label='absent', serial=None) found).",
        ),
        (
            {"key_label": "absent"},
            "The signing token or its key cannot be opened (Could not find certificate with label "
            "'absent'.).",
        ),
    ],
)
def test_open_pkcs11_signer_refuses_unknown_token_or_key(softhsm_token, overrides, message):
    keys.clear_seal_cache()
    with pytest.raises(KeyUnavailable) as refused:
        keys.open_pkcs11_signer(settings=_pkcs11_settings(softhsm_token, **overrides))
    assert str(refused.value) == message


def test_get_server_seal_opens_the_softhsm_token_once(softhsm_token, pki):
    keys.clear_seal_cache()
    settings = keys.SealSettings(pkcs11=_pkcs11_settings(softhsm_token))
    try:
        seal = keys.get_server_seal(settings=settings)
        assert keys.get_server_seal(settings=settings) is seal
        assert seal.signing_cert.dump() == pki.cert(SEAL).dump()
    finally:
        keys.clear_seal_cache()


def test_pkcs11_pin_is_checked_again_after_the_seal_is_released(softhsm_token):
    keys.clear_seal_cache()
    seal = keys.get_server_seal(settings=keys.SealSettings(pkcs11=_pkcs11_settings(softhsm_token)))
    assert keys.common_name(seal.signing_cert) == "Commune de Démo (cachet serveur)"
    with pytest.raises(KeyUnavailable) as busy:
        keys.open_pkcs11_signer(settings=_pkcs11_settings(softhsm_token, pin=PIN))
    assert str(busy.value) == (
        "The signing token is already open in this process; use the loaded server seal "
        "instead of opening it again."
    )
    keys.clear_seal_cache()
    with pytest.raises(WrongPassword):
        keys.open_pkcs11_signer(settings=_pkcs11_settings(softhsm_token, pin="000000"))
