"""Helpers of the signing integration tests: what "nothing was written" means, bad certificates
arranged directly (the upload refuses them), validation summaries."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from django.conf import settings

from core.files import store_bytes
from signing.keys import load_pkcs12_signer
from signing.models import Signature, UserCertificate, ValidationReport
from signing.reports import CertificateInfo
from signing.validation import run_pdfsig
from tests.signing.conftest import PASSWORD
from workflow.models import AuditEvent, Decision


def stored_signatures() -> list[str]:
    root = Path(settings.MEDIA_ROOT) / "signatures"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.pdf")) if root.exists() else []


def state(step: Any, document: Any) -> dict[str, Any]:
    """Everything a signature writes: rows, files, the step, its decisions, the journal."""
    step.refresh_from_db()
    document.refresh_from_db()
    return {
        "signatures": Signature.objects.count(),
        "reports": ValidationReport.objects.count(),
        "files": stored_signatures(),
        "step": step.status,
        "decisions": Decision.objects.filter(step_run=step).count(),
        "events": AuditEvent.objects.filter(chain__key=document.journal_chain_key).count(),
        "frozen": document.frozen_at,
    }


def raw_certificate(user: Any, pki: Any, label: str) -> UserCertificate:
    """A certificate row made directly (as if uploaded before it went bad)."""
    data = pki.p12_bytes(label)
    cert = load_pkcs12_signer(data=data, password=PASSWORD).signing_cert
    info = CertificateInfo.of(cert)
    return UserCertificate.objects.create(
        user=user,
        file=store_bytes(f"signing/certificates/{user.pk}", data, extension="p12"),
        file_sha256=hashlib.sha256(data).hexdigest(),
        common_name=info.common_name,
        subject=info.subject,
        issuer=info.issuer,
        serial=info.serial,
        fingerprint=hashlib.sha256(cert.dump()).hexdigest(),
        not_before=info.not_before,
        not_after=info.not_after,
    )


def summary(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    """(kind, field, level, bottom line, AdES indication, subindication, modified) per entry."""
    return [
        (
            s["kind"],
            s["field_name"] if s["kind"] == "signature" else "DocTimeStamp",
            s["level"],
            s["bottom_line"],
            s["ades_indication"],
            s["ades_subindication"],
            s["modified_after_signing"],
        )
        for s in report["signatures"]
    ]


def pdfsig_of(version: Signature, nss_db: Any = None) -> list[tuple[str, str | None, str | None]]:
    """pdfsig's text verdicts (its exit code says nothing) for the signed fields."""
    with version.file.open("rb") as handle:
        content = handle.read()
    return [
        (s.field_name, s.signature_validation, s.certificate_validation)
        for s in run_pdfsig(content, nss_dir=nss_db).signatures
        if s.signed and s.signature_type == "ETSI.CAdES.detached"
    ]


def content(version: Signature) -> bytes:
    with version.file.open("rb") as handle:
        return handle.read()


def overwrite(name: str, data: bytes) -> None:
    """Change a stored file behind the application's back (tampering in storage)."""
    (Path(settings.MEDIA_ROOT) / name).write_bytes(data)
