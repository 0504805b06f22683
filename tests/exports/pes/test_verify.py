"""Our own verifier: the per-bordereau report a treasury user gets."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
from cryptography.hazmat.primitives import serialization

from exports.pes import (
    ProductionPlace,
    build_pes_aller,
    load_trust_roots,
    sign_flow,
    signer_from_private_key,
    verify_flow,
)

from .conftest import NOW
from .flows import make_flow

SIGNING_TIME = NOW - dt.timedelta(hours=2)


@pytest.fixture(scope="module")
def signed(pki) -> bytes:
    return sign_flow(
        build_pes_aller(flow=make_flow(depense=1, recette=False)),
        signer=pki.signer(),
        claimed_role="Maire",
        place=ProductionPlace(city="Toulouse", postal_code="31000", country="France"),
        signing_time=SIGNING_TIME,
    )


def _problems(report):
    return [[p.code for p in b.problems] for b in report.bordereaux]


def test_verify_flow_reports_who_signed_when_and_how(signed, pki):
    report = verify_flow(signed, trust_roots=load_trust_roots(pki.root_pem.read_bytes()))

    [bordereau] = report.bordereaux
    assert report.valid is True
    assert (bordereau.kind, bordereau.element_id, bordereau.exercice, bordereau.id_bord) == (
        "depense",
        "BORD_DEP_2025_10",
        "2025",
        "10",
    )
    assert (bordereau.signed, bordereau.valid, bordereau.problems, bordereau.warnings) == (
        True,
        True,
        [],
        [],
    )
    assert bordereau.signer_common_name == "Jeanne Ordonnatrice"
    assert bordereau.signer_subject == pki.signer_cert.subject.rfc4514_string()
    assert bordereau.certificate_serial == pki.signer_cert.serial_number
    assert bordereau.certificate_issuer == pki.intermediate.subject.rfc4514_string()
    assert (bordereau.certificate_not_before, bordereau.certificate_not_after) == (
        pki.signer_cert.not_valid_before_utc,
        pki.signer_cert.not_valid_after_utc,
    )
    assert bordereau.signing_time == SIGNING_TIME
    assert (bordereau.policy_identifier, bordereau.policy_description) == (
        "urn:oid:1.2.250.1.131.1.5.18.21.1.7",
        "Politique de signature Helios de la DGFiP",
    )
    assert bordereau.claimed_role == "Maire"
    assert bordereau.production_place == ProductionPlace("Toulouse", "31000", "France")
    assert (bordereau.digest_algorithm, bordereau.signature_algorithm) == ("sha256", "rsa-sha256")
    assert (bordereau.chain_checked, bordereau.chain_valid) == (True, True)
    assert bordereau.chain_subjects == [
        pki.signer_cert.subject.rfc4514_string(),
        pki.intermediate.subject.rfc4514_string(),
        pki.root.subject.rfc4514_string(),
    ]


def test_verify_flow_accepts_the_real_berger_levrault_signature(samples):
    report = verify_flow(samples / "stela/PESALR2_25060187900027_190328_001.xml")

    [bordereau] = report.bordereaux
    assert (bordereau.valid, bordereau.signer_common_name, bordereau.claimed_role) == (
        True,
        "THOMAS Celine",
        "Maire",
    )
    assert bordereau.signing_time == dt.datetime(2019, 3, 28, 9, 9, 14, 187000, tzinfo=dt.UTC)
    assert bordereau.production_place == ProductionPlace("NICE", "06000", "FRANCE")
    assert [w.code for w in bordereau.warnings] == ["SIG_PROFILE", "SIG_KEY_USAGE"]
    assert bordereau.warnings[0].message == (
        "The SignedProperties reference has no Type attribute."
    )
    assert bordereau.chain_checked is False


def test_verify_flow_accepts_the_real_libersign_signature(samples):
    # XAdES 1.2.2, SHA-1 certificate digest, policy hash written without its "=" padding.
    report = verify_flow(samples / "pastell/fichier_signe.xml")

    assert [
        (b.element_id, b.valid, b.signer_common_name, b.claimed_role, b.warnings)
        for b in report.bordereaux
    ] == [("BORD822933", True, "DEMONSTRATION_SUPER", "Ordonnateur", [])]


def test_verify_flow_reports_unsigned_bordereaux():
    report = verify_flow(build_pes_aller(flow=make_flow()))

    assert report.valid is False
    assert [(b.signed, b.valid) for b in report.bordereaux] == [(False, False)] * 3
    assert _problems(report) == [["SIG_MISSING"]] * 3
    assert report.bordereaux[0].problems[0].message == "The bordereau is not signed."


def test_verify_flow_refuses_untrusted_chains(signed, pki):
    report = verify_flow(signed, trust_roots=[pki.other_root])

    assert (report.bordereaux[0].chain_valid, _problems(report)) == (False, [["SIG_CHAIN"]])
    assert report.bordereaux[0].problems[0].message == (
        "The certificate does not chain to a trusted authority."
    )


def test_verify_flow_checks_every_certificate_of_the_chain_at_the_signing_time(pki):
    signer = signer_from_private_key(
        private_key=pki.stale_chain_key,
        certificate=pki.stale_chain_cert,
        chain=(pki.stale_intermediate,),
    )
    signed = sign_flow(build_pes_aller(flow=make_flow(depense=1, recette=False)), signer=signer)

    report = verify_flow(signed, trust_roots=[pki.root])

    assert _problems(report) == [["SIG_CHAIN"]]
    assert report.bordereaux[0].problems[0].message == (
        f"The certificate of {pki.stale_intermediate.subject.rfc4514_string()} was not valid at "
        "the signing time."
    )


def test_verify_flow_detects_a_certificate_expired_at_signing_time(pki, monkeypatch):
    # The signer refuses such a certificate; switch its check off to forge the signature.
    monkeypatch.setattr("exports.pes.xades.check_certificate_usable", lambda *a, **k: None)
    signer = signer_from_private_key(private_key=pki.expired_key, certificate=pki.expired_cert)
    signed = sign_flow(build_pes_aller(flow=make_flow(depense=1, recette=False)), signer=signer)

    report = verify_flow(signed)

    assert _problems(report) == [["SIG_CERT_EXPIRED"]]


def test_verify_flow_detects_changed_signed_properties(signed):
    tampered = signed.replace(b"<xad:ClaimedRole>Maire<", b"<xad:ClaimedRole>Ordonnateur<")

    report = verify_flow(tampered)

    assert _problems(report) == [["SIG_PROPERTIES_DIGEST"]]
    assert report.bordereaux[0].claimed_role == "Ordonnateur"


def test_verify_flow_detects_a_changed_signature_value(signed):
    value = re.search(rb'_SV">([^<]+)<', signed).group(1)
    forged = base64.b64encode(bytes(len(base64.b64decode(value))))

    report = verify_flow(signed.replace(value, forged))

    assert _problems(report) == [["SIG_VALUE"]]
    assert report.bordereaux[0].problems[0].message == (
        "The signature value does not match the certificate's key."
    )


def test_verify_flow_detects_a_swapped_certificate(signed, pki):
    original = base64.b64encode(pki.signer_cert.public_bytes(serialization.Encoding.DER))
    other = base64.b64encode(pki.expired_cert.public_bytes(serialization.Encoding.DER))

    report = verify_flow(signed.replace(original, other))

    assert _problems(report) == [["SIG_VALUE", "SIG_CERT_DIGEST", "SIG_CERT_EXPIRED"]]


def test_verify_flow_requires_a_z_signing_time(signed):
    text = SIGNING_TIME.strftime("%Y-%m-%dT%H:%M:%S").encode()

    report = verify_flow(signed.replace(text + b"Z<", text + b"+00:00<"))

    assert _problems(report) == [["SIG_PROPERTIES_DIGEST", "SIG_TIME"]]


def test_verify_flow_requires_the_hélios_policy(signed):
    tampered = signed.replace(b"urn:oid:1.2.250.1.131.1.5.18.21.1.7", b"urn:oid:1.2.3.4")

    report = verify_flow(tampered)

    assert _problems(report) == [["SIG_PROPERTIES_DIGEST", "SIG_POLICY"]]
    assert report.bordereaux[0].problems[1].message == (
        "The signature policy urn:oid:1.2.3.4 is not the DGFiP Hélios policy."
    )
