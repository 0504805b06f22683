"""Refusals raised by the PES V2 library (STYLE.md §9).

Every error derives from :class:`core.exceptions.DelibreError`, carries a user-safe translated
message, and means that nothing was written. File-level refusals carry the full list of
problems found in :attr:`PesInvalidFile.issues` so that an interface can show all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from core.exceptions import Conflict, DelibreError, InvalidInput

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
