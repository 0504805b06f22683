"""Fixtures of the PES tests: a small RSA test PKI, samples, xmlsec1.

The PKI is made here with ``cryptography`` (not the project's demo PKI, built elsewhere):
a root, an intermediate CA, an ordonnateur certificate (nonRepudiation + digitalSignature),
an expired one, one not yet valid, one for encryption only, and a signer whose intermediate had
expired before it signed.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.utils import translation

from exports.pes.signers import PesSigner, signer_from_private_key

SAMPLES = Path(__file__).resolve().parent / "samples"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Commune de Délibre-Test, PKI"),
            x509.NameAttribute(NameOID.EMAIL_ADDRESS, "pki@delibre.invalid"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _usage(*, sign: bool, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=sign,
        key_encipherment=not sign and not ca,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _certificate(
    *,
    subject: str,
    key: rsa.RSAPrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: rsa.RSAPrivateKey,
    not_before: dt.datetime,
    not_after: dt.datetime,
    ca: bool,
    sign: bool = True,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.subject if issuer is not None else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(_usage(sign=sign and not ca, ca=ca), critical=True)
    )
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass
class Pki:
    root: x509.Certificate
    root_key: rsa.RSAPrivateKey
    root_pem: Path
    intermediate: x509.Certificate
    intermediate_key: rsa.RSAPrivateKey
    signer_key: rsa.RSAPrivateKey
    signer_cert: x509.Certificate
    expired_key: rsa.RSAPrivateKey
    expired_cert: x509.Certificate
    future_key: rsa.RSAPrivateKey
    future_cert: x509.Certificate
    encryption_key: rsa.RSAPrivateKey
    encryption_cert: x509.Certificate
    stale_chain_key: rsa.RSAPrivateKey
    stale_chain_cert: x509.Certificate
    stale_intermediate: x509.Certificate
    other_root: x509.Certificate
    other_root_pem: Path

    def signer(self, **kwargs) -> PesSigner:
        return signer_from_private_key(
            private_key=self.signer_key,
            certificate=self.signer_cert,
            chain=(self.intermediate,),
            **kwargs,
        )


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> Pki:
    day = dt.timedelta(days=1)
    root_key = _key()
    root = _certificate(
        subject="Délibre Test Root",
        key=root_key,
        issuer=None,
        issuer_key=root_key,
        not_before=NOW - 4000 * day,
        not_after=NOW + 4000 * day,
        ca=True,
    )
    intermediate_key = _key()
    intermediate = _certificate(
        subject="Délibre Test Signing CA",
        key=intermediate_key,
        issuer=root,
        issuer_key=root_key,
        not_before=NOW - 3000 * day,
        not_after=NOW + 3000 * day,
        ca=True,
    )

    def leaf(
        subject,
        not_before,
        not_after,
        *,
        sign=True,
        issuer=intermediate,
        issuer_key=intermediate_key,
    ):
        key = _key()
        return key, _certificate(
            subject=subject,
            key=key,
            issuer=issuer,
            issuer_key=issuer_key,
            not_before=not_before,
            not_after=not_after,
            ca=False,
            sign=sign,
        )

    signer_key, signer_cert = leaf("Jeanne Ordonnatrice", NOW - 30 * day, NOW + 700 * day)
    expired_key, expired_cert = leaf("Paul Ancien", NOW - 800 * day, NOW - 10 * day)
    future_key, future_cert = leaf("Futur Signataire", NOW + 10 * day, NOW + 800 * day)
    encryption_key, encryption_cert = leaf(
        "Chiffrement Seul", NOW - 30 * day, NOW + 700 * day, sign=False
    )
    stale_intermediate_key = _key()
    stale_intermediate = _certificate(
        subject="Délibre Old Signing CA",
        key=stale_intermediate_key,
        issuer=root,
        issuer_key=root_key,
        not_before=NOW - 3000 * day,
        not_after=NOW - 5 * day,
        ca=True,
    )
    stale_chain_key, stale_chain_cert = leaf(
        "Agent Délégué",
        NOW - 30 * day,
        NOW + 700 * day,
        issuer=stale_intermediate,
        issuer_key=stale_intermediate_key,
    )
    other_root_key = _key()
    other_root = _certificate(
        subject="Unrelated Root",
        key=other_root_key,
        issuer=None,
        issuer_key=other_root_key,
        not_before=NOW - 10 * day,
        not_after=NOW + 10 * day,
        ca=True,
    )
    folder = tmp_path_factory.mktemp("pki")
    root_pem = folder / "root.pem"
    root_pem.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    other_root_pem = folder / "other-root.pem"
    other_root_pem.write_bytes(other_root.public_bytes(serialization.Encoding.PEM))
    return Pki(
        root=root,
        root_key=root_key,
        root_pem=root_pem,
        intermediate=intermediate,
        intermediate_key=intermediate_key,
        signer_key=signer_key,
        signer_cert=signer_cert,
        expired_key=expired_key,
        expired_cert=expired_cert,
        future_key=future_key,
        future_cert=future_cert,
        encryption_key=encryption_key,
        encryption_cert=encryption_cert,
        stale_chain_key=stale_chain_key,
        stale_chain_cert=stale_chain_cert,
        stale_intermediate=stale_intermediate,
        other_root=other_root,
        other_root_pem=other_root_pem,
    )


@pytest.fixture(scope="session")
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"the PES samples are not available at {SAMPLES}")
    return SAMPLES


XMLSEC1 = shutil.which("xmlsec1")


def xmlsec1_verify(
    path: Path,
    index: int,
    *,
    trusted_pem: Path,
    xades_ns: str = "http://uri.etsi.org/01903/v1.1.1#",
) -> subprocess.CompletedProcess:
    """One xmlsec1 run for the index-th ds:Signature of the file (1-based)."""
    if XMLSEC1 is None:
        pytest.skip("xmlsec1 (Debian package xmlsec1) is not installed")
    return subprocess.run(
        [
            XMLSEC1,
            "--verify",
            "--trusted-pem",
            str(trusted_pem),
            "--id-attr:Id",
            "Bordereau",
            "--id-attr:Id",
            f"{xades_ns}:SignedProperties",
            "--node-xpath",
            f"(//*[local-name()='Signature'])[{index}]",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# Fixtures of the stored-flow tests (services, pages, API, circuits, commands).
from .fixtures import (  # noqa: E402 - after the library fixtures they use
    adjointe,
    at_signature,
    chef,
    commune,
    drop_dir,
    expired_p12,
    finance,
    finance_desk,
    imported_flow,
    ordonnateur,
    other_commune,
    pes_admin,
    pes_bytes,
    pes_circuit,
    pes_delegation,
    signed_flow,
    signer_p12,
    stranger,
    subsidies,
    treasurer,
)

__all__ = [
    "adjointe",
    "at_signature",
    "chef",
    "commune",
    "drop_dir",
    "expired_p12",
    "finance",
    "finance_desk",
    "imported_flow",
    "ordonnateur",
    "other_commune",
    "pes_admin",
    "pes_bytes",
    "pes_circuit",
    "pes_delegation",
    "signed_flow",
    "signer_p12",
    "stranger",
    "subsidies",
    "treasurer",
]
