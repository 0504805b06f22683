"""Refusals raised while building, reading and transmitting @ctes (ACTES) messages.

Messages are user-safe, translated (English msgids) and say what to do. Two families:

* data errors (``InvalidActesData``, ``InvalidActesMessage``, ``UnsafeArchive``): the input is
  wrong; nothing was built, read or sent;
* transmission errors (``TdtError`` and below), raised by the S2LOW client. ``retryable`` tells a
  background task whether trying again later may succeed (timeouts, 5xx, refused connections) or
  not (certificate refused, business refusal such as a bad act number).
"""

from __future__ import annotations

from core.exceptions import Conflict, DelibreError, Forbidden, InvalidInput, NotFound


class ActesError(DelibreError):
    """Base of the ACTES library errors."""


class InvalidActesData(ActesError, InvalidInput):
    """The data given to a builder breaks the @ctes rules; nothing was built."""

    code = "invalid_actes_data"


class InvalidActesMessage(ActesError, InvalidInput):
    """An incoming file is not an @ctes message Délibre can read; nothing was imported."""

    code = "invalid_actes_message"


class UnsafeArchive(ActesError, InvalidInput):
    """An incoming archive is refused: path traversal, links, too many or too large members."""

    code = "unsafe_archive"


class TdtError(ActesError):
    """A call to the tiers de télétransmission (S2LOW) failed.

    ``detail`` keeps what the server said (French, as received) for the journal; the message is
    the user-safe explanation.
    """

    retryable = False

    def __init__(self, message: object = "", *, detail: str = "", code: str | None = None):
        super().__init__(message, code=code)
        self.detail = detail


class TdtUnavailable(TdtError, Conflict):
    """Transient: timeout, refused or reset connection, HTTP 5xx or 429. Try again later.

    ``may_have_reached_server`` is False only when the request certainly never arrived
    (connection refused, connect timeout): a non-idempotent call (creating a transaction) may be
    retried blindly only then, otherwise it must be reconciled first so that an act is never sent
    twice. There is no "unavailable" kind in core.exceptions; "conflict" is the closest (the
    request could not be completed now, nothing is wrong with it).
    """

    code = "tdt_unavailable"
    retryable = True

    def __init__(
        self,
        message: object = "",
        *,
        detail: str = "",
        may_have_reached_server: bool = True,
        code: str | None = None,
    ):
        super().__init__(message, detail=detail, code=code)
        self.may_have_reached_server = may_have_reached_server


class TdtAuthenticationFailed(TdtError, Forbidden):
    """Permanent: the client certificate (or login) was refused, or the server's certificate is
    not the expected one."""

    code = "tdt_authentication_failed"


class TdtRefused(TdtError, InvalidInput):
    """Permanent: the TdT answered KO (bad number, objet, classification…) or HTTP 4xx."""

    code = "tdt_refused"


class TdtNotFound(TdtError, NotFound):
    """Permanent: the TdT does not know this transaction (or answered HTTP 404)."""

    code = "tdt_not_found"


class TdtProtocolError(TdtError, Conflict):
    """Permanent: the TdT answered something this client cannot understand."""

    code = "tdt_protocol_error"


# -- Refusals of the transmission services (exports.actes.services) ----------------------------


class TransmissionRefused(ActesError, Conflict):
    """The act or the transmission is not in a state that allows this action; nothing changed."""

    code = "transmission_refused"


class StaleClassification(ActesError, Conflict):
    """The act's matière is not taken from the prefecture's current classification."""

    code = "stale_classification"


class TdtNotConfigured(ActesError, Conflict):
    """The collectivité has no usable connector to the tiers de télétransmission."""

    code = "tdt_not_configured"


class InvalidTdtSettings(ActesError, InvalidInput):
    """Settings of the connector that cannot work (missing folder, bad address…)."""

    code = "invalid_tdt_settings"


class ReturnRefused(ActesError, InvalidInput):
    """An incoming file that cannot be imported for this collectivité; nothing was imported."""

    code = "return_refused"
