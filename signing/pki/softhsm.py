"""A SoftHSM2 token holding the demo seal: the PKCS#11 path, tested without hardware.

SoftHSM2 (Debian ``softhsm2``) reads its configuration from the file named by the
``SOFTHSM2_CONF`` environment variable when the library is first initialised in a process,
so :func:`provision_softhsm_token` sets that variable for the current process: call it before
anything else in the process uses SoftHSM with another configuration.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .config import PkiError

LIBRARY_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
)


def find_softhsm_library() -> str | None:
    """Path of the SoftHSM2 PKCS#11 module, or None when SoftHSM2 is not installed."""
    for candidate in LIBRARY_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return None


@dataclass(frozen=True)
class SoftHsmToken:
    """A provisioned token: what :class:`signing.keys.Pkcs11Settings` needs to use it."""

    library: str
    config_path: Path
    token_label: str
    object_label: str
    pin: str = field(repr=False)


def provision_softhsm_token(
    *,
    directory: Path | str,
    key_pem: bytes,
    cert_pem: bytes,
    token_label: str = "delibre-seal",
    object_label: str = "seal",
    pin: str,
    so_pin: str,
) -> SoftHsmToken:
    """Create a fresh SoftHSM2 token in ``directory`` holding ``key_pem`` and its certificate.

    The private key is imported as sensitive and non-extractable, the certificate next to it
    with the same label and id (what :func:`signing.keys.open_pkcs11_signer` looks up).
    Side effects: replaces ``directory`` (tokens and ``softhsm2.conf``), sets
    ``SOFTHSM2_CONF`` in this process's environment, runs ``softhsm2-util``.
    """
    library = find_softhsm_library()
    util = shutil.which("softhsm2-util")
    if library is None or util is None:
        raise PkiError("SoftHSM2 is not installed (Debian package softhsm2).")
    directory = Path(directory).resolve()
    if directory.exists():
        shutil.rmtree(directory)
    tokens = directory / "tokens"
    tokens.mkdir(parents=True)
    config = directory / "softhsm2.conf"
    config.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(config)
    completed = subprocess.run(  # fixed executable and arguments
        [
            util,
            "--init-token",
            "--free",
            "--label",
            token_label,
            "--pin",
            pin,
            "--so-pin",
            so_pin,
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "SOFTHSM2_CONF": str(config)},
        timeout=60,
    )
    if completed.returncode != 0:
        raise PkiError(f"softhsm2-util failed: {completed.stderr.strip() or completed.stdout}")
    _import_objects(
        library=library,
        token_label=token_label,
        object_label=object_label,
        pin=pin,
        key_pem=key_pem,
        cert_pem=cert_pem,
    )
    return SoftHsmToken(
        library=library,
        config_path=config,
        token_label=token_label,
        object_label=object_label,
        pin=pin,
    )


def _import_objects(
    *,
    library: str,
    token_label: str,
    object_label: str,
    pin: str,
    key_pem: bytes,
    cert_pem: bytes,
) -> None:
    import pkcs11
    from asn1crypto import pem
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from pkcs11 import Attribute
    from pkcs11.exceptions import PKCS11Error
    from pkcs11.util.rsa import decode_rsa_private_key
    from pkcs11.util.x509 import decode_x509_certificate

    key = serialization.load_pem_private_key(key_pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise PkiError("Only RSA seal keys are provisioned into SoftHSM2.")
    key_der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,  # PKCS#1, what python-pkcs11 decodes
        serialization.NoEncryption(),
    )
    _kind, _headers, cert_der = pem.unarmor(cert_pem)
    object_id = b"\x01"
    try:
        token = pkcs11.lib(library).get_token(token_label=token_label)
        with token.open(rw=True, user_pin=pin) as session:
            key_template = decode_rsa_private_key(key_der)
            key_template.update(
                {
                    Attribute.LABEL: object_label,
                    Attribute.ID: object_id,
                    Attribute.TOKEN: True,
                    Attribute.PRIVATE: True,
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                }
            )
            session.create_object(key_template)
            cert_template = decode_x509_certificate(cert_der)
            cert_template.update(
                {Attribute.LABEL: object_label, Attribute.ID: object_id, Attribute.TOKEN: True}
            )
            session.create_object(cert_template)
    except PKCS11Error as exc:
        raise PkiError(f"Cannot import the seal into SoftHSM2: {exc!r}") from exc
