"""Background work of the treasury flows (thin: ids in, one service call; STYLE.md §7).

Without a broker the tasks run eagerly in-process after commit (DESIGN.md decision 10). A
delivery that meets a transient error leaves its transmission queued: on a worker the task
retries it itself (bounded, growing delays); the beat job ``pes.retry_transmissions`` catches
every transmission left queued (eager mode, lost workers) and ``pes.watch_folders`` imports
what arrived in the collectivités' incoming folders.
"""

from __future__ import annotations

import logging

from celery import shared_task

from core.exceptions import DelibreError
from deliberations.models import Collectivite

from .enums import TransmissionStatus
from .models import PesSettings
from .services import deliver_transmission, retry_transmissions, run_import, watch_folder

log = logging.getLogger("delibre.pes")


@shared_task(name="pes.deliver_transmission", bind=True, max_retries=4)
def deliver_pes_transmission(self, *, transmission_id: int) -> str:  # type: ignore[no-untyped-def]
    transmission = deliver_transmission(transmission_id=transmission_id)
    if transmission.status == TransmissionStatus.QUEUED and not self.request.is_eager:
        raise self.retry(countdown=min(60 * 2**self.request.retries, 3600))
    return str(transmission.status)


@shared_task(name="pes.retry_transmissions")
def retry_pes_transmissions() -> int:
    return retry_transmissions()


@shared_task(name="pes.watch_folders")
def watch_pes_folders() -> int:
    """Import the incoming folder of every collectivité that named who imports for it."""
    imported = 0
    for settings_row in PesSettings.objects.filter(inbox_user__isnull=False).select_related(
        "collectivite", "inbox_user"
    ):
        collectivite: Collectivite = settings_row.collectivite
        try:
            report = watch_folder(collectivite=collectivite, actor=settings_row.inbox_user)
        except DelibreError as exc:
            log.warning("PES watched folder of %s: %s", collectivite.slug, exc.message)
            continue
        imported += len(report.imported)
    return imported


@shared_task(name="pes.import_flow")
def import_flow_task(*, import_id: int) -> str:
    """Import an uploaded PES_Aller kept by ``start_import``; returns the import's status."""
    return run_import(import_id=import_id).status
