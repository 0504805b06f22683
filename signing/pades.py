"""PAdES signatures with pyHanko: approval signatures in pre-created visible fields.

:func:`sign_pdf` is a pure function, bytes in and bytes out: either it returns the whole signed
document, or it raises a domain error and returns nothing (no half-signed output exists).
Levels (ETSI EN 319 142-1), each including the previous one:

* ``B-B``: CAdES-detached CMS (``/SubFilter /ETSI.CAdES.detached``), SHA-256, signer chain;
* ``B-T``: + an RFC 3161 signature timestamp from the configured TSA;
* ``B-LT``: + the revocation data (OCSP responses, CRLs) and certificates in the DSS;
* ``B-LTA``: + a document timestamp over everything, renewed by :func:`extend_lta`.

Only *approval* signatures are made, never certification ones (notes/signing.md §1.4: a later
signer filling a field after a certification signature can invalidate it), and only in fields
that already exist (see :mod:`signing.fields`); the appearance is drawn inside the field, never
on the page.

pyHanko is imported lazily (~0.4 s), when a document is actually signed.
"""

from __future__ import annotations

import io
import logging
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from .exceptions import (
    CertificateProblem,
    CertificateRefused,
    InvalidDocument,
    SignatureFieldError,
    SigningError,
    TrustServiceUnavailable,
)
from .trust import RevocationPolicy, TrustSettings, http_session

if TYPE_CHECKING:
    from asn1crypto import x509
    from pyhanko.sign.signers import Signer
    from pyhanko.sign.timestamps import TimeStamper
    from pyhanko_certvalidator import ValidationContext

log = logging.getLogger("delibre.signing")

#: Where the repository vendors its fonts (DESIGN.md decision 5: Noto Sans, OFL).
FONT_DIR = Path(__file__).resolve().parent.parent / "exports" / "fonts"
DEFAULT_FONT = FONT_DIR / "NotoSans-Regular.ttf"
STAMP_TIMEZONE = ZoneInfo("Europe/Paris")
DEFAULT_TSA_TIMEOUT = 10.0


class PadesLevel(StrEnum):
    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"

    @property
    def timestamped(self) -> bool:
        return self is not PadesLevel.B_B

    @property
    def long_term(self) -> bool:
        return self in (PadesLevel.B_LT, PadesLevel.B_LTA)


@dataclass(frozen=True)
class StampText:
    """What the visible signature says.

    The wording is French whatever the interface language: the stamp is part of the signed
    act, a French administrative document, and "Pour le Maire et par délégation" is the
    prescribed formula (DESIGN.md, "Delegation"). ``on_behalf_of`` is who delegated, with its
    article ("le Maire", "le Président"); ``signed_at`` defaults to now.
    """

    signer_name: str
    quality: str = ""
    on_behalf_of: str = ""
    signed_at: datetime | None = None
    reason: str = ""
    location: str = ""

    def lines(self, *, now: datetime | None = None) -> list[str]:
        when = (self.signed_at or now or datetime.now(UTC)).astimezone(STAMP_TIMEZONE)
        identity = ", ".join(p for p in (self.signer_name.strip(), self.quality.strip()) if p)
        lines = []
        if self.on_behalf_of.strip():
            lines.append(f"Pour {self.on_behalf_of.strip()} et par délégation,")
        lines.append(identity)
        lines.append(f"Signé électroniquement le {when:%d/%m/%Y à %H:%M}")
        if self.reason.strip():
            lines.append(f"Motif : {self.reason.strip()}")
        if self.location.strip():
            lines.append(f"Lieu : {self.location.strip()}")
        # One line per item (a newline in a value would break the layout), and composed
        # characters: the stamp font carries "é", not "e" + combining accent positioning.
        return [unicodedata.normalize("NFC", " ".join(line.split())) for line in lines]

    def text(self, *, now: datetime | None = None) -> str:
        return "\n".join(self.lines(now=now))


def sign_pdf(
    pdf: bytes,
    *,
    signer: Signer,
    field_name: str,
    level: PadesLevel | str,
    stamp: StampText,
    trust: TrustSettings,
    timestamper_url: str | None = None,
    timestamper: TimeStamper | None = None,
    check_certificate: bool = True,
    font_path: Path | str = DEFAULT_FONT,
    bytes_reserved: int | None = None,
) -> bytes:
    """Sign ``pdf`` in its existing empty field ``field_name`` and return the signed document.

    Synchronous wrapper of :func:`async_sign_pdf` (same arguments); see there.
    """
    from ._pdf import run_sync

    return run_sync(
        async_sign_pdf(
            pdf,
            signer=signer,
            field_name=field_name,
            level=level,
            stamp=stamp,
            trust=trust,
            timestamper_url=timestamper_url,
            timestamper=timestamper,
            check_certificate=check_certificate,
            font_path=font_path,
            bytes_reserved=bytes_reserved,
        )
    )


async def async_sign_pdf(
    pdf: bytes,
    *,
    signer: Signer,
    field_name: str,
    level: PadesLevel | str,
    stamp: StampText,
    trust: TrustSettings,
    timestamper_url: str | None = None,
    timestamper: TimeStamper | None = None,
    check_certificate: bool = True,
    font_path: Path | str = DEFAULT_FONT,
    bytes_reserved: int | None = None,
) -> bytes:
    """Sign ``pdf`` with an approval PAdES signature at ``level`` in field ``field_name``.

    ``signer`` comes from :mod:`signing.keys`. ``trust`` gives the roots and revocation policy
    used to check the certificate before signing (``check_certificate``; always done at B-LT
    and B-LTA, which need the revocation data anyway). Levels from B-T need a TSA:
    ``timestamper_url`` (RFC 3161 over HTTP) or a ready ``timestamper``. ``bytes_reserved``
    overrides the space kept for the CMS (default: estimated generously from the certificates,
    so pyHanko never makes its slow dry-run signature).

    Raises :class:`InvalidDocument` (unreadable/encrypted PDF), :class:`SignatureFieldError`
    (no such empty field), :class:`CertificateRefused`, :class:`TrustServiceUnavailable` (TSA,
    OCSP or CRL unreachable), :class:`SigningError` (configuration). Pure: no side effect
    other than the HTTP requests to the TSA and revocation services.
    """
    from ._pdf import open_reader

    level = PadesLevel(level)
    reader = open_reader(pdf)
    _require_empty_field(reader, field_name)
    if level.timestamped and timestamper is None and not timestamper_url:
        raise SigningError(
            _("Level %(level)s needs a time-stamping authority, and none is configured.")
            % {"level": level.value}
        )
    if level.long_term and not trust.allow_fetching:
        raise SigningError(
            _("Level %(level)s needs to fetch revocation data, which the settings forbid.")
            % {"level": level.value}
        )
    revocation = RevocationPolicy.REQUIRE if level.long_term else trust.revocation
    async with http_session() as session:
        if timestamper is None and timestamper_url:
            timestamper = _http_timestamper(
                timestamper_url, timeout=trust.fetch_timeout, session=session
            )
        context = (
            trust.validation_context(
                extra_certs=signer.cert_registry, revocation=revocation, session=session
            )
            if check_certificate or level.long_term
            else None
        )
        return await _sign(
            pdf,
            signer=signer,
            field_name=field_name,
            level=level,
            stamp=stamp,
            trust=trust,
            timestamper=timestamper,
            context=context,
            revocation=revocation,
            font_path=str(font_path),
            bytes_reserved=bytes_reserved,
        )


async def _sign(
    pdf: bytes,
    *,
    signer: Signer,
    field_name: str,
    level: PadesLevel,
    stamp: StampText,
    trust: TrustSettings,
    timestamper: TimeStamper | None,
    context: ValidationContext | None,
    revocation: RevocationPolicy,
    font_path: str,
    bytes_reserved: int | None,
) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    from ._pdf import READ_ERRORS, unreadable
    from ._stamp import stamp_style_for
    from .keys import async_check_certificate

    cert = signer.signing_cert
    if cert is None:  # remote signers may not know it; our keys always do
        raise SigningError(_("The signing key comes without its certificate."))
    try:
        if context is not None:
            await async_check_certificate(
                cert=cert,
                validation_context=context,
                key_usages=trust.signer_key_usages,
                revocation=revocation,
            )
        key_usage = cert.key_usage_value
        present_usages = set(key_usage.native) if key_usage is not None else set()
        meta = signers.PdfSignatureMetadata(
            field_name=field_name,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            certify=False,
            reason=stamp.reason or None,
            location=stamp.location or None,
            embed_validation_info=level.long_term,
            use_pades_lta=level is PadesLevel.B_LTA,
            validation_context=context if level.long_term else None,
            # pyHanko requires *all* of these; our check accepted *any* of them.
            signer_key_usage=present_usages & set(trust.signer_key_usages),
        )
        stamp_text = stamp.text()
        pdf_signer = signers.PdfSigner(
            meta,
            signer=signer,
            timestamper=timestamper if level.timestamped else None,
            stamp_style=stamp_style_for(font_path, stamp_text),
        )
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        output = io.BytesIO()
        await pdf_signer.async_sign_pdf(
            writer,
            existing_fields_only=True,
            bytes_reserved=bytes_reserved or _reserve_for(signer, cert, level),
            appearance_text_params={"stamp": stamp_text},
            output=output,
        )
    except (SigningError, InvalidDocument):
        raise
    except _trust_service_errors() as exc:
        log.warning("Signature of field %r stopped: trust service unreachable: %s", field_name, exc)
        raise _service_unavailable(exc) from exc
    except _pyhanko_signing_errors() as exc:
        raise _translate_pyhanko_error(exc, signer=signer) from exc
    except READ_ERRORS as exc:
        raise unreadable(exc) from exc
    finally:
        if context is not None:
            await context.aclose()
    return output.getvalue()


def _require_empty_field(reader: Any, field_name: str) -> None:
    from pyhanko.sign import fields

    from ._pdf import READ_ERRORS, unreadable

    try:
        found = list(fields.enumerate_sig_fields(reader, with_name=field_name))
    except READ_ERRORS as exc:
        raise unreadable(exc) from exc
    if not found:
        raise SignatureFieldError(
            _("The document has no signature field named “%(name)s”.") % {"name": field_name},
            field="field_name",
        )
    if found[0][1] is not None:
        raise SignatureFieldError(
            _("The signature field “%(name)s” is already signed.") % {"name": field_name},
            code="field_already_signed",
            field="field_name",
        )


def _reserve_for(signer: Signer, cert: x509.Certificate, level: PadesLevel) -> int:
    """Bytes to keep for the CMS: every certificate pyHanko may embed, plus room to spare.

    Passing a size skips pyHanko's estimate, which makes a whole dummy signature (and a
    dummy timestamp request); too small a size fails at the very end (pyHanko issue #515), so
    the margin is generous: a few KiB of zeros in the file cost nothing.
    """
    certs = sum(len(c.dump()) for c in signer.cert_registry) + len(cert.dump())
    reserve = 8192 + 2 * certs
    if level.timestamped:
        reserve += 16384  # the timestamp token with the TSA's certificate chain
    return (reserve + 4095) // 4096 * 4096


def _http_timestamper(url: str, *, timeout: float, session: Any) -> TimeStamper:
    from pyhanko.sign.timestamps import HTTPTimeStamper

    return HTTPTimeStamper(url, timeout=timeout, session=session)


def _trust_service_errors() -> tuple[type[BaseException], ...]:
    import aiohttp
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError

    return (TimestampRequestError, aiohttp.ClientError, TimeoutError)


def _pyhanko_signing_errors() -> tuple[type[BaseException], ...]:
    from pyhanko.sign.general import SigningError as PyHankoSigningError
    from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError

    return (PyHankoSigningError, PathValidationError, PathBuildingError)


def _service_unavailable(exc: BaseException) -> TrustServiceUnavailable:
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError

    if isinstance(exc, TimestampRequestError):
        return TrustServiceUnavailable(
            _("The time-stamping service does not answer. Nothing was signed; try again later.")
        )
    return TrustServiceUnavailable(
        _(
            "A certificate revocation service (OCSP or CRL) does not answer. Nothing was "
            "signed; try again later."
        )
    )


def _translate_pyhanko_error(exc: BaseException, *, signer: Signer) -> SigningError:
    """Turn what pyHanko raised while signing into a domain error the user can act on."""
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError
    from pyhanko_certvalidator import errors as cv_errors

    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, TimestampRequestError):
            return _service_unavailable(cause)
        if isinstance(cause, cv_errors.InsufficientRevinfoError):
            return _service_unavailable(cause)
        if isinstance(cause, cv_errors.PathError | cv_errors.PathValidationError):
            return CertificateRefused(
                _("A certificate needed for this signature cannot be validated: %(reason)s")
                % {"reason": getattr(cause, "failure_msg", str(cause))},
                problem=CertificateProblem.UNTRUSTED,
            )
        cause = cause.__cause__
    log.warning("pyHanko refused to sign for %s: %s", _signer_name(signer), exc)
    return SigningError(_("The document could not be signed: %(reason)s") % {"reason": exc})


def _signer_name(signer: Signer) -> str:
    from .keys import common_name

    return common_name(signer.signing_cert)


# --- Long-term archives (B-LTA) --------------------------------------------------------------


def extend_lta(
    pdf: bytes,
    *,
    trust: TrustSettings,
    timestamper_url: str | None = None,
    timestamper: TimeStamper | None = None,
) -> bytes:
    """Add a document timestamp (and the DSS data for the previous one): B-LTA renewal.

    Synchronous wrapper of :func:`async_extend_lta`.
    """
    from ._pdf import run_sync

    return run_sync(
        async_extend_lta(pdf, trust=trust, timestamper_url=timestamper_url, timestamper=timestamper)
    )


async def async_extend_lta(
    pdf: bytes,
    *,
    trust: TrustSettings,
    timestamper_url: str | None = None,
    timestamper: TimeStamper | None = None,
) -> bytes:
    """Validate the last document timestamp, store its validation data, timestamp again.

    Run it before the last timestamp's TSA certificate expires (:func:`needs_lta_renewal`).
    Raises :class:`InvalidDocument` (unreadable, or no signature at all),
    :class:`TrustServiceUnavailable`, :class:`SigningError`. Pure: bytes in, bytes out.
    """
    from pyhanko.sign import signers

    from ._pdf import READ_ERRORS, open_reader, unreadable

    if timestamper is None and not timestamper_url:
        raise SigningError(_("Renewing an archive needs a time-stamping authority."))
    reader = open_reader(pdf)
    try:
        signed = bool(reader.embedded_signatures)
    except READ_ERRORS as exc:
        raise unreadable(exc) from exc
    if not signed:
        raise InvalidDocument(_("This document carries no signature to preserve."))
    async with http_session() as session:
        if timestamper is None:
            timestamper = _http_timestamper(
                str(timestamper_url), timeout=trust.fetch_timeout, session=session
            )
        context = trust.validation_context(revocation=RevocationPolicy.REQUIRE, session=session)
        try:
            output = io.BytesIO()
            await signers.PdfTimeStamper(timestamper).async_update_archival_timestamp_chain(
                reader, context, in_place=False, output=output
            )
        except _trust_service_errors() as exc:
            raise _service_unavailable(exc) from exc
        except _pyhanko_signing_errors() as exc:
            raise SigningError(
                _("The archive timestamp could not be renewed: %(reason)s") % {"reason": exc}
            ) from exc
        except READ_ERRORS as exc:
            raise unreadable(exc) from exc
        finally:
            await context.aclose()
    return output.getvalue()


def lta_expiry(pdf: bytes) -> datetime | None:
    """When the last document timestamp stops being verifiable: the earliest expiry among the
    TSA certificate and the certificates shipped with it. None without a document timestamp.
    """
    from ._pdf import READ_ERRORS, open_reader, unreadable

    reader = open_reader(pdf)
    try:
        stamps = reader.embedded_timestamp_signatures
        if not stamps:
            return None
        last = stamps[-1]
        certs = [last.signer_cert, *last.other_embedded_certs]
    except READ_ERRORS as exc:
        raise unreadable(exc) from exc
    return min(c.not_valid_after for c in certs if c is not None)


def needs_lta_renewal(pdf: bytes, *, horizon_days: int, now: datetime | None = None) -> bool:
    """True when the last document timestamp expires within ``horizon_days`` (or already has).

    Documents without a document timestamp are not B-LTA archives: False. No side effect.
    """
    expiry = lta_expiry(pdf)
    if expiry is None:
        return False
    return expiry - (now or datetime.now(UTC)) <= timedelta(days=horizon_days)
