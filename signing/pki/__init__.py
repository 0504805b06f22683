"""Délibre's demo and test PKI (certomancer) and its loopback TSA/OCSP/CRL services.

Generate once, then serve::

    python -m signing.pki generate --dir var/pki --port 9000
    python -m signing.pki serve --dir var/pki

or from Python (tests, ``make run``)::

    pki = generate_pki(directory=path, password="...", port=9000)
    with PkiServer(pki):
        ...  # pki.tsa_url, pki.trust_roots, pki.p12_bytes("marie-dupont")

Never use it for real acts: the keys are demo keys stored in clear next to the certificates.
"""

from .config import (
    BAD_SIGNERS,
    DEFAULT_COLLECTIVITE,
    DEFAULT_PEOPLE,
    DEFAULT_PORT,
    EXPIRED,
    INTERMEDIATE,
    NOT_YET_VALID,
    OCSP_RESPONDER,
    REVOKED,
    ROOT,
    SEAL,
    TSA,
    UNTRUSTED,
    UNTRUSTED_ROOT,
    WRONG_KEY_USAGE,
    PkiError,
    PkiPerson,
    build_config,
)
from .generate import DemoPki, generate_pki, load_pki
from .server import PkiServer, bind_loopback_socket, build_app, serve_forever

__all__ = [
    "BAD_SIGNERS",
    "DEFAULT_COLLECTIVITE",
    "DEFAULT_PEOPLE",
    "DEFAULT_PORT",
    "EXPIRED",
    "INTERMEDIATE",
    "NOT_YET_VALID",
    "OCSP_RESPONDER",
    "REVOKED",
    "ROOT",
    "SEAL",
    "TSA",
    "UNTRUSTED",
    "UNTRUSTED_ROOT",
    "WRONG_KEY_USAGE",
    "DemoPki",
    "PkiError",
    "PkiPerson",
    "PkiServer",
    "bind_loopback_socket",
    "build_app",
    "build_config",
    "generate_pki",
    "load_pki",
    "serve_forever",
]
