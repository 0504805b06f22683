"""Refusals raised by the signing core (messages are shown to users as they are).

Every refusal is raised *before* anything is written: a function that raises returns nothing,
so no half-signed document can be stored (DESIGN.md decision 6, issue #5).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _

from core.exceptions import Conflict, DelibreError, Forbidden, InvalidInput, NotFound


class SigningError(DelibreError):
    """Base of the signing app errors."""

    code = "signing_error"

    def default_message(self) -> Any:
        return _("The document could not be signed.")


class CertificateProblem(StrEnum):
    """Why a signing certificate is refused (also the error ``code``)."""

    EXPIRED = "certificate_expired"
    NOT_YET_VALID = "certificate_not_yet_valid"
    REVOKED = "certificate_revoked"
    UNTRUSTED = "certificate_untrusted"
    WRONG_KEY_USAGE = "certificate_wrong_key_usage"


class CertificateRefused(SigningError, InvalidInput):
    """The signer's certificate may not sign now; ``problem`` says why."""

    def __init__(self, message: Any, *, problem: CertificateProblem):
        super().__init__(message, code=problem.value)
        self.problem = problem


class KeyUnavailable(SigningError, InvalidInput):
    """The signing key cannot be opened (file, token or configuration problem)."""

    code = "key_unavailable"


class WrongPassword(KeyUnavailable):
    """The PKCS#12 password (or the token PIN) is wrong."""

    code = "wrong_password"


class TrustServiceUnavailable(SigningError):
    """The time-stamping authority or a revocation service (OCSP, CRL) cannot be reached.

    Not the user's fault and usually temporary: interfaces should offer to retry later. The
    ``unavailable`` kind is not mapped by ``core.api`` yet (it falls back to 400); 503 fits.
    """

    kind = "unavailable"
    code = "trust_service_unavailable"


class InvalidDocument(SigningError, InvalidInput):
    """The bytes are not a readable PDF, or not one this operation can work on."""

    code = "invalid_document"


class SignatureFieldError(SigningError, InvalidInput):
    """The signature field to fill is missing, already signed, or cannot be created."""

    code = "signature_field"


# --- Refusals of the signing services (circuits, documents, settings) ----------------------


class NotAllowedToSign(SigningError, Forbidden):
    """The actor may not sign this step or document (not an assignee, not its signer…)."""

    code = "not_allowed_to_sign"


class StepNotSignable(SigningError, Conflict):
    """The step is not a signature or seal step waiting for a decision."""

    code = "step_not_signable"


class DocumentNotReady(SigningError, Conflict):
    """The document to sign is not rendered (or its rendering failed)."""

    code = "document_not_ready"

    def default_message(self) -> Any:
        return _(
            "The document of this act is not rendered yet: render it from the Documents panel, "
            "then sign."
        )


class DocumentChanged(SigningError, Conflict):
    """The bytes to sign are not the ones that entered the circuit (tampered or replaced)."""

    code = "document_changed"

    def default_message(self) -> Any:
        return _(
            "The document changed since it entered the circuit: it is not the one the earlier "
            "signers approved, so it cannot be signed. Nothing was signed."
        )


class DocumentOutdated(SigningError, Conflict):
    """The act changed after its document was rendered (before the first signature)."""

    code = "document_outdated"

    def default_message(self) -> Any:
        return _(
            "The act changed since its document was rendered: render the document again, "
            "check it, then sign."
        )


class SignedMeanwhile(SigningError, Conflict):
    """Another signature was applied to the same document while this one was being made."""

    code = "signed_meanwhile"

    def default_message(self) -> Any:
        return _("Someone signed this document at the same moment: reload the page and sign again.")


class SignatureNotValid(SigningError, Conflict):
    """The document failed its validation right after signing: nothing is kept."""

    code = "signature_not_valid"


class SigningNotConfigured(SigningError, InvalidInput):
    """Trust roots, TSA or seal missing for what is asked."""

    code = "signing_not_configured"


class InvalidSigningInput(SigningError, InvalidInput):
    """A form or API input the signing services cannot use."""

    code = "invalid"


class SigningObjectNotFound(SigningError, NotFound):
    code = "not_found"
