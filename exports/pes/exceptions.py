"""Refusals raised by the PES V2 library (STYLE.md §9).

Every error derives from :class:`core.exceptions.DelibreError`, carries a user-safe translated
message, and means that nothing was written. File-level refusals carry the full list of
problems found in :attr:`PesInvalidFile.issues` so that an interface can show all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from core.exceptions import Conflict, DelibreError, Forbidden, InvalidInput

if TYPE_CHECKING:
    from .issues import PesIssue


class PesError(DelibreError):
    """Base of the PES V2 errors."""

    code = "pes_error"


class PesInvalidFile(PesError, InvalidInput):
    """A PES file that cannot be accepted: malformed, unsafe, too large or failing the rules.

    ``issues`` lists every problem found (at least one), in file order where known.
    """

    code = "pes_invalid_file"

    def __init__(
        self,
        message: Any = "",
        *,
        issues: Sequence[PesIssue] = (),
        code: str | None = None,
        field: str | None = None,
    ):
        super().__init__(message, code=code, field=field)
        self.issues: list[PesIssue] = list(issues)


class PesFileRefused(PesInvalidFile):
    """Refused before any validation: too large, DTD or entities, unsupported encoding,
    not well-formed, not the expected kind of PES document."""

    code = "pes_file_refused"


class PesBuildError(PesError, InvalidInput):
    """The data given to the builder cannot make a valid PES_Aller. When the built flow fails
    the checks, ``issues`` lists what the reader found."""

    code = "pes_build"

    def __init__(
        self,
        message: Any = "",
        *,
        issues: Sequence[PesIssue] = (),
        code: str | None = None,
        field: str | None = None,
    ):
        super().__init__(message, code=code, field=field)
        self.issues: list[PesIssue] = list(issues)


class PesSignatureError(PesError, InvalidInput):
    """A flow or a key that cannot be used to sign."""

    code = "pes_signature"


class PesCertificateRefused(PesSignatureError):
    """The signing certificate is expired, not yet valid, or not meant for signing."""

    code = "pes_certificate_refused"


class PesAlreadySigned(PesError, Conflict):
    """A bordereau (or the whole flow) already carries a signature."""

    code = "pes_already_signed"


# --- Refusals of the services (stored flows, circuits, sending) -------------------------------


class PesNotAllowed(PesError, Forbidden):
    """The user's role does not allow this action on treasury flows."""

    code = "pes_not_allowed"


class PesWrongCollectivite(PesError, InvalidInput):
    """The file is addressed to another collectivité (IdColl)."""

    code = "pes_wrong_collectivite"


class PesDuplicateFile(PesError, Conflict):
    """This very file was already imported (and not withdrawn)."""

    code = "pes_duplicate_file"


class PesStateRefused(PesError, Conflict):
    """The flow is not in a state that allows this action (not signed yet, already sent…)."""

    code = "pes_state"


class PesNotConfigured(PesError, InvalidInput):
    """The collectivité's PES identifiers, circuit or connector are missing."""

    code = "pes_not_configured"


class PesMandatesInvalid(PesError, InvalidInput):
    """The table of mandats to issue has errors; ``problems`` lists them by line."""

    code = "pes_mandates_invalid"

    def __init__(self, message: Any = "", *, problems: Sequence[str] = (), code: str | None = None):
        super().__init__(message, code=code)
        self.problems: list[str] = list(problems)


class PesDeliveryFailed(PesError, InvalidInput):
    """The drop folder or S2LOW refused the flow for good (the flow can be sent again later)."""

    code = "pes_delivery_failed"


class PesDeliveryUnavailable(PesError, Conflict):
    """The drop folder or S2LOW cannot be reached now: another attempt will be made."""

    code = "pes_delivery_unavailable"
