"""Keys that sign bordereaux: a PKCS#12 uploaded at signing time, or a PKCS#11 token.

A PKCS#12 is opened in memory with the password the signer types, used for one signing action
and dropped; neither the file nor the password is stored (DESIGN.md decision 6). A token (a
hardware token or HSM on the server holding the ordonnateur's key, tested with SoftHSM2) is
configured by the environment, never in the database::

    DELIBRE_PES_PKCS11_LIBRARY  path of the PKCS#11 module
    DELIBRE_PES_PKCS11_TOKEN    token label
    DELIBRE_PES_PKCS11_KEY      label of the private key (and of its certificate by default)
    DELIBRE_PES_PKCS11_CERT     label of the certificate, when it differs
    DELIBRE_PES_PKCS11_PIN      user PIN

The token session is opened once per process (and again after a fork), not per signature.
Using the token still requires being an assignee (or delegate) of the signature step.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography import x509
from django.utils.translation import gettext as _

from .exceptions import PesSignatureError
from .signers import PesSigner, signer_from_pkcs11_key, signer_from_pkcs12

MAX_PKCS12_BYTES = 100 * 1024
ENV_PREFIX = "DELIBRE_PES_PKCS11_"


def signer_from_upload(*, data: bytes, password: str) -> PesSigner:
    """Open an uploaded PKCS#12 with the password typed now. Raises PesSignatureError."""
    if not data or len(data) > MAX_PKCS12_BYTES:
        raise PesSignatureError(
            _("Choose your certificate file (PKCS#12, .p12 or .pfx, at most 100 KB).")
        )
    return signer_from_pkcs12(data=data, password=password)


@dataclass(frozen=True)
class TokenSettings:
    library: str
    token_label: str
    key_label: str
    pin: str = field(default="", repr=False)
    cert_label: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> TokenSettings | None:
        if not environ.get(f"{ENV_PREFIX}LIBRARY"):
            return None
        return cls(
            library=environ[f"{ENV_PREFIX}LIBRARY"],
            token_label=environ.get(f"{ENV_PREFIX}TOKEN", ""),
            key_label=environ.get(f"{ENV_PREFIX}KEY", ""),
            pin=environ.get(f"{ENV_PREFIX}PIN", ""),
            cert_label=environ.get(f"{ENV_PREFIX}CERT", ""),
        )


_lock = threading.Lock()
_cache: dict[TokenSettings, tuple[int, PesSigner, object]] = {}


def token_available() -> bool:
    return TokenSettings.from_env() is not None


def token_signer(token: TokenSettings | None = None) -> PesSigner:
    """The signer of the configured token, opened once per process. Raises
    PesSignatureError when no token is configured or it cannot be opened."""
    token = token or TokenSettings.from_env()
    if token is None:
        raise PesSignatureError(_("No signing token is configured on this server."))
    pid = os.getpid()
    with _lock:
        cached = _cache.get(token)
        if cached is not None and cached[0] == pid:
            return cached[1]
        signer, session = _open(token)
        _cache[token] = (pid, signer, session)
        return signer


def _open(token: TokenSettings) -> tuple[PesSigner, object]:
    import pkcs11
    from pkcs11 import Attribute, ObjectClass
    from pkcs11.exceptions import PKCS11Error

    try:
        library = pkcs11.lib(token.library)
        session = library.get_token(token_label=token.token_label).open(user_pin=token.pin or None)
        key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=token.key_label)
        certificates = list(
            session.get_objects(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.LABEL: token.cert_label or token.key_label,
                }
            )
        )
        if not certificates:
            raise PesSignatureError(_("The signing token holds no certificate for its key."))
        certificate = x509.load_der_x509_certificate(bytes(certificates[0][Attribute.VALUE]))
    except (PKCS11Error, RuntimeError, OSError) as exc:
        raise PesSignatureError(
            _("The signing token cannot be opened (%(reason)s).") % {"reason": type(exc).__name__}
        ) from exc
    return signer_from_pkcs11_key(key=key, certificate=certificate), session


def forget_tokens() -> None:
    """Drop the opened token sessions (tests, key rotation)."""
    from pkcs11.exceptions import PKCS11Error

    with _lock:
        for _pid, _signer, session in _cache.values():
            # A dead session must not stop the rotation.
            with contextlib.suppress(PKCS11Error, RuntimeError):
                session.close()  # type: ignore[attr-defined]
        _cache.clear()
