"""Refusals of the training sandboxes (messages are shown to users as they are)."""

from __future__ import annotations

from core.exceptions import Conflict, Forbidden, InvalidInput


class SandboxRefused(InvalidInput):
    code = "sandbox_refused"


class NotASandbox(Conflict):
    """Resetting deletes data: only ever done to a training collectivité."""

    code = "not_a_sandbox"


class SandboxNotAllowed(Forbidden):
    code = "forbidden"
