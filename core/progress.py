"""Progress of work done inside one long transaction, published through the cache.

Most long operations commit as they go (a batch signs item after item, a séance pack's parts
are rendered one by one): their progress is read from the database. An import that must be all
or nothing (a PES flow of 100,000 pièces, docs/adr/0005) writes nothing visible before its
commit, so its worker publishes how far it got in the cache instead. The web processes see it
when the cache is shared (``DELIBRE_CACHE_URL``, Redis, in production: docs/deployment.md);
without it the page shows the operation running without a figure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache

PREFIX = "delibre:progress:"
#: A published figure outlives the longest task (the broker's visibility timeout).
TIMEOUT = 2 * 3600


@dataclass(frozen=True)
class Progress:
    """How far a long operation went: ``done`` of ``total`` units."""

    done: int
    total: int

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.done * 100 // self.total)


def publish(key: str, *, done: int, total: int) -> None:
    cache.set(PREFIX + key, (done, total), TIMEOUT)


def read(key: str) -> Progress | None:
    value = cache.get(PREFIX + key)
    if not value:
        return None
    done, total = value
    return Progress(done=int(done), total=int(total))


def forget(key: str) -> None:
    cache.delete(PREFIX + key)


class Reporter:
    """Publishes ``done`` of ``total`` at most every ``every`` seconds (and the last call)."""

    def __init__(self, key: str, *, total: int, every: float = 0.5):
        self.key, self.total, self.every = key, total, every
        self._last = 0.0

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if now - self._last >= self.every or done >= self.total:
            self._last = now
            publish(self.key, done=min(done, self.total), total=self.total)
