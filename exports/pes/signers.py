"""Signing keys for PES signatures, and the checks a certificate must pass before it signs.

A key is only a callable, ``raw_sign(data) -> signature`` (RSA PKCS#1 v1.5 over the hash of
``data``): :func:`signer_from_private_key` / :func:`signer_from_pkcs12` for a key in memory,
:func:`signer_from_pkcs11_key` for a token or HSM (tested with SoftHSM2). The key is parsed
once, not per signature (the notes measured 60 ms a signature when it is re-parsed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.utils.translation import gettext as _

from .exceptions import PesCertificateRefused, PesSignatureError

SignatureName = Literal["rsa-sha256", "rsa-sha1"]

HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "rsa-sha1": hashes.SHA1,
    "rsa-sha256": hashes.SHA256,
    "rsa-sha512": hashes.SHA512,
}


@dataclass(frozen=True)
class PesSigner:
    """A signing key seen as ``raw_sign(data) -> signature bytes``: RSA PKCS#1 v1.5 over the
    ``signature_algorithm`` hash of ``data`` (the canonical SignedInfo)."""

    certificate: x509.Certificate
    raw_sign: Callable[[bytes], bytes]
    chain: Sequence[x509.Certificate] = ()
    signature_algorithm: SignatureName = "rsa-sha256"


def signer_from_private_key(
    *,
    private_key: rsa.RSAPrivateKey,
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate] = (),
    signature_algorithm: SignatureName = "rsa-sha256",
) -> PesSigner:
    """A :class:`PesSigner` over an RSA key held in memory (e.g. from a PKCS#12)."""
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise PesSignatureError(_("Hélios signatures need an RSA key."))
    public_key = certificate.public_key()
    if (
        not isinstance(public_key, rsa.RSAPublicKey)
        or private_key.public_key().public_numbers() != public_key.public_numbers()
    ):
        raise PesSignatureError(_("The private key does not match the certificate."))
    algorithm = HASHES[signature_algorithm]()

    def raw_sign(data: bytes) -> bytes:
        return private_key.sign(data, padding.PKCS1v15(), algorithm)

    return PesSigner(
        certificate=certificate,
        raw_sign=raw_sign,
        chain=tuple(chain),
        signature_algorithm=signature_algorithm,
    )


def signer_from_pkcs12(
    *, data: bytes, password: str | bytes | None, signature_algorithm: SignatureName = "rsa-sha256"
) -> PesSigner:
    """Open a PKCS#12 held in memory. The password is not kept. No side effect."""
    from cryptography.hazmat.primitives.serialization import pkcs12

    secret = password.encode() if isinstance(password, str) else password
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(data, secret or None)
    except ValueError as exc:
        raise PesSignatureError(
            _(
                "This certificate file cannot be opened (wrong password or not a PKCS#12): type "
                "the password again, or choose the .p12 or .pfx file of your certificate."
            )
        ) from exc
    if key is None or certificate is None or not isinstance(key, rsa.RSAPrivateKey):
        raise PesSignatureError(
            _("This certificate file does not hold an RSA key and its certificate.")
        )
    return signer_from_private_key(
        private_key=key,
        certificate=certificate,
        chain=chain,
        signature_algorithm=signature_algorithm,
    )


def signer_from_pkcs11_key(
    *,
    key: object,
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate] = (),
    signature_algorithm: SignatureName = "rsa-sha256",
) -> PesSigner:
    """A :class:`PesSigner` over a python-pkcs11 private key object (token, HSM, SoftHSM2).

    The token hashes and signs (CKM_SHA256_RSA_PKCS); the key never leaves it.
    """
    from pkcs11 import Mechanism

    mechanism = {
        "rsa-sha256": Mechanism.SHA256_RSA_PKCS,
        "rsa-sha1": Mechanism.SHA1_RSA_PKCS,
    }[signature_algorithm]

    def raw_sign(data: bytes) -> bytes:
        return bytes(key.sign(data, mechanism=mechanism))  # type: ignore[attr-defined]

    return PesSigner(
        certificate=certificate,
        raw_sign=raw_sign,
        chain=tuple(chain),
        signature_algorithm=signature_algorithm,
    )


# --- names and certificates -------------------------------------------------------------------

_RFC2253_KEYWORDS = {
    "2.5.4.3": "CN",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.6": "C",
    "2.5.4.9": "STREET",
    "0.9.2342.19200300.100.1.25": "DC",
    "0.9.2342.19200300.100.1.1": "UID",
}


def _escape_rfc2253(value: str) -> str:
    out = []
    for index, char in enumerate(value):
        if (
            char in ',+"\\<>;'
            or (index == 0 and char in "# ")
            or (index == len(value) - 1 and char == " ")
        ):
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def rfc2253_name(name: x509.Name) -> str:
    """The distinguished name as Java's ``X500Principal.getName(RFC2253)`` writes it (what
    xemelios-based Hélios verifiers compare): most specific RDN first, the RFC 2253 keywords,
    any other attribute as ``OID=#<DER hex>``."""
    from asn1crypto import x509 as asn1_x509

    parsed = asn1_x509.Name.load(name.public_bytes())
    rdns = []
    for rdn in reversed(list(parsed.chosen)):
        parts = []
        for attribute in rdn:
            oid = attribute["type"].dotted
            keyword = _RFC2253_KEYWORDS.get(oid)
            if keyword is None:
                parts.append(f"{oid}=#{attribute['value'].dump().hex()}")
            else:
                parts.append(f"{keyword}={_escape_rfc2253(str(attribute['value'].native))}")
        rdns.append("+".join(parts))
    return ",".join(rdns)


def check_certificate_usable(certificate: x509.Certificate, *, at: datetime) -> None:
    """Refuse a certificate that is expired or not yet valid at ``at``, or not meant for
    signatures (key usage without digitalSignature or nonRepudiation), or not RSA."""
    subject = certificate.subject.rfc4514_string()
    if at > certificate.not_valid_after_utc:
        raise PesCertificateRefused(
            _(
                "The certificate of %(subject)s expired on %(date)s; it cannot sign. Sign with "
                "the valid certificate of the ordonnateur or of a delegate."
            )
            % {"subject": subject, "date": certificate.not_valid_after_utc.date().isoformat()}
        )
    if at < certificate.not_valid_before_utc:
        raise PesCertificateRefused(
            _("The certificate of %(subject)s is only valid from %(date)s.")
            % {"subject": subject, "date": certificate.not_valid_before_utc.date().isoformat()}
        )
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and not (usage.digital_signature or usage.content_commitment):
        raise PesCertificateRefused(
            _("The certificate of %(subject)s is not meant for signing (key usage).")
            % {"subject": subject}
        )
    if not isinstance(certificate.public_key(), rsa.RSAPublicKey):
        raise PesCertificateRefused(_("Hélios signatures need an RSA certificate."))
