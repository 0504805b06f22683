"""Login throttling with the cache: per username and per client address.

``DELIBRE_LOGIN_MAX_FAILURES`` failures (default 5) for one username, or
``DELIBRE_LOGIN_MAX_FAILURES_PER_IP`` (default 20) from one address, within
``DELIBRE_LOGIN_LOCKOUT_SECONDS`` (default 900) lock further attempts for that long from the
last failure. The per-address limit is higher because a town hall's agents share one address.
A shared cache (Redis, DELIBRE_CACHE_URL) is needed in production for the counters to hold across
processes; the default local-memory cache counts per process.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode("utf-8")).hexdigest()[:32]
    return f"delibre:login-failures:{kind}:{digest}"


@dataclass(frozen=True)
class Subject:
    username: str
    address: str

    def limits(self) -> list[tuple[str, int]]:
        keys = [(_key("ip", self.address), settings.DELIBRE_LOGIN_MAX_FAILURES_PER_IP)]
        if self.username:
            keys.insert(0, (_key("user", self.username), settings.DELIBRE_LOGIN_MAX_FAILURES))
        return keys


def is_locked(subject: Subject) -> bool:
    return any((cache.get(key) or 0) >= limit for key, limit in subject.limits())


def register_failure(subject: Subject) -> bool:
    """Count one failure; return True when this failure locks the subject."""
    locked_now = False
    for key, limit in subject.limits():
        cache.add(key, 0, timeout=settings.DELIBRE_LOGIN_LOCKOUT_SECONDS)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=settings.DELIBRE_LOGIN_LOCKOUT_SECONDS)
            count = 1
        # Every failure pushes the window back: the lock lasts from the last failure.
        cache.touch(key, timeout=settings.DELIBRE_LOGIN_LOCKOUT_SECONDS)
        if count == limit:
            locked_now = True
    return locked_now


def clear(subject: Subject) -> None:
    """A successful login forgets the username's failures (not the address's)."""
    if subject.username:
        cache.delete(_key("user", subject.username))


def client_address(request) -> str:  # type: ignore[no-untyped-def]
    """REMOTE_ADDR: the reverse proxy must pass the client's address there (docs/security.md)."""
    return str(request.META.get("REMOTE_ADDR") or "unknown")
