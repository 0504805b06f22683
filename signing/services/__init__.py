"""Domain actions of the signing app (STYLE.md §2): keys and trust, signatures, batches,
archives, verification. Interfaces import from here."""

from .archives import RenewalSummary, renew_archive, renew_due_archives
from .batches import interrupt_batch, run_batch, start_batch
from .certificates import add_certificate, delete_certificate
from .configuration import (
    SealCheck,
    add_trusted_root,
    check_seal,
    set_step_policy,
    set_trusted_root_active,
    update_signing_settings,
)
from .signing import field_for_step, sign_document, sign_step, sign_step_with
from .verification import VerificationResult, verify_bytes
from .versions import KeySource, is_outdated

__all__ = [
    "KeySource",
    "RenewalSummary",
    "SealCheck",
    "VerificationResult",
    "add_certificate",
    "add_trusted_root",
    "check_seal",
    "delete_certificate",
    "field_for_step",
    "interrupt_batch",
    "is_outdated",
    "renew_archive",
    "renew_due_archives",
    "run_batch",
    "set_step_policy",
    "set_trusted_root_active",
    "sign_document",
    "sign_step",
    "sign_step_with",
    "start_batch",
    "update_signing_settings",
    "verify_bytes",
]
