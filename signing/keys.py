"""Signing keys and the checks a certificate must pass before it signs.

* :func:`load_pkcs12_signer`: a signer's PKCS#12 (uploaded, password typed at signing time and
  never stored) → a key-caching pyHanko signer;
* :func:`open_pkcs11_signer`: a key on a PKCS#11 token or HSM (tested with SoftHSM2);
* :func:`get_server_seal`: the collectivité's server seal ("cachet serveur"), loaded once per
  process (DESIGN.md decision 6) from PKCS#12 or PKCS#11;
* :func:`check_signing_certificate`: expired, not yet valid, revoked, untrusted, wrong key
  usage → :class:`~signing.exceptions.CertificateRefused`; revocation service down →
  :class:`~signing.exceptions.TrustServiceUnavailable`.

pyHanko is imported lazily (~0.4 s): importing this module costs nothing until a key is used.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from .exceptions import (
    CertificateProblem,
    CertificateRefused,
    KeyUnavailable,
    TrustServiceUnavailable,
    WrongPassword,
)
from .trust import RevocationPolicy, TrustSettings, http_session

if TYPE_CHECKING:
    from asn1crypto import x509
    from pyhanko.sign.pkcs11 import PKCS11Signer
    from pyhanko.sign.signers import Signer
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.path import ValidationPath

    from ._cached_signer import CachedKeySigner

log = logging.getLogger("delibre.signing")


def __getattr__(name: str) -> Any:
    # ``signing.keys.CachedKeySigner`` without importing pyHanko with this module.
    if name == "CachedKeySigner":
        from ._cached_signer import CachedKeySigner

        return CachedKeySigner
    raise AttributeError(name)


# --- PKCS#12 ---------------------------------------------------------------------------------


def load_pkcs12_signer(
    *,
    data: bytes,
    password: str | bytes | None,
    extra_certs: Iterable[x509.Certificate] = (),
) -> CachedKeySigner:
    """Open a PKCS#12 file held in memory and return a signer that keeps the parsed key.

    ``extra_certs`` are intermediates to embed when the file lacks them. Raises
    :class:`WrongPassword` for a wrong password and :class:`KeyUnavailable` for anything that is
    not a PKCS#12 with one private key and its certificate. The password is not kept.
    No side effect.
    """
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    from ._cached_signer import CachedKeySigner

    secret = password.encode() if isinstance(password, str) else password
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(data, secret or None)
    except ValueError as exc:
        # cryptography says "Invalid password or PKCS12 data" for both: tell them apart by
        # parsing the outer structure, which is not encrypted.
        if _looks_like_pkcs12(data):
            raise WrongPassword(
                _(
                    "Wrong password for this certificate file: type it again. It is the "
                    "password given with the certificate, not the one you log in with."
                )
            ) from exc
        raise KeyUnavailable(
            _("This file is not a PKCS#12 certificate file (.p12 or .pfx).")
        ) from exc
    if key is None or cert is None:
        raise KeyUnavailable(
            _("This certificate file does not contain both a private key and its certificate.")
        )
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise KeyUnavailable(_("Only RSA and elliptic-curve keys can sign."))
    if key.public_key() != cert.public_key():
        raise KeyUnavailable(_("The private key of this file does not match its certificate."))
    store = SimpleCertificateStore()
    store.register_multiple([translate_pyca_cryptography_cert_to_asn1(c) for c in chain])
    store.register_multiple(list(extra_certs))
    return CachedKeySigner(
        signing_cert=translate_pyca_cryptography_cert_to_asn1(cert),
        private_key=key,
        cert_registry=store,
    )


def _looks_like_pkcs12(data: bytes) -> bool:
    from asn1crypto import pkcs12

    try:
        pfx = pkcs12.Pfx.load(data)
        return pfx["version"].native == "v3" and pfx["auth_safe"]["content_type"].native in (
            "data",
            "signed_data",
        )
    except (ValueError, TypeError, KeyError):
        return False


# --- PKCS#11 ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pkcs11Settings:
    """Where a key lives on a PKCS#11 token. ``cert_label`` defaults to ``key_label``."""

    library: str
    token_label: str
    key_label: str
    pin: str = field(default="", repr=False)
    cert_label: str | None = None
    extra_certs: tuple[x509.Certificate, ...] = field(default=(), repr=False)


def open_pkcs11_signer(*, settings: Pkcs11Settings) -> PKCS11Signer:
    """Log in to the token and return a pyHanko signer bound to its key and certificate.

    The key and certificate are looked up now, so a wrong label fails here rather than in the
    middle of a signature. Raises :class:`WrongPassword` (wrong PIN) or :class:`KeyUnavailable`.
    Side effect: opens a PKCS#11 session that stays open as long as the signer is used
    (closed by :func:`clear_seal_cache` for the seal).
    """
    import pkcs11.exceptions as p11_errors
    from pyhanko.config.errors import ConfigurationError
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.general import SigningError
    from pyhanko.sign.pkcs11 import PKCS11Error, PKCS11Signer, open_pkcs11_session

    session = None
    try:
        session = open_pkcs11_session(
            settings.library,
            token_criteria=TokenCriteria(label=settings.token_label),
            user_pin=settings.pin or None,
        )
        signer = PKCS11Signer(
            session,
            key_label=settings.key_label,
            cert_label=settings.cert_label or settings.key_label,
            ca_chain=list(settings.extra_certs),
        )
        signer._load_objects()  # private, but pyHanko's only synchronous eager loader
    except (p11_errors.PinIncorrect, p11_errors.PinLenRange) as exc:
        _close_quietly(session)
        raise WrongPassword(
            _(
                "Wrong PIN for the signing token: type it again; several wrong PINs in a row "
                "lock the token."
            )
        ) from exc
    except p11_errors.UserAlreadyLoggedIn as exc:
        # PKCS#11 logins are per process: reusing the open login would skip the PIN check.
        raise KeyUnavailable(
            _(
                "The signing token is already open in this process; use the loaded server "
                "seal instead of opening it again."
            )
        ) from exc
    except (
        PKCS11Error,
        p11_errors.PKCS11Error,
        SigningError,
        ConfigurationError,
        OSError,
    ) as exc:
        _close_quietly(session)
        log.warning("PKCS#11 key %r unavailable: %s", settings.key_label, exc)
        raise KeyUnavailable(
            _("The signing token or its key cannot be opened (%(reason)s).") % {"reason": exc}
        ) from exc
    return signer


def _close_quietly(session: Any) -> None:
    if session is None:
        return
    import pkcs11.exceptions as p11_errors

    try:
        session.close()
    except p11_errors.PKCS11Error:
        log.debug("PKCS#11 session already closed")


# --- Server seal (cachet serveur) -------------------------------------------------------------


@dataclass(frozen=True)
class SealSettings:
    """Where the collectivité's server seal key is: a PKCS#12 file or a PKCS#11 token."""

    pkcs12_path: Path | None = None
    pkcs12_password: str = field(default="", repr=False)
    pkcs11: Pkcs11Settings | None = None
    extra_certs: tuple[x509.Certificate, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        if (self.pkcs12_path is None) == (self.pkcs11 is None):
            raise ValueError("A seal is either a PKCS#12 file or a PKCS#11 key, not both.")

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] = os.environ, *, prefix: str = "DELIBRE_SEAL_"
    ) -> SealSettings | None:
        """Read the seal from the environment (secrets never come from the database).

        ``<prefix>PKCS12`` + ``<prefix>PASSWORD``, or ``<prefix>PKCS11_LIBRARY``,
        ``<prefix>PKCS11_TOKEN``, ``<prefix>PKCS11_KEY``, ``<prefix>PKCS11_PIN`` and optionally
        ``<prefix>PKCS11_CERT``. Returns None when no seal is configured.
        """
        if environ.get(f"{prefix}PKCS12"):
            return cls(
                pkcs12_path=Path(environ[f"{prefix}PKCS12"]),
                pkcs12_password=environ.get(f"{prefix}PASSWORD", ""),
            )
        if environ.get(f"{prefix}PKCS11_LIBRARY"):
            return cls(
                pkcs11=Pkcs11Settings(
                    library=environ[f"{prefix}PKCS11_LIBRARY"],
                    token_label=environ.get(f"{prefix}PKCS11_TOKEN", ""),
                    key_label=environ.get(f"{prefix}PKCS11_KEY", ""),
                    pin=environ.get(f"{prefix}PKCS11_PIN", ""),
                    cert_label=environ.get(f"{prefix}PKCS11_CERT") or None,
                )
            )
        return None

    @property
    def cache_key(self) -> str:
        if self.pkcs11 is not None:
            p11 = self.pkcs11
            parts = ["pkcs11", p11.library, p11.token_label, p11.key_label, p11.cert_label or ""]
        else:
            parts = ["pkcs12", str(Path(self.pkcs12_path or "").resolve())]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()


_seal_lock = threading.Lock()
_seals: dict[str, tuple[int, Signer]] = {}


def get_server_seal(*, settings: SealSettings) -> Signer:
    """The seal signer for ``settings``, loaded on first use and kept for the process.

    Reloaded after a fork (a PKCS#11 session does not survive one; Celery and gunicorn fork).
    Raises :class:`KeyUnavailable` / :class:`WrongPassword` like the loaders.
    Side effects: reads the PKCS#12 file or opens a PKCS#11 session, once per process.
    """
    pid = os.getpid()
    with _seal_lock:
        cached = _seals.get(settings.cache_key)
        if cached is not None and cached[0] == pid:
            return cached[1]
        signer: Signer
        if settings.pkcs11 is not None:
            p11 = settings.pkcs11
            if settings.extra_certs and not p11.extra_certs:
                p11 = dataclasses.replace(p11, extra_certs=settings.extra_certs)
            signer = open_pkcs11_signer(settings=p11)
        else:
            path = settings.pkcs12_path
            assert path is not None  # checked in __post_init__
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise KeyUnavailable(
                    _("The server seal file cannot be read (%(reason)s).")
                    % {"reason": exc.strerror}
                ) from exc
            signer = load_pkcs12_signer(
                data=data, password=settings.pkcs12_password, extra_certs=settings.extra_certs
            )
        _seals[settings.cache_key] = (pid, signer)
        logging.getLogger("delibre.security").info(
            "key.seal.loaded source=%s pid=%s", "pkcs11" if settings.pkcs11 else "pkcs12", pid
        )
        return signer


def clear_seal_cache() -> None:
    """Forget every loaded seal (tests, key rotation). Side effect: closes PKCS#11 sessions."""
    with _seal_lock:
        for pid, signer in _seals.values():
            session = getattr(signer, "pkcs11_session", None)
            if session is not None and pid == os.getpid():
                _close_quietly(session)
        _seals.clear()


# --- Certificate checks before signing -------------------------------------------------------


@dataclass(frozen=True)
class CertificateCheck:
    """What was checked about a signing certificate (all of it passed)."""

    common_name: str
    subject: str
    issuer: str
    serial: int
    not_before: datetime
    not_after: datetime
    chain: tuple[str, ...]  # subjects from the trust root down to the certificate


def check_signing_certificate(
    *,
    cert: x509.Certificate,
    trust: TrustSettings,
    intermediates: Iterable[x509.Certificate] = (),
    moment: datetime | None = None,
) -> CertificateCheck:
    """Refuse a certificate that must not sign now, with the reason the signer can act on.

    Checks, in order: key usage (nonRepudiation or digitalSignature), a path to one of
    ``trust.trust_roots``, validity dates of every certificate in it, revocation (OCSP/CRL as
    ``trust`` allows). ``moment`` checks at another time (revocation then only from what is
    known locally). Raises :class:`CertificateRefused` or :class:`TrustServiceUnavailable`.
    Side effects: HTTP requests to the OCSP responders and CRL distribution points named in
    the certificates when ``trust.allow_fetching``.
    """

    async def run() -> ValidationPath:
        async with http_session() as session:
            context = trust.validation_context(
                moment=moment, extra_certs=intermediates, session=session
            )
            try:
                return await async_check_certificate(
                    cert=cert,
                    validation_context=context,
                    key_usages=trust.signer_key_usages,
                    revocation=trust.revocation,
                )
            finally:
                await context.aclose()

    path = asyncio.run(run())
    return CertificateCheck(
        common_name=common_name(cert),
        subject=cert.subject.human_friendly,
        issuer=cert.issuer.human_friendly,
        serial=cert.serial_number,
        not_before=cert.not_valid_before,
        not_after=cert.not_valid_after,
        chain=tuple(c.subject.human_friendly for c in path),
    )


async def async_check_certificate(
    *,
    cert: x509.Certificate,
    validation_context: ValidationContext,
    key_usages: Iterable[str],
    revocation: RevocationPolicy,
) -> ValidationPath:
    """Coroutine behind :func:`check_signing_certificate`, sharing the caller's context.

    Signing reuses the context afterwards: what it fetched (OCSP responses, CRLs) is then
    embedded at B-LT without being fetched twice.
    """
    from pyhanko_certvalidator import CertificateValidator
    from pyhanko_certvalidator import errors as cv_errors

    name = common_name(cert)
    check_key_usage(cert, accepted=key_usages)
    validator = CertificateValidator(cert, validation_context=validation_context)
    try:
        # Key usage was checked above with "any of" semantics; pyHanko's check is "all of".
        return await validator.async_validate_usage(set())
    except cv_errors.RevokedError as exc:
        raise CertificateRefused(
            _(
                "The certificate of %(name)s was revoked on %(date)s: it can no longer sign. "
                "Import your new certificate under Signatures > My certificates."
            )
            % {"name": name, "date": exc.revocation_dt.date().isoformat()},
            problem=CertificateProblem.REVOKED,
        ) from exc
    except cv_errors.ExpiredError as exc:
        raise CertificateRefused(
            _(
                "The certificate of %(name)s expired on %(date)s: it can no longer sign. "
                "Import your new certificate under Signatures > My certificates."
            )
            % {"name": name, "date": exc.expired_dt.date().isoformat()},
            problem=CertificateProblem.EXPIRED,
        ) from exc
    except cv_errors.NotYetValidError as exc:
        raise CertificateRefused(
            _("The certificate of %(name)s is not valid before %(date)s.")
            % {"name": name, "date": exc.valid_from.date().isoformat()},
            problem=CertificateProblem.NOT_YET_VALID,
        ) from exc
    except cv_errors.InsufficientRevinfoError as exc:
        from pyhanko_certvalidator.util import get_declared_revinfo

        checked = exc.current_path.get_ee_cert_safe()
        has_crl, has_ocsp = get_declared_revinfo(checked) if checked else (True, True)
        if (has_crl or has_ocsp) and revocation is RevocationPolicy.REQUIRE:
            log.warning("Revocation check of %r failed: %s", name, exc.failure_msg)
            raise TrustServiceUnavailable(
                _(
                    "The revocation status of the certificate of %(name)s cannot be checked "
                    "now: the OCSP or CRL service does not answer. Nothing was signed; try "
                    "again later."
                )
                % {"name": name}
            ) from exc
        raise CertificateRefused(
            _(
                "The certificate of %(name)s cannot be checked: its authority publishes no "
                "revocation information."
            )
            % {"name": name},
            problem=CertificateProblem.UNTRUSTED,
        ) from exc
    except cv_errors.PathBuildingError as exc:
        raise CertificateRefused(
            _(
                "The certificate of %(name)s was not issued by a certification authority "
                "trusted by this platform."
            )
            % {"name": name},
            problem=CertificateProblem.UNTRUSTED,
        ) from exc
    except (cv_errors.PathValidationError, cv_errors.InvalidCertificateError) as exc:
        log.info("Certificate of %r refused: %s", name, exc)
        raise CertificateRefused(
            _("The certificate of %(name)s cannot be validated: %(reason)s")
            % {"name": name, "reason": exc.failure_msg},
            problem=CertificateProblem.UNTRUSTED,
        ) from exc


def check_key_usage(cert: x509.Certificate, *, accepted: Iterable[str]) -> None:
    """Refuse a certificate whose key usage has none of ``accepted`` (or no key usage at all)."""
    usage = cert.key_usage_value
    present = set(usage.native) if usage is not None else set()
    if not present & set(accepted):
        raise CertificateRefused(
            _(
                "The certificate of %(name)s is not meant for electronic signatures: it lacks "
                "the non-repudiation and digital signature key usages."
            )
            % {"name": common_name(cert)},
            problem=CertificateProblem.WRONG_KEY_USAGE,
        )


def common_name(cert: x509.Certificate) -> str:
    """The certificate's common name, or its whole subject when it has none."""
    name = cert.subject.native.get("common_name")
    if isinstance(name, list):  # several CN attributes: keep them all, in order
        name = ", ".join(name)
    return str(name) if name else cert.subject.human_friendly
