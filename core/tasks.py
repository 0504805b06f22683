"""Background work of the plumbing (thin: one service call; STYLE.md §7)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings

from .files import purge_orphan_files


@shared_task(name="core.purge_orphan_files")
def purge_orphan_files_task() -> int:
    """Remove the stored files no row refers to (beat, daily); returns how many."""
    grace = dt.timedelta(hours=settings.DELIBRE_ORPHAN_GRACE_HOURS)
    return len(purge_orphan_files(grace=grace).removed)
