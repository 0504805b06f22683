"""Refusals raised by lifecycles, circuits and delegations."""

from core.exceptions import Conflict, DelibreError, Forbidden, InvalidInput


class WorkflowError(DelibreError):
    """Base of the workflow app errors."""


class TransitionRefused(WorkflowError, Conflict):
    """The lifecycle does not allow this action in the current state."""

    code = "transition_refused"


class NotAuthorised(WorkflowError, Forbidden):
    code = "not_authorised"


class AlreadyDecided(WorkflowError, Conflict):
    code = "already_decided"


class InvalidWorkflowInput(WorkflowError, InvalidInput):
    code = "invalid"
