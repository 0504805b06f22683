"""The demo's published act (``manage.py demo --pki``): the second act of last month's séance is
signed by the Maire and the secrétaire, transmitted, acknowledged and published, once."""

from __future__ import annotations

import pytest

from deliberations.demo import load_demo
from deliberations.enums import ActStatus
from deliberations.models import Act
from exports.actes.enums import TransmissionStatus
from exports.actes.models import Transmission
from exports.enums import DocumentKind
from exports.models import RenderedDocument
from signing.demo import load_demo_keys
from signing.models import Signature
from signing.pki import bind_loopback_socket
from signing.selectors import current_version, latest_report

pytestmark = pytest.mark.django_db(transaction=False)


def free_port() -> int:
    sock = bind_loopback_socket()
    try:
        return sock.getsockname()[1]
    finally:
        sock.close()


def test_the_demo_publishes_its_adopted_act_once(client, settings, tmp_path):
    settings.DELIBRE_ACTES_DIR = tmp_path / "actes"
    demo, _created = load_demo()
    collectivite = demo.collectivite

    keys = load_demo_keys(directory=tmp_path / "pki", port=free_port())
    again = load_demo_keys(directory=tmp_path / "pki", port=free_port())

    published = Act.objects.get(collectivite=collectivite, status=ActStatus.PUBLISHED)
    waiting = Act.objects.get(pk=demo.acts["p0"].pk)
    assert keys is not None and again is not None
    assert published.pk == demo.acts["p1"].pk
    assert keys.published == [published.number]
    assert again.published == []
    assert waiting.status == ActStatus.ADOPTED  # still in the Maire's inbox
    document = RenderedDocument.objects.get(act=published, kind=DocumentKind.ACT, is_current=True)
    version = current_version(document)
    assert version is not None
    report = latest_report(version)
    assert report is not None and report.all_valid
    assert Signature.objects.filter(document=document).count() == 2
    assert Transmission.objects.get(act=published).status == TransmissionStatus.ACKNOWLEDGED
    portal = client.get(f"/actes/{collectivite.slug}/").content.decode()
    assert published.number in portal and published.objet in portal
