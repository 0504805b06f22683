"""The validation of the signatures of each new act's PDF (signing.validation, offline)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from deliberations.models import Collectivite

from ..enums import SignatureCheck
from ..report import IMPORT
from .plan import ActPlan, Checker, SignatureResult


class SignatureChecks:
    """Validates the signatures of each new act's PDF with the collectivité's trust settings,
    without fetching anything (URLs inside the certificates are never requested), as soon as
    the row is read: the PDFs are not all kept in memory."""

    def __init__(self, collectivite: Collectivite):
        from signing.exceptions import SigningNotConfigured
        from signing.selectors import trust_settings_for

        self.trust: Any  # signing.trust.TrustSettings, or None when no root is trusted
        try:
            self.trust = trust_settings_for(collectivite)
        except SigningNotConfigured:
            self.trust = None  # signed PDFs are then reported as not judged (trust_missing)
        self.unjudged: list[str] = []

    def check(self, act: ActPlan, content: bytes, checker: Checker) -> None:
        from signing.exceptions import InvalidDocument
        from signing.fields import list_signature_fields
        from signing.selectors import find_signed_version_by_sha256
        from signing.validation import validate_pdf

        assert act.pdf is not None
        if find_signed_version_by_sha256(act.pdf.sha256) is not None:
            checker.problem(
                act.line,
                "pdf",
                _(
                    "This PDF was signed in Délibre itself: the act is already here, do not import it."
                ),
                "pdf_from_delibre",
            )
            return
        try:
            if self.trust is None:
                if any(f.signed for f in list_signature_fields(content)):
                    self.unjudged.append(act.number)
                else:
                    act.signature = SignatureResult(SignatureCheck.UNSIGNED, 0, {})
                return
            report = validate_pdf(content, trust=self.trust, allow_fetching=False)
        except InvalidDocument as exc:
            checker.problem(act.line, "pdf", f"{act.pdf.path}: {exc.message}", "pdf_unreadable")
            return
        act.signature = SignatureResult(
            summarize(report),
            report.signature_count,
            report.as_dict() if report.signatures else {},
        )

    def finish(self, checker: Checker) -> None:
        if not self.unjudged:
            return
        checker.problem(
            None,
            "pdf",
            _(
                "%(count)d PDFs are signed (%(first)s…) but no trusted certification authority "
                "is configured, so their signatures cannot be judged: add the authorities that "
                "issued the signers' certificates in the signing settings, then check again."
            )
            % {"count": len(self.unjudged), "first": self.unjudged[0]},
            "trust_missing",
            source=IMPORT,
        )


def summarize(report: Any) -> str:
    """valid / invalid / untrusted / unsigned, from signing.validation's report."""
    from signing.reports import SIGNATURE

    if not any(s.kind == SIGNATURE for s in report.signatures):
        return SignatureCheck.UNSIGNED
    if any(not (s.intact and s.valid) or s.modified_after_signing for s in report.signatures):
        return SignatureCheck.INVALID
    if all(s.acceptable for s in report.signatures):
        return SignatureCheck.VALID
    return SignatureCheck.UNTRUSTED
