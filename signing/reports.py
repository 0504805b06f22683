"""Validation reports: what :func:`signing.validation.validate_pdf` found, as plain data.

Dataclasses with ``as_dict()`` for JSON: stored with the act, shown on its page, printed by
``manage.py verify --json``. No pyHanko import here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from asn1crypto import x509

SIGNATURE = "signature"
DOCUMENT_TIMESTAMP = "document_timestamp"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@cache
def _name_labels() -> dict[Any, str]:
    from cryptography.x509.oid import NameOID

    # Attributes French qualified certificates carry that RFC 4514 prints as bare OIDs.
    return {
        NameOID.TITLE: "title",
        NameOID.SERIAL_NUMBER: "serialNumber",
        NameOID.GIVEN_NAME: "givenName",
        NameOID.SURNAME: "SN",
        NameOID.ORGANIZATION_IDENTIFIER: "organizationIdentifier",
        NameOID.EMAIL_ADDRESS: "emailAddress",
    }


@dataclass(frozen=True)
class CertificateInfo:
    common_name: str
    subject: str  # RFC 4514
    issuer: str  # RFC 4514
    serial: str  # hexadecimal
    not_before: datetime
    not_after: datetime

    @classmethod
    def of(cls, cert: x509.Certificate) -> CertificateInfo:
        from cryptography import x509 as pyca_x509

        from .keys import common_name

        parsed = pyca_x509.load_der_x509_certificate(cert.dump())
        return cls(
            common_name=common_name(cert),
            subject=parsed.subject.rfc4514_string(_name_labels()),
            issuer=parsed.issuer.rfc4514_string(_name_labels()),
            serial=format(cert.serial_number, "X"),
            not_before=cert.not_valid_before,
            not_after=cert.not_valid_after,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "common_name": self.common_name,
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": self.serial,
            "not_before": _iso(self.not_before),
            "not_after": _iso(self.not_after),
        }


@dataclass(frozen=True)
class SignatureReport:
    """One signature or document timestamp, as judged at validation time."""

    index: int  # 1-based, in revision order, signatures and document timestamps together
    kind: str  # SIGNATURE or DOCUMENT_TIMESTAMP
    field_name: str
    revision: int  # the PDF revision the signature covers (0 = the original document)
    signer: CertificateInfo | None
    signing_time: datetime | None  # claimed by the signer (/M); for timestamps, the TSA time
    timestamp_time: datetime | None  # the signature timestamp (B-T and up), or the TSA time
    level: str | None  # "B-B", "B-T", "B-LT", "B-LTA" (signatures only)
    intact: bool  # the signed bytes are unchanged
    valid: bool  # the cryptographic signature is correct
    trusted: bool  # the certificate chains to a trust root, is in its dates and not revoked
    revoked: bool
    coverage: str  # ENTIRE_FILE, ENTIRE_REVISION, CONTIGUOUS_BLOCK_FROM_START, UNCLEAR
    modification_level: str | None  # NONE, LTA_UPDATES, FORM_FILLING, ANNOTATIONS, OTHER
    docmdp_ok: bool | None
    bottom_line: bool  # pyHanko's overall verdict at validation time
    ades_indication: str | None  # PASSED, INDETERMINATE, FAILED (signatures only)
    ades_subindication: str | None  # e.g. OK, NO_POE, SIG_CONSTRAINTS_FAILURE
    modified_after_signing: bool  # changes beyond filling signature fields and adding LTV data
    problems: tuple[str, ...] = ()

    @property
    def acceptable(self) -> bool:
        """Valid now, or long-term valid (AdES PASSED), and nothing changed since."""
        if not (self.intact and self.valid) or self.modified_after_signing:
            return False
        if self.kind == DOCUMENT_TIMESTAMP:
            return self.trusted
        return self.bottom_line or self.ades_indication == "PASSED"

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "kind": self.kind,
            "field_name": self.field_name,
            "revision": self.revision,
            "signer": self.signer.as_dict() if self.signer else None,
            "signing_time": _iso(self.signing_time),
            "timestamp_time": _iso(self.timestamp_time),
            "level": self.level,
            "intact": self.intact,
            "valid": self.valid,
            "trusted": self.trusted,
            "revoked": self.revoked,
            "coverage": self.coverage,
            "modification_level": self.modification_level,
            "docmdp_ok": self.docmdp_ok,
            "bottom_line": self.bottom_line,
            "ades_indication": self.ades_indication,
            "ades_subindication": self.ades_subindication,
            "modified_after_signing": self.modified_after_signing,
            "acceptable": self.acceptable,
            "problems": list(self.problems),
        }


@dataclass(frozen=True)
class PdfValidationReport:
    """Every signature of a document, and the verdict on the whole."""

    sha256: str
    size: int
    validated_at: datetime
    signatures: tuple[SignatureReport, ...]
    unsigned_fields: tuple[str, ...] = ()
    allow_fetching: bool = False

    @property
    def signature_count(self) -> int:
        return sum(1 for s in self.signatures if s.kind == SIGNATURE)

    @property
    def document_timestamps(self) -> tuple[SignatureReport, ...]:
        return tuple(s for s in self.signatures if s.kind == DOCUMENT_TIMESTAMP)

    @property
    def all_valid(self) -> bool:
        """At least one signature, and every signature and document timestamp acceptable."""
        return self.signature_count > 0 and all(s.acceptable for s in self.signatures)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "size": self.size,
            "validated_at": _iso(self.validated_at),
            "allow_fetching": self.allow_fetching,
            "all_valid": self.all_valid,
            "signature_count": self.signature_count,
            "signatures": [s.as_dict() for s in self.signatures],
            "unsigned_fields": list(self.unsigned_fields),
        }
