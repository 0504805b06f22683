"""A pyHanko ``SimpleSigner`` that parses its private key once.

Kept apart from :mod:`signing.keys` because defining the subclass imports pyHanko (~0.4 s),
which :mod:`signing.keys` only does when a key is actually loaded.

Why: ``SimpleSigner.sign_raw`` calls ``load_der_private_key`` for every raw signature, and
OpenSSL re-validates the RSA key each time (~50 ms for RSA-2048, twice per PDF signature
with the size-estimating dry run): notes/signing.md §5 measured ~150 ms per signature against
~28 ms with the key kept. The key kept here was validated once, when the PKCS#12 was opened.
"""

from __future__ import annotations

from typing import Any

from asn1crypto import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko.keys.internal import translate_pyca_cryptography_key_to_asn1
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import CertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash, process_pss_params


class CachedKeySigner(signers.SimpleSigner):
    """SimpleSigner holding a parsed ``cryptography`` private key (RSA or EC)."""

    def __init__(
        self,
        *,
        signing_cert: x509.Certificate,
        private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
        cert_registry: CertificateStore,
    ):
        super().__init__(
            signing_cert=signing_cert,
            signing_key=translate_pyca_cryptography_key_to_asn1(private_key),
            cert_registry=cert_registry,
        )
        self._private_key = private_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism_spec = self.get_signature_mechanism_for_digest(digest_algorithm)
        try:
            mechanism = mechanism_spec.signature_algo
        except ValueError:  # an algorithm asn1crypto cannot name: let pyHanko handle it
            return super().sign_raw(data, digest_algorithm)
        key: Any = self._private_key
        if mechanism == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
        if mechanism == "rsassa_pss" and isinstance(key, rsa.RSAPrivateKey):
            pss_padding, hash_algo = process_pss_params(mechanism_spec["parameters"])
            return key.sign(data, pss_padding, hash_algo)
        if mechanism == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
            ec_hash: hashes.HashAlgorithm = get_pyca_cryptography_hash(digest_algorithm)
            return key.sign(data, ec.ECDSA(ec_hash))
        # Anything unusual (DSA, EdDSA, ML-DSA): pyHanko's own, slower, path.
        return super().sign_raw(data, digest_algorithm)
