from .circuits import (
    AssigneeGroup,
    Circuit,
    CircuitRun,
    CircuitStep,
    Decision,
    OpinionRequest,
    StepAssignee,
    StepRun,
)
from .delegations import Delegation, matiere_in_scope
from .journal import GENESIS_HASH, AuditEvent, JournalAnchor, JournalChain
from .notifications import Notification, NotificationPreference

__all__ = [
    "GENESIS_HASH",
    "AssigneeGroup",
    "AuditEvent",
    "Circuit",
    "CircuitRun",
    "CircuitStep",
    "Decision",
    "Delegation",
    "JournalAnchor",
    "JournalChain",
    "Notification",
    "NotificationPreference",
    "OpinionRequest",
    "StepAssignee",
    "StepRun",
    "matiere_in_scope",
]
