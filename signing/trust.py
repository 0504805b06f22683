"""Trust settings shared by signing and validation: roots, revocation policy, fetching.

Relying on the operating system's trust store is deprecated in pyHanko and wrong for us: a
collectivité trusts the roots its admin configured (RGS/eIDAS CAs, or the demo root), so every
validation context here is built from explicit roots.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pyHanko/asn1crypto are imported lazily: Django starts without them
    import aiohttp
    from asn1crypto import x509
    from pyhanko_certvalidator import ValidationContext

DEFAULT_FETCH_TIMEOUT = 10.0


class RevocationPolicy(StrEnum):
    """How much revocation checking a signature needs."""

    #: Every certificate of the path must have fresh OCSP or CRL data; a revocation service
    #: that does not answer stops the signature (mandatory for B-LT and B-LTA).
    REQUIRE = "require"
    #: Check when the services answer; revoked certificates are still refused.
    SOFT_FAIL = "soft-fail"


@dataclass(frozen=True)
class TrustSettings:
    """Who is trusted and how certificates are checked.

    ``trust_roots`` are the only anchors; ``other_certs`` are intermediates known locally
    (they need not be trusted). ``allow_fetching`` lets validation call OCSP responders, CRL
    distribution points and AIA URLs named in the certificates, each with ``fetch_timeout``.
    """

    trust_roots: tuple[x509.Certificate, ...]
    other_certs: tuple[x509.Certificate, ...] = ()
    allow_fetching: bool = True
    revocation: RevocationPolicy = RevocationPolicy.REQUIRE
    fetch_timeout: float = DEFAULT_FETCH_TIMEOUT
    #: A signing certificate needs at least one of these key usages.
    signer_key_usages: frozenset[str] = field(
        default_factory=lambda: frozenset({"non_repudiation", "digital_signature"})
    )

    def __post_init__(self) -> None:
        if not self.trust_roots:
            raise ValueError("TrustSettings needs at least one trust root.")

    @classmethod
    def from_pem(cls, pem: bytes, **kwargs: object) -> TrustSettings:
        """Build settings from a PEM (or DER) bundle of root certificates."""
        return cls(trust_roots=tuple(load_certificates(pem)), **kwargs)  # type: ignore[arg-type]

    def validation_context(
        self,
        *,
        moment: datetime | None = None,
        extra_certs: Iterable[x509.Certificate] = (),
        revocation: RevocationPolicy | None = None,
        allow_fetching: bool | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> ValidationContext:
        """A fresh pyHanko validation context (it caches what it fetches: reuse it per operation).

        ``moment`` validates at a past or future time; fetching is then impossible (pyHanko
        only uses revocation data it is given). Requests go through ``session`` (see
        :func:`http_session`); without one the context opens its own: create the context inside
        the event loop of the operation and ``await context.aclose()`` at the end either way.
        """
        from pyhanko_certvalidator import ValidationContext
        from pyhanko_certvalidator.fetchers import OwnedFetcherBackend
        from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

        fetching = self.allow_fetching if allow_fetching is None else allow_fetching
        fetching = fetching and moment is None
        mode = revocation or self.revocation
        if not fetching and mode is RevocationPolicy.REQUIRE:
            # Without fetching there is nothing to require: the check becomes best effort and
            # callers that need revocation data (B-LT) insist on fetching themselves.
            mode = RevocationPolicy.SOFT_FAIL
        return ValidationContext(
            trust_roots=list(self.trust_roots),
            other_certs=[*self.other_certs, *extra_certs],
            allow_fetching=fetching,
            revocation_mode=mode.value,
            moment=moment,
            fetcher_backend=(
                None
                if not fetching
                else AIOHttpFetcherBackend(session, per_request_timeout=self.fetch_timeout)
                if session is not None
                else OwnedFetcherBackend(
                    AIOHttpFetcherBackend(per_request_timeout=self.fetch_timeout)
                )
            ),
        )


@lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    import certifi

    # The same verification pyHanko sets up (certifi's CA bundle), built once per process:
    # loading the bundle takes ~15 ms, which pyHanko pays for every HTTP session it opens.
    return ssl.create_default_context(cafile=certifi.where())


@asynccontextmanager
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    """One HTTP session for one signing or validation operation (TSA, OCSP, CRL, AIA).

    Sessions belong to an event loop, so each operation opens its own; sharing it between the
    TSA and the revocation requests also reuses connections to the same host.
    """
    import aiohttp

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=_tls_context()))
    try:
        yield session
    finally:
        await session.close()


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Parse every certificate of a PEM bundle (or one DER certificate); ValueError if none."""
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509

    if pem.detect(data):
        certs = [
            asn1_x509.Certificate.load(der)
            for kind, _headers, der in pem.unarmor(data, multiple=True)
            if kind == "CERTIFICATE"
        ]
    else:
        certs = [asn1_x509.Certificate.load(data)]
    if not certs:
        raise ValueError("No certificate found.")
    for cert in certs:
        cert.native  # noqa: B018 - parse fully now so that a bad file fails here, not later
    return certs
