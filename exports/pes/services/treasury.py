"""The treasury's side: verifying the signatures of a flow it receives, and keeping the report.

The treasury (comptable public) sees the signed flows of the collectivité, downloads them and
asks for a verification report: for every bordereau, whether its signature holds (digests,
signature value, signing certificate binding, certificate valid at signing time, Hélios policy),
who signed, with which certificate, under which policy and claimed role, and when. With trust
roots (the collectivité's trusted roots of the signing settings, or DELIBRE_PES_TRUST_ROOTS) the
certificate chain is checked too. Each report is stored as it was made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography import x509
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberations.enums import Role
from deliberations.models import User
from deliberations.permissions import require_role
from workflow.journal import record_event

from ..enums import TREASURY_STATUSES
from ..exceptions import PesStateRefused
from ..models import PesFlow, PesVerificationReport
from ..verify import BordereauSignatureReport, load_trust_roots, verify_flow
from ._common import FINANCE_ROLES, lock_flow, stored_copy

VERIFIER_ROLES = (Role.TREASURY, *FINANCE_ROLES)


def trust_roots_for(collectivite_id: int) -> list[x509.Certificate] | None:
    """The roots a chain is checked against, or None (chains are then not checked)."""
    roots: list[x509.Certificate] = []
    try:
        from signing.selectors import trusted_roots_for

        for root in trusted_roots_for(collectivite_id):
            roots += load_trust_roots(root.pem.encode())
    except ImportError:
        pass
    bundle = settings.DELIBRE_PES_TRUST_ROOTS
    if bundle and Path(bundle).is_file():
        roots += load_trust_roots(Path(bundle).read_bytes())
    return roots or None


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def report_dict(report: BordereauSignatureReport) -> dict[str, Any]:
    place = report.production_place
    return {
        "kind": report.kind,
        "index": report.index,
        "element_id": report.element_id,
        "exercice": report.exercice,
        "id_bord": report.id_bord,
        "signed": report.signed,
        "valid": report.valid,
        "problems": [{"code": i.code, "message": str(i.message)} for i in report.problems],
        "warnings": [{"code": i.code, "message": str(i.message)} for i in report.warnings],
        "signer_subject": report.signer_subject,
        "signer_common_name": report.signer_common_name,
        "certificate_serial": (
            str(report.certificate_serial) if report.certificate_serial is not None else None
        ),
        "certificate_issuer": report.certificate_issuer,
        "certificate_not_before": _iso(report.certificate_not_before),
        "certificate_not_after": _iso(report.certificate_not_after),
        "signing_time": _iso(report.signing_time),
        "policy_identifier": report.policy_identifier,
        "policy_description": report.policy_description,
        "claimed_role": report.claimed_role,
        "production_place": (
            {"city": place.city, "postal_code": place.postal_code, "country": place.country}
            if place is not None
            else None
        ),
        "digest_algorithm": report.digest_algorithm,
        "signature_algorithm": report.signature_algorithm,
        "chain_checked": report.chain_checked,
        "chain_valid": report.chain_valid,
        "chain_subjects": list(report.chain_subjects),
    }


def verify_for_treasury(*, flow: PesFlow, actor: User) -> PesVerificationReport:
    """Verify every bordereau signature of a signed flow and keep the report.

    Who: the treasury, the finance service, the ordonnateur, an administrator. Refused for a
    flow that is not signed yet. Side effects: a PesVerificationReport; journal event
    ``pes.flow.verified`` on the flow's chain.
    """
    with transaction.atomic():
        current = lock_flow(flow.pk)
        require_role(actor, current.collectivite, *VERIFIER_ROLES)
        if current.status not in TREASURY_STATUSES:
            raise PesStateRefused(_("Only a signed flow can be verified."))
        with stored_copy(current.current_file.name) as path:
            verification = verify_flow(path, trust_roots=trust_roots_for(current.collectivite_id))
        reports = [report_dict(r) for r in verification.bordereaux]
        row = PesVerificationReport.objects.create(
            flow=current,
            file_sha256=current.current_sha256,
            valid=verification.valid,
            chain_checked=any(r["chain_checked"] for r in reports),
            bordereaux=reports,
            requested_by=actor,
            created_at=timezone.now(),
        )
        record_event(
            current,
            "pes.flow.verified",
            actor=actor,
            data={
                "flow": current.pk,
                "report": row.pk,
                "sha256": current.current_sha256,
                "valid": row.valid,
                "bordereaux": [
                    {"element_id": r["element_id"], "valid": r["valid"]} for r in reports
                ],
            },
        )
    return row
