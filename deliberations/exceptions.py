"""Refusals raised by the deliberations services (messages are shown to users as they are)."""

from core.exceptions import Conflict, DelibreError, Forbidden, InvalidInput, NotFound


class DeliberationError(DelibreError):
    """Base of the deliberations app errors."""


class InvalidData(DeliberationError, InvalidInput):
    code = "invalid"


class NotAllowed(DeliberationError, Forbidden):
    code = "forbidden"


class ObjectNotFound(DeliberationError, NotFound):
    code = "not_found"


class StateConflict(DeliberationError, Conflict):
    """An action that the current state does not permit, or a concurrent change."""

    code = "conflict"


class QuorumNotReached(DeliberationError, Conflict):
    code = "quorum_not_reached"


class StaleRevision(DeliberationError, Conflict):
    code = "stale_revision"


class NumberingError(DeliberationError, InvalidInput):
    code = "numbering"


class InvalidAnnex(DeliberationError, InvalidInput):
    code = "invalid_annex"


class InvalidClassification(DeliberationError, InvalidInput):
    code = "invalid_classification"
