"""Publishing acts and séance documents; enforceability and the appeal window."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from core.files import read_bytes, store_bytes
from deliberations.enums import ActesNature, ActStatus, ActType
from deliberations.models import Act
from exports.actes.enums import TransmissionStatus
from exports.actes.models import Transmission
from exports.enums import DocumentKind, DocumentStatus
from exports.models import RenderedDocument
from exports.publication import services
from exports.publication.enums import Enforceability
from exports.publication.exceptions import ConfidentialAct, PublicationRefused
from exports.publication.models import Publication, SeancePublication
from exports.publication.selectors import appeal_deadline, enforceability, seance_lines
from tests.exports.actes import integration as fixtures
from tests.exports.actes.integration import ACT_PDF, ready_pdf
from tests.pdfs import blank_pdf
from workflow.exceptions import TransitionRefused
from workflow.journal import events_for

# Fixtures shared with the other integration modules (assigned, so that they override the
# library's own ``collectivite`` in tests/exports/actes/conftest.py).
admin = fixtures.admin
arrete = fixtures.arrete
assembly = fixtures.assembly
classification = fixtures.classification
clerk = fixtures.clerk
collectivite = fixtures.collectivite
mandates = fixtures.mandates
outsider = fixtures.outsider
played = fixtures.played
signed_act = fixtures.signed_act
signed_acts = fixtures.signed_acts
the_council = fixtures.the_council
validator = fixtures.validator

pytestmark = pytest.mark.django_db


def acknowledge(act: Act, on: dt.date) -> Transmission:
    """An acknowledged transmission of the act (arranged directly)."""
    return Transmission.objects.create(
        collectivite=act.collectivite,
        act=act,
        sent_on=on,
        serial=Transmission.objects.count() + 1,
        envelope_name="EACT.xml",
        message_name="m_0.xml",
        archive_name="a.tar.gz",
        archive=store_bytes("actes/tests", b"x", extension="tar.gz"),
        archive_sha256="0" * 64,
        connector="folder",
        status=TransmissionStatus.ACKNOWLEDGED,
        id_acte=f"034-{act.collectivite.siren}-{act.decision_date:%Y%m%d}-{act.number}-DE",
        ack_date=on,
    )


def test_publishing_records_the_date_the_author_and_the_file(signed_act, clerk):
    before = timezone.now()

    publication = services.publish_act(act=signed_act, actor=clerk)

    signed_act.refresh_from_db()
    assert signed_act.status == ActStatus.PUBLISHED
    assert publication.published_at >= before
    assert (publication.author_name, publication.author_quality) == ("Anne MARTIN", "Maire")
    assert publication.identifier == signed_act.number
    assert read_bytes(publication.file.name) == ACT_PDF
    assert publication.file_sha256 == hashlib.sha256(ACT_PDF).hexdigest()
    assert publication.pdf_source == "rendered"
    assert publication.search_text == (
        f"{signed_act.number.lower()} attribution d'une subvention de 1 500 € au comite des "
        "fetes « les amis » 7.5 subventions"
    )
    assert [e.action for e in events_for(signed_act)][-1] == "act.published"


def test_a_confidential_act_is_never_published(signed_act, clerk):
    Act.objects.filter(pk=signed_act.pk).update(confidential=True)
    signed_act.refresh_from_db()

    with pytest.raises(ConfidentialAct):
        services.publish_act(act=signed_act, actor=clerk)

    signed_act.refresh_from_db()
    assert signed_act.status == ActStatus.SIGNED
    assert Publication.objects.count() == 0


def test_an_unsigned_act_is_not_published(played, clerk):
    act = played.acts[0]
    ready_pdf(act)

    with pytest.raises(TransitionRefused):
        services.publish_act(act=act, actor=clerk)

    assert Publication.objects.count() == 0


def test_an_act_is_published_once_and_only_by_clerks(signed_act, clerk, validator):
    with pytest.raises(Exception) as refusal:
        services.publish_act(act=signed_act, actor=validator)
    assert refusal.value.kind == "forbidden"
    services.publish_act(act=signed_act, actor=clerk)
    with pytest.raises(PublicationRefused):
        services.publish_act(act=signed_act, actor=clerk)
    assert Publication.objects.count() == 1


def test_withdrawal_waits_two_months_unless_cancelled(signed_act, clerk, admin):
    publication = services.publish_act(act=signed_act, actor=clerk)

    with pytest.raises(PublicationRefused) as early:
        services.unpublish_act(publication=publication, actor=admin, reason="Erreur")
    with pytest.raises(Exception) as clerk_refusal:
        services.unpublish_act(publication=publication, actor=clerk, reason="Erreur")
    Publication.objects.filter(pk=publication.pk).update(
        published_at=timezone.now() - dt.timedelta(days=70)
    )
    later = services.unpublish_act(publication=publication, actor=admin, reason="Fin de diffusion")

    assert str(early.value).startswith("An act stays online at least two months (CGCT R. 2131-1)")
    assert clerk_refusal.value.kind == "forbidden"
    assert later.unpublished_at is not None
    signed_act.refresh_from_db()
    assert signed_act.status == ActStatus.PUBLISHED


def _seance_document(seance, kind):
    content = blank_pdf()
    return RenderedDocument.objects.create(
        collectivite=seance.collectivite,
        kind=kind,
        seance=seance,
        template_name="pdf/seance.html",
        template_sha256="0" * 64,
        snapshot={},
        snapshot_sha256=hashlib.sha256(kind.encode()).hexdigest(),
        content_sha256=hashlib.sha256(content).hexdigest(),
        file=store_bytes("documents/tests", content, extension="pdf"),
        status=DocumentStatus.READY,
    )


def test_the_list_of_deliberations_shows_its_deadline(played, clerk):
    seance = played.seance
    deadline = timezone.localtime(seance.date).date() + dt.timedelta(days=7)
    [line, minutes] = seance_lines(seance)
    assert (line.deadline, line.publication, minutes.deadline) == (deadline, None, None)

    with pytest.raises(PublicationRefused) as missing:
        services.publish_seance_document(seance=seance, kind="deliberation_list", actor=clerk)
    _seance_document(seance, DocumentKind.DELIBERATION_LIST)
    published = services.publish_seance_document(
        seance=seance, kind="deliberation_list", actor=clerk
    )

    assert str(missing.value) == (
        "Render the document first (Documents of the séance), then publish it."
    )
    assert published.kind == "deliberation_list"
    assert [e.action for e in events_for(seance)][-1] == "seance.document.published"
    assert seance_lines(seance)[0].publication == published
    with pytest.raises(PublicationRefused):
        services.publish_seance_document(seance=seance, kind="deliberation_list", actor=clerk)
    assert SeancePublication.objects.count() == 1


def test_the_minutes_of_an_open_seance_are_refused(
    collectivite, clerk, validator, assembly, mandates
):
    from tests.exports.conftest import play

    open_seance = play(collectivite, clerk, validator, assembly, mandates, close=False).seance
    _seance_document(open_seance, DocumentKind.MINUTES)

    with pytest.raises(PublicationRefused):
        services.publish_seance_document(seance=open_seance, kind="minutes", actor=clerk)
    assert SeancePublication.objects.count() == 0


# -- Enforceability -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "last_day"),
    [
        (dt.date(2026, 3, 10), dt.date(2026, 5, 11)),  # 10 May is a Sunday → Monday 11
        (dt.date(2026, 12, 31), dt.date(2027, 3, 1)),  # no 31 February: 28th + 1 day
        (dt.date(2026, 4, 15), dt.date(2026, 6, 16)),
    ],
)
def test_the_appeal_window_is_two_months_franc(start, last_day):
    assert appeal_deadline(start) == last_day


def test_an_act_under_review_needs_acknowledgement_and_publication(signed_act, clerk):
    assert enforceability(signed_act).state == Enforceability.AWAITING_BOTH
    publication = services.publish_act(act=signed_act, actor=clerk)
    assert enforceability(signed_act).state == Enforceability.AWAITING_TRANSMISSION
    published_on = timezone.localtime(publication.published_at).date()
    acknowledge(signed_act, published_on + dt.timedelta(days=3))

    status = enforceability(signed_act)

    assert status.subject_to_review is True
    assert status.state == Enforceability.ENFORCEABLE
    assert status.enforceable_on == published_on + dt.timedelta(days=3)
    assert status.appeal_until == appeal_deadline(published_on + dt.timedelta(days=3))


def test_an_acknowledged_act_waits_for_publication(signed_act):
    acknowledge(signed_act, dt.date(2026, 1, 5))
    status = enforceability(signed_act)
    assert (status.state, status.acknowledged_on, status.enforceable_on) == (
        Enforceability.AWAITING_PUBLICATION,
        dt.date(2026, 1, 5),
        None,
    )


def test_an_act_outside_the_review_is_enforceable_once_published(
    collectivite, clerk, classification
):
    from tests.factories import ActFactory

    act = ActFactory(
        collectivite=collectivite,
        act_type=ActType.OTHER,
        nature=ActesNature.OTHER,
        number="AUT2026_0001",
        decision_date=timezone.localdate(),
        status=ActStatus.SIGNED,
    )
    ready_pdf(act)
    publication = services.publish_act(act=act, actor=clerk)

    status = enforceability(act)

    published_on = timezone.localtime(publication.published_at).date()
    assert (status.subject_to_review, status.state, status.enforceable_on) == (
        False,
        Enforceability.ENFORCEABLE,
        published_on,
    )
