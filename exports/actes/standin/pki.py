"""A throw-away TLS PKI for the stand-in S2LOW server (tests and demonstrations only).

One CA signs a server certificate (``localhost`` and 127.0.0.1) and a client certificate, the
one a collectivité would hold; a second, unrelated CA signs a "stranger" client certificate the
stand-in must refuse. Keys are unencrypted EC P-256 in PEM files; certificates last 30 days.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class TestPki:
    """Paths of the PEM files written by ``make_test_pki``."""

    __test__ = False  # not a pytest test class despite its name

    ca: str
    server_cert: str
    server_key: str
    client_cert: str
    client_key: str
    stranger_cert: str
    stranger_key: str


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: str,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool = False,
    usage: x509.ObjectIdentifier | None = None,
    server: bool = False,
) -> x509.Certificate:
    now = dt.datetime.now(tz=dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    if usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if server:
        names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(
    directory: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> tuple[str, str]:
    cert_path, key_path = directory / f"{stem}.pem", directory / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


def make_test_pki(*, directory: Path) -> TestPki:
    """Write ca.pem, server.pem/.key, client.pem/.key, stranger.pem/.key into ``directory``.

    Side effect: creates those files (the directory must exist). Never use them in production.
    """
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_path, _ = _write(
        directory,
        "ca",
        _certificate("Test S2LOW CA", ca_key, "Test S2LOW CA", ca_key, ca=True),
        ca_key,
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = _certificate(
        "localhost",
        server_key,
        "Test S2LOW CA",
        ca_key,
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
        server=True,
    )
    server_cert, server_key_path = _write(directory, "server", server, server_key)
    client_key = ec.generate_private_key(ec.SECP256R1())
    client = _certificate(
        "Mairie de test", client_key, "Test S2LOW CA", ca_key, usage=ExtendedKeyUsageOID.CLIENT_AUTH
    )
    client_cert, client_key_path = _write(directory, "client", client, client_key)
    other_ca_key = ec.generate_private_key(ec.SECP256R1())
    stranger_key = ec.generate_private_key(ec.SECP256R1())
    stranger = _certificate(
        "Intrus", stranger_key, "Other CA", other_ca_key, usage=ExtendedKeyUsageOID.CLIENT_AUTH
    )
    stranger_cert, stranger_key_path = _write(directory, "stranger", stranger, stranger_key)
    return TestPki(
        ca=ca_path,
        server_cert=server_cert,
        server_key=server_key_path,
        client_cert=client_cert,
        client_key=client_key_path,
        stranger_cert=stranger_cert,
        stranger_key=stranger_key_path,
    )
