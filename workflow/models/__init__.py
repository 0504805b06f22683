from .journal import GENESIS_HASH, AuditEvent, JournalAnchor, JournalChain

__all__ = ["GENESIS_HASH", "AuditEvent", "JournalAnchor", "JournalChain"]
