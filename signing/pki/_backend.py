"""A faster crypto backend for certomancer, for our own demo keys only.

certomancer parses (and OpenSSL re-validates) an RSA private key every time it loads one and
every time it signs an OCSP response, a CRL or a timestamp: ~50 ms each, which would make the
PKI slow to generate (14 keys) and the TSA slower than a whole B-T signature should be. Its
crypto backend is a module-level hook meant to be swapped. The keys it handles here are the
demo keys this package generated itself, so skipping OpenSSL's RSA consistency check
(``unsafe_skip_rsa_key_validation``) is safe; parsed keys are kept by their DER encoding.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()


def install_fast_backend() -> None:
    """Side effect: replaces ``certomancer.crypto_utils.CRYPTO_BACKEND`` once per process."""
    from asn1crypto import keys as asn1_keys
    from certomancer import crypto_utils
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    with _lock:
        if getattr(crypto_utils.CRYPTO_BACKEND, "delibre_fast", False):
            return

        class _FastBackend(crypto_utils.PycaCryptographyBackend):
            delibre_fast = True

            def __init__(self) -> None:
                self._keys: dict[bytes, Any] = {}
                self._keys_lock = threading.Lock()

            def _parsed(self, der: bytes) -> Any:
                with self._keys_lock:
                    key = self._keys.get(der)
                    if key is None:
                        key = serialization.load_der_private_key(
                            der, password=None, unsafe_skip_rsa_key_validation=True
                        )
                        self._keys[der] = key
                    return key

            def load_private_key(self, key_bytes: bytes, password: bytes | None) -> Any:
                loader = (
                    serialization.load_pem_private_key
                    if key_bytes.lstrip().startswith(b"-----")
                    else serialization.load_der_private_key
                )
                key = loader(key_bytes, password=password, unsafe_skip_rsa_key_validation=True)
                der = key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
                with self._keys_lock:
                    self._keys.setdefault(der, key)
                public = key.public_key().public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
                )
                return asn1_keys.PrivateKeyInfo.load(der), asn1_keys.PublicKeyInfo.load(public)

            def generic_sign(self, private_key: Any, tbs_bytes: bytes, sd_algo: Any) -> bytes:
                if sd_algo.signature_algo != "rsassa_pkcs1v15":
                    return super().generic_sign(private_key, tbs_bytes, sd_algo)
                key = self._parsed(private_key.dump())
                assert isinstance(key, rsa.RSAPrivateKey)
                hash_algo = getattr(hashes, sd_algo.hash_algo.upper())()
                return key.sign(tbs_bytes, padding.PKCS1v15(), hash_algo)

        crypto_utils.CRYPTO_BACKEND = _FastBackend()


def parsed_private_key(der: bytes) -> Any:
    """A demo key parsed through the fast backend (installed if needed)."""
    from certomancer import crypto_utils

    install_fast_backend()
    return crypto_utils.CRYPTO_BACKEND._parsed(der)  # type: ignore[attr-defined]
