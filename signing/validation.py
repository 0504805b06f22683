"""Validation reports for signed PDFs: pyHanko's judgement per signature, and pdfsig's.

:func:`validate_pdf` runs, for every signature and document timestamp in revision order,

* pyHanko's classic validation at the current time (integrity, certificate path and
  revocation, signature timestamp, *diff analysis* of every later incremental update against
  the DocMDP rules: the only validator here that judges later revisions, notes/signing.md §0);
* for signatures, the ETSI EN 319 102-1 long-term (LTA) validation, whose indication is the
  archival/legal evidence. pyHanko's expected results right after signing are:
  B-B → INDETERMINATE/SIG_CONSTRAINTS_FAILURE (no signature timestamp), B-T and B-LT →
  INDETERMINATE/NO_POE (revocation data older than the signature timestamp, no later proof of
  existence), B-LTA → PASSED/OK.

:func:`run_pdfsig` runs poppler's ``pdfsig`` (an independent CMS implementation on NSS) and
parses its text: its exit code is 0 even on "Digest Mismatch" (notes/signing.md §3).

Reports are dataclasses with ``as_dict()`` for JSON (stored with the act, printed by
``manage.py verify --json``).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .pdfsig import PdfsigReport, PdfsigSignature, run_pdfsig
from .reports import (
    DOCUMENT_TIMESTAMP,
    SIGNATURE,
    CertificateInfo,
    PdfValidationReport,
    SignatureReport,
)
from .trust import RevocationPolicy, TrustSettings, http_session

if TYPE_CHECKING:
    from asn1crypto import x509
    from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
    from pyhanko_certvalidator import ValidationContext

__all__ = [
    "CertificateInfo",
    "PdfValidationReport",
    "PdfsigReport",
    "PdfsigSignature",
    "SignatureReport",
    "async_validate_pdf",
    "run_pdfsig",
    "validate_pdf",
]

log = logging.getLogger("delibre.signing")

# Modification levels (pyHanko's diff analysis) that do not change what was signed.
_HARMLESS_MODIFICATIONS = frozenset({"NONE", "LTA_UPDATES", "FORM_FILLING"})


def validate_pdf(pdf: bytes, *, trust: TrustSettings, allow_fetching: bool) -> PdfValidationReport:
    """Validate every signature of ``pdf``; synchronous wrapper of :func:`async_validate_pdf`."""
    from ._pdf import run_sync

    return run_sync(async_validate_pdf(pdf, trust=trust, allow_fetching=allow_fetching))


async def async_validate_pdf(
    pdf: bytes, *, trust: TrustSettings, allow_fetching: bool
) -> PdfValidationReport:
    """Validate every signature and document timestamp of ``pdf`` against ``trust``.

    ``allow_fetching`` lets validation query the OCSP responders and CRLs named in the
    certificates (then revocation follows ``trust.revocation``); without it only the data
    embedded in the document (DSS) is used and missing revocation data is tolerated, so that
    an offline check of a B-B document can still pass. Raises :class:`InvalidDocument` for
    input that is not a readable, unencrypted PDF. No side effect besides those requests.
    """
    from datetime import UTC

    from ._pdf import READ_ERRORS, open_reader, unreadable

    reader = open_reader(pdf)
    try:
        embedded, broken = _collect_signatures(reader)
        dss_revinfo = _dss_revinfo(reader)
    except READ_ERRORS as exc:
        raise unreadable(exc) from exc
    reports = []
    async with http_session() as session:
        for index, sig in enumerate(embedded, start=1):
            try:
                reports.append(
                    await _validate_one(
                        sig,
                        index=index,
                        embedded=embedded,
                        dss=dss_revinfo,
                        trust=trust,
                        allow_fetching=allow_fetching,
                        session=session,
                    )
                )
            except READ_ERRORS as exc:
                # A signature that cannot even be parsed is reported as broken, not skipped.
                log.info("Signature %d unreadable: %s", index, exc)
                reports.append(_broken(sig, index=index, problem=str(exc)))
    for offset, (name, problem) in enumerate(broken, start=len(reports) + 1):
        reports.append(_broken(None, index=offset, problem=problem, field_name=name))
    from .fields import list_signature_fields

    return PdfValidationReport(
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        validated_at=datetime.now(UTC),
        signatures=tuple(reports),
        unsigned_fields=tuple(f.name for f in list_signature_fields(pdf) if not f.signed),
        allow_fetching=allow_fetching,
    )


def _collect_signatures(reader: Any) -> tuple[list[EmbeddedPdfSignature], list[tuple[str, str]]]:
    """Filled signature fields: the ones pyHanko can read, in revision order, and the others.

    pyHanko's ``reader.embedded_signatures`` silently drops signatures of a type it does not
    know and fails as a whole on one damaged signature; a report must show both instead.
    """
    from pyhanko.sign.fields import SigSeedSubFilter, enumerate_sig_fields
    from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

    from ._pdf import READ_ERRORS

    known = {str(sub.value) for sub in SigSeedSubFilter}  # "/ETSI.CAdES.detached", ...
    readable: list[EmbeddedPdfSignature] = []
    broken: list[tuple[str, str]] = []
    for name, value, field_ref in enumerate_sig_fields(reader, filled_status=True):
        try:
            subfilter = str(value.get_object().get("/SubFilter", ""))
            if subfilter not in known:
                broken.append((str(name), f"Unsupported signature type {subfilter or '(none)'}."))
                continue
            readable.append(EmbeddedPdfSignature(reader, field_ref, name))
        except READ_ERRORS as exc:
            broken.append((str(name), f"Unreadable signature: {exc}"))
    readable.sort(key=lambda sig: sig.signed_revision)
    return readable, broken


@dataclass
class _DssRevinfo:
    """Revocation data found in the document's DSS (for level detection and validation)."""

    certs: list[Any] = field(default_factory=list)
    ocsps: list[Any] = field(default_factory=list)
    crls: list[Any] = field(default_factory=list)
    ocsp_serials: set[tuple[bytes, int]] = field(default_factory=set)  # (issuer key hash, serial)
    crl_issuers: set[bytes] = field(default_factory=set)  # DER of issuer names


def _dss_revinfo(reader: Any) -> _DssRevinfo:
    from asn1crypto import crl as asn1_crl
    from asn1crypto import ocsp as asn1_ocsp
    from pyhanko.pdf_utils.decode_limits import DecodePurpose
    from pyhanko.sign.validation.dss import DocumentSecurityStore
    from pyhanko.sign.validation.errors import NoDSSFoundError

    info = _DssRevinfo()
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return info
    info.certs = list(dss.load_certs())
    for ref in dss.ocsps:
        response = asn1_ocsp.OCSPResponse.load(
            ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE)
        )
        info.ocsps.append(response)
        basic = response["response_bytes"]["response"].parsed
        for single in basic["tbs_response_data"]["responses"]:
            cert_id = single["cert_id"]
            info.ocsp_serials.add(
                (cert_id["issuer_key_hash"].native, cert_id["serial_number"].native)
            )
    for ref in dss.crls:
        crl = asn1_crl.CertificateList.load(ref.get_object().read_data(DecodePurpose.CRL))
        info.crls.append(crl)
        info.crl_issuers.add(crl.issuer.dump())
    return info


def _covered_by_dss(cert: x509.Certificate, dss: _DssRevinfo) -> bool:
    if cert.issuer.dump() in dss.crl_issuers:
        return True
    return any(serial == cert.serial_number for _key_hash, serial in dss.ocsp_serials)


def _validation_context(
    trust: TrustSettings, dss: _DssRevinfo, *, allow_fetching: bool, session: Any
) -> ValidationContext:
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

    fetching = allow_fetching and trust.allow_fetching
    mode = trust.revocation.value if fetching else RevocationPolicy.SOFT_FAIL.value
    return ValidationContext(
        trust_roots=list(trust.trust_roots),
        other_certs=[*trust.other_certs, *dss.certs],
        ocsps=dss.ocsps,
        crls=dss.crls,
        allow_fetching=fetching,
        revocation_mode=mode,
        fetcher_backend=(
            AIOHttpFetcherBackend(session, per_request_timeout=trust.fetch_timeout)
            if fetching
            else None
        ),
    )


def _ades_spec(trust: TrustSettings, *, allow_fetching: bool, session: Any) -> Any:
    from pyhanko.sign.validation.policy_decl import (
        PdfSignatureValidationSpec,
        RevinfoOnlineFetchingRule,
        RevocationInfoGatheringSpec,
        SignatureValidationSpec,
    )
    from pyhanko_certvalidator.context import CertValidationPolicySpec
    from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
    from pyhanko_certvalidator.policy_decl import REQUIRE_REVINFO, CertRevTrustPolicy
    from pyhanko_certvalidator.registry import SimpleTrustManager

    # Without fetching, LOCAL_ONLY makes the AdES process use the DSS instead of failing on
    # the first unreachable responder (measured: B-LTA PASSED offline, not with the default).
    rule = (
        RevinfoOnlineFetchingRule.NO_HISTORICAL_FETCH
        if allow_fetching and trust.allow_fetching
        else RevinfoOnlineFetchingRule.LOCAL_ONLY
    )
    return PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=CertValidationPolicySpec(
                trust_manager=SimpleTrustManager.build(trust_roots=list(trust.trust_roots)),
                revinfo_policy=CertRevTrustPolicy(REQUIRE_REVINFO),
            ),
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                online_fetching_rule=rule,
                fetcher_backend=AIOHttpFetcherBackend(
                    session, per_request_timeout=trust.fetch_timeout
                ),
            ),
            key_usage_settings=_key_usage(trust),
        )
    )


def _key_usage(trust: TrustSettings) -> Any:
    from pyhanko.sign.validation.settings import KeyUsageConstraints

    # Same rule as before signing: any one of the accepted key usages (pyHanko: all of them).
    return KeyUsageConstraints(key_usage=set(trust.signer_key_usages), match_all_key_usages=False)


async def _validate_one(
    sig: EmbeddedPdfSignature,
    *,
    index: int,
    embedded: list[EmbeddedPdfSignature],
    dss: _DssRevinfo,
    trust: TrustSettings,
    allow_fetching: bool,
    session: Any,
) -> SignatureReport:
    from pyhanko.sign.validation import (
        async_validate_pdf_signature,
        async_validate_pdf_timestamp,
    )
    from pyhanko.sign.validation.ades import ades_lta_validation

    context = _validation_context(trust, dss, allow_fetching=allow_fetching, session=session)
    try:
        if sig.sig_object_type == "/DocTimeStamp":
            ts_status = await async_validate_pdf_timestamp(sig, validation_context=context)
            return _report(
                sig,
                index=index,
                kind=DOCUMENT_TIMESTAMP,
                status=ts_status,
                level=None,
                signing_time=ts_status.timestamp,
                timestamp_time=ts_status.timestamp,
                bottom_line=bool(ts_status.intact and ts_status.valid and ts_status.trusted),
                ades=None,
            )
        status = await async_validate_pdf_signature(
            sig,
            signer_validation_context=context,
            ts_validation_context=context,
            key_usage_settings=_key_usage(trust),
        )
    finally:
        await context.aclose()
    ades = await ades_lta_validation(
        sig, _ades_spec(trust, allow_fetching=allow_fetching, session=session)
    )
    timestamp = status.timestamp_validity.timestamp if status.timestamp_validity else None
    return _report(
        sig,
        index=index,
        kind=SIGNATURE,
        status=status,
        level=_level(sig, timestamped=timestamp is not None, embedded=embedded, dss=dss),
        signing_time=status.signer_reported_dt,
        timestamp_time=timestamp,
        bottom_line=status.bottom_line,
        ades=ades,
    )


def _level(
    sig: EmbeddedPdfSignature,
    *,
    timestamped: bool,
    embedded: list[EmbeddedPdfSignature],
    dss: _DssRevinfo,
) -> str:
    """The PAdES baseline level the signature's structure reaches (EN 319 142-1 §6)."""
    if not timestamped:
        return "B-B"
    if not _covered_by_dss(sig.signer_cert, dss):
        return "B-T"
    later_doc_ts = any(
        other.sig_object_type == "/DocTimeStamp" and other.signed_revision > sig.signed_revision
        for other in embedded
    )
    return "B-LTA" if later_doc_ts else "B-LT"


def _report(
    sig: EmbeddedPdfSignature,
    *,
    index: int,
    kind: str,
    status: Any,
    level: str | None,
    signing_time: datetime | None,
    timestamp_time: datetime | None,
    bottom_line: bool,
    ades: Any,
) -> SignatureReport:
    modification = status.modification_level.name if status.modification_level else None
    coverage = status.coverage.name if status.coverage is not None else "UNCLEAR"
    problems = []
    diff = status.diff_result
    if diff is not None and not hasattr(diff, "modification_level"):
        problems.append(str(diff))  # a SuspiciousModification: says what changed
    if ades is not None and ades.failure_msg and ades.ades_subindic.status.name != "PASSED":
        problems.append(ades.failure_msg)
    tampered = modification not in _HARMLESS_MODIFICATIONS or coverage in (
        "UNCLEAR",
        "CONTIGUOUS_BLOCK_FROM_START",
    )
    return SignatureReport(
        index=index,
        kind=kind,
        field_name=str(sig.field_name),
        revision=sig.signed_revision,
        signer=CertificateInfo.of(sig.signer_cert) if sig.signer_cert is not None else None,
        signing_time=signing_time,
        timestamp_time=timestamp_time,
        level=level,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        revoked=bool(status.revoked),
        coverage=coverage,
        modification_level=modification,
        docmdp_ok=status.docmdp_ok,
        bottom_line=bool(bottom_line),
        ades_indication=ades.ades_subindic.status.name if ades is not None else None,
        ades_subindication=ades.ades_subindic.standard_name if ades is not None else None,
        modified_after_signing=tampered,
        problems=tuple(problems),
    )


def _broken(
    sig: Any, *, index: int, problem: str, field_name: str | None = None
) -> SignatureReport:
    name = field_name or getattr(sig, "field_name", None) or "?"
    return SignatureReport(
        index=index,
        kind=DOCUMENT_TIMESTAMP
        if getattr(sig, "sig_object_type", "") == "/DocTimeStamp"
        else SIGNATURE,
        field_name=str(name),
        revision=getattr(sig, "signed_revision", -1),
        signer=None,
        signing_time=None,
        timestamp_time=None,
        level=None,
        intact=False,
        valid=False,
        trusted=False,
        revoked=False,
        coverage="UNCLEAR",
        modification_level=None,
        docmdp_ok=None,
        bottom_line=False,
        ades_indication=None,
        ades_subindication=None,
        modified_after_signing=True,
        problems=(problem,),
    )
