"""Domain actions of the workflow app (verb-first, keyword-only, with an actor)."""

from ..selectors import applicable_circuits, pes_circuits
from .circuits import (
    StepSpec,
    create_circuit,
    create_group,
    deactivate_circuit,
    deactivate_group,
    update_circuit,
    update_group,
)
from .delegations import create_delegation, revoke_delegation
from .notifications import (
    create_notifications,
    mark_read,
    send_digests,
    send_reminders,
    set_notification_preference,
)
from .runs import (
    SignatureProof,
    answer_opinion,
    approve_step,
    lock_run,
    recall,
    reject_step,
    request_opinion,
    skip_step,
    start_circuit,
    start_flow_circuit,
)

__all__ = [
    "SignatureProof",
    "StepSpec",
    "answer_opinion",
    "applicable_circuits",
    "approve_step",
    "create_circuit",
    "create_delegation",
    "create_group",
    "create_notifications",
    "deactivate_circuit",
    "deactivate_group",
    "lock_run",
    "mark_read",
    "pes_circuits",
    "recall",
    "reject_step",
    "request_opinion",
    "revoke_delegation",
    "send_digests",
    "send_reminders",
    "set_notification_preference",
    "skip_step",
    "start_circuit",
    "start_flow_circuit",
    "update_circuit",
    "update_group",
]
