"""Background work of the prefecture exchanges (thin: primitive ids in, one service call).

``actes.transmit`` delivers one queued transmission and retries transient failures after
``services.retry_delay`` seconds, at most ``services.MAX_ATTEMPTS`` attempts in all (the service
counts them and fails the transmission at the last one; without a broker the attempts follow
each other at once). ``actes.poll_tdt`` runs every ten minutes (config/settings.py
CELERY_BEAT_SCHEDULE) and polls every collectivité with settings. With no broker both run
eagerly in-process (DESIGN.md decision 10).
"""

from __future__ import annotations

from celery import shared_task

from deliberations.models import Collectivite

from . import services
from .models import TdtSettings


@shared_task(bind=True, name="actes.transmit", max_retries=services.MAX_ATTEMPTS)
def transmit_task(self, *, transmission_id: int) -> str:
    outcome = services.send_transmission(transmission_id=transmission_id)
    while outcome.retry and self.request.is_eager:
        # No broker (development, tests): no worker comes back later and an eager retry would
        # only raise, so try again at once; the service still bounds the attempts.
        outcome = services.send_transmission(transmission_id=transmission_id)
    if outcome.retry:
        raise self.retry(countdown=services.retry_delay(outcome.transmission.attempts))
    return outcome.transmission.status


@shared_task(name="actes.poll_tdt")
def poll_tdt_task() -> int:
    """Poll every collectivité that has transmission settings; returns the messages imported."""
    imported = 0
    ids = TdtSettings.objects.values_list("collectivite_id", flat=True)
    for collectivite in Collectivite.objects.filter(pk__in=ids):
        imported += services.poll_collectivite(collectivite=collectivite).imported
    return imported
