"""Refusals raised by lifecycles, circuits and delegations."""

from core.exceptions import Conflict, DelibreError, Forbidden, InvalidInput, NotFound


class WorkflowError(DelibreError):
    """Base of the workflow app errors."""


class TransitionRefused(WorkflowError, Conflict):
    """The lifecycle does not allow this action in the current state."""

    code = "transition_refused"


class NotAuthorised(WorkflowError, Forbidden):
    code = "not_authorised"


class AlreadyDecided(WorkflowError, Conflict):
    """Someone else decided first (or the run was closed in the meantime)."""

    code = "already_decided"


class OpinionPending(WorkflowError, Conflict):
    """The step waits for an opinion ("aller-retour") and cannot be decided yet."""

    code = "opinion_pending"


class InvalidWorkflowInput(WorkflowError, InvalidInput):
    code = "invalid"


class WorkflowObjectNotFound(WorkflowError, NotFound):
    code = "not_found"


class EmailNotSent(Exception):
    """Transient: the mail server did not take some notification e-mails (never shown to users;
    the notification task retries them, bounded)."""
