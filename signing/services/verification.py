"""Verification for anyone: a PDF (or a PES flow) checked, and matched with this instance.

Used by the public page, the public API and ``manage.py verify``. Uploaded files come from
anyone: they are size-bounded by the callers, parsed by pyHanko or lxml with network access and
entities off, and validated **without fetching**: the URLs inside an uploaded certificate are
never requested (they could point inside our network); the revocation data embedded in the
document (B-LT, B-LTA) is used. No side effect: nothing is stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from ..exceptions import InvalidDocument, SigningNotConfigured
from ..models import Signature as SignedVersion
from ..selectors import find_signed_version_by_sha256, instance_trust_settings, is_latest
from ..validation import PdfValidationReport, validate_pdf

if TYPE_CHECKING:
    from exports.pes.verify import FlowVerification

    from ..trust import TrustSettings

PDF = "pdf"
PES = "pes"


@dataclass
class VerificationResult:
    """What a file is, whether its signatures hold, and whether this instance signed it."""

    kind: str
    sha256: str
    size: int
    pdf: PdfValidationReport | None = None
    pes: FlowVerification | None = None
    match: SignedVersion | None = None
    match_is_latest: bool = False

    @property
    def valid(self) -> bool:
        if self.pdf is not None:
            return self.pdf.all_valid
        return bool(self.pes is not None and self.pes.valid)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "sha256": self.sha256,
            "size": self.size,
            "valid": self.valid,
            "signed_by_this_instance": self.match is not None,
            "match": match_dict(self.match, latest=self.match_is_latest) if self.match else None,
        }
        if self.pdf is not None:
            data["report"] = self.pdf.as_dict()
        if self.pes is not None:
            data["report"] = pes_dict(self.pes)
        return data


def match_dict(version: SignedVersion, *, latest: bool) -> dict[str, Any]:
    """Public facts about a version signed here (no internal identifiers beyond the act's)."""
    act = version.act
    seance = version.seance
    return {
        "collectivite": version.collectivite.name,
        "act_number": act.number if act is not None else None,
        "act_objet": act.objet if act is not None else None,
        "seance_date": seance.date.isoformat() if seance is not None else None,
        "document_kind": version.document.kind,
        "version": version.sequence,
        "kind": version.kind,
        "signed_at": version.signed_at.isoformat(),
        "signer": version.signer_name or None,
        "is_latest": latest,
    }


def pes_dict(flow: FlowVerification) -> dict[str, Any]:
    return {
        "valid": flow.valid,
        "has_global_signature": flow.has_global_signature,
        "bordereaux": [
            {
                "kind": str(b.kind),
                "index": b.index,
                "id": b.element_id,
                "exercice": b.exercice,
                "id_bord": b.id_bord,
                "signed": b.signed,
                "valid": b.valid,
                "signer": b.signer_common_name,
                "signer_subject": b.signer_subject,
                "signing_time": b.signing_time.isoformat() if b.signing_time else None,
                "claimed_role": b.claimed_role,
                "policy": b.policy_identifier,
                "chain_valid": b.chain_valid,
                "problems": [str(p) for p in b.problems],
                "warnings": [str(w) for w in b.warnings],
            }
            for b in flow.bordereaux
        ],
    }


def sniff(data: bytes) -> str | None:
    """ "pdf", "pes" (an XML document) or None, from the first bytes."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return PES
    if b"%PDF-" in data[:1024]:
        return PDF
    return None


def verify_bytes(
    data: bytes, *, allow_fetching: bool = False, trust: TrustSettings | None = None
) -> VerificationResult:
    """Verify a PDF (every signature) or a PES_Aller (every bordereau) against the instance's
    trusted roots, and look its SHA-256 up among the versions signed here.

    Raises :class:`InvalidDocument` for a file that is neither a readable PDF nor a well-formed
    PES flow, :class:`SigningNotConfigured` when no root is trusted at all. ``trust`` replaces
    the instance's roots (the ``verify`` command's ``--trust-roots``).
    """
    sha256 = hashlib.sha256(data).hexdigest()
    kind = sniff(data)
    if kind is None:
        raise InvalidDocument(
            _("This file is neither a PDF document nor a PES flow: nothing can be verified.")
        )
    trust = trust or instance_trust_settings()
    match = find_signed_version_by_sha256(sha256)
    result = VerificationResult(
        kind=kind,
        sha256=sha256,
        size=len(data),
        match=match,
        match_is_latest=is_latest(match) if match is not None else False,
    )
    if kind == PDF:
        if trust is None:
            raise SigningNotConfigured(
                _("No certification authority is trusted on this instance yet.")
            )
        result.pdf = validate_pdf(data, trust=trust, allow_fetching=allow_fetching)
        return result
    from cryptography import x509

    from exports.pes.exceptions import PesFileRefused
    from exports.pes.verify import verify_flow

    roots = [x509.load_der_x509_certificate(c.dump()) for c in trust.trust_roots] if trust else None
    try:
        result.pes = verify_flow(data, trust_roots=roots, max_bytes=max(len(data), 1))
    except PesFileRefused as exc:
        raise InvalidDocument(
            _("This XML file is not a PES flow that can be verified: %(reason)s") % {"reason": exc}
        ) from exc
    return result
