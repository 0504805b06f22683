"""Staff pages of the publication: the act's box, the Publication desk, publish and withdraw."""

from __future__ import annotations

import pytest

from deliberations.models import Act
from exports.publication.models import Publication
from tests.exports.actes import integration as fixtures

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


def test_the_act_page_publishes_the_act(client, clerk, signed_act):
    client.force_login(clerk)
    before = client.get(f"/acts/{signed_act.pk}/").content.decode()

    response = client.post(
        f"/publication/acts/{signed_act.pk}/publish/",
        {"next": f"/acts/{signed_act.pk}/"},
        follow=True,
    )

    body = response.content.decode()
    assert "Publish on the portal" in before
    assert "Waiting for transmission and publication" in before
    assert "The act is online; the date it was put online is recorded." in body
    assert f"/actes/{signed_act.collectivite.slug}/{signed_act.number}/" in body
    assert Publication.objects.get().act == signed_act


def test_a_confidential_act_offers_no_publication(client, clerk, signed_act):
    Act.objects.filter(pk=signed_act.pk).update(confidential=True)
    client.force_login(clerk)

    page = client.get(f"/acts/{signed_act.pk}/").content.decode()
    forced = client.post(f"/publication/acts/{signed_act.pk}/publish/", follow=True)

    assert "Publish on the portal" not in page
    assert "never put online" in forced.content.decode()
    assert Publication.objects.count() == 0


def test_the_desk_shows_acts_to_publish_and_the_list_deadline(client, clerk, signed_acts, played):
    client.force_login(clerk)

    page = client.get("/publication/").content.decode()

    assert signed_acts[0].number in page and signed_acts[1].number in page
    assert "To put online by" in page
    assert "List of deliberations" in page


def test_another_collectivite_cannot_publish(client, outsider, signed_act):
    client.force_login(outsider)
    assert client.post(f"/publication/acts/{signed_act.pk}/publish/").status_code == 404
    assert Publication.objects.count() == 0
