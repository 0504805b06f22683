"""A delivery to S2LOW cut short (the worker killed during the call, docs/adr/0008): the mark
committed before the request left tells the next delivery not to post the act again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from exports.actes import services
from exports.actes.enums import TransmissionStatus
from exports.actes.models import Transmission
from exports.actes.tasks import transmit_task
from tests.exports.actes import integration as fixtures
from tests.exports.actes.integration import creates
from workflow.journal import events_for

admin = fixtures.admin
arrete = fixtures.arrete
assembly = fixtures.assembly
classification = fixtures.classification
clerk = fixtures.clerk
collectivite = fixtures.collectivite
mandates = fixtures.mandates
played = fixtures.played
s2low_tdt = fixtures.s2low_tdt
client_pki = fixtures.client_pki
actes_root = fixtures.actes_root
signed_act = fixtures.signed_act
signed_acts = fixtures.signed_acts
standin_server = fixtures.standin_server
the_council = fixtures.the_council
validator = fixtures.validator

pytestmark = pytest.mark.django_db

INTERRUPTED = (
    "The delivery was interrupted during the call to the TdT: check on the TdT whether the act "
    "arrived before anything is sent again."
)


def _queued(act, actor, *, marked_minutes_ago=None):
    """Queued, its task not run yet; optionally marked as a killed worker leaves it."""
    transmission = services.prepare_transmission(act=act, actor=actor)
    services.transmit(transmission=transmission, actor=actor)  # the task waits for the commit
    if marked_minutes_ago is not None:
        Transmission.objects.filter(pk=transmission.pk).update(
            delivery_started_at=timezone.now() - dt.timedelta(minutes=marked_minutes_ago)
        )
    return transmission


def test_a_delivery_cut_short_is_never_posted_again(signed_act, clerk, s2low_tdt, standin_server):
    transmission = _queued(signed_act, clerk, marked_minutes_ago=5)

    transmit_task.delay(transmission_id=transmission.pk)
    services.poll_collectivite(collectivite=signed_act.collectivite)

    transmission.refresh_from_db()
    assert (transmission.status, transmission.outcome_unknown, transmission.last_error) == (
        TransmissionStatus.QUEUED,
        True,
        INTERRUPTED,
    )
    assert creates(standin_server) == []
    assert [e.data.get("detail") for e in events_for(transmission)][-1:] == ["interrupted"]


def test_a_recent_mark_is_left_to_the_worker_about_to_post(
    signed_act, clerk, s2low_tdt, standin_server
):
    transmission = _queued(signed_act, clerk, marked_minutes_ago=0)

    transmit_task.delay(transmission_id=transmission.pk)

    transmission.refresh_from_db()
    assert (transmission.status, transmission.outcome_unknown, transmission.attempts) == (
        TransmissionStatus.QUEUED,
        False,
        0,
    )
    assert creates(standin_server) == []


def test_the_mark_is_cleared_with_the_outcome(signed_act, clerk, s2low_tdt, standin_server):
    transmission = _queued(signed_act, clerk)

    transmit_task.delay(transmission_id=transmission.pk)

    transmission.refresh_from_db()
    assert (transmission.status, transmission.delivery_started_at, transmission.attempts) == (
        TransmissionStatus.SENT,
        None,
        1,
    )
    assert len(creates(standin_server)) == 1
