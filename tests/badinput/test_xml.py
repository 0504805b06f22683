"""Hostile and broken XML through the PES import (page and API) and the prefecture return import
(page and API): entity expansion, external entities, wrong encoding, deep nesting, invalid against
the XSD, oversized (a "1 GB" stream that is cut at the limit, never read whole). Each: a clear
error, no 500, nothing changed (rows, journal, stored files).

The parsers themselves are tested in depth in tests/exports/pes/test_reader_security.py and
tests/exports/actes/test_reader.py; these tests go through the doors a user or a client uses.
"""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from deliberations.enums import Role
from exports.pes import build_pes_aller
from tests.exports.pes.flows import make_flow
from tests.exports.pes.test_reader_security import BILLION_LAUGHS, EXTERNAL_ENTITY
from tests.factories import CollectiviteFactory, member

from .conftest import snapshot


@pytest.fixture
def commune(db):
    return CollectiviteFactory(
        name="Commune de Test",
        slug="commune-de-test",
        siren="243100633",
        siret="24310063300011",
        pes_id_coll="24310063300011",
        pes_cod_col="100",
        pes_cod_bud="00",
    )


@pytest.fixture
def finance(commune):
    return member(commune, Role.CLERK, Role.ADMIN, username="finance")


@pytest.fixture
def browser(finance):
    client = Client(raise_request_exception=False)
    client.force_login(finance)
    return client


def valid_flow() -> bytes:
    return build_pes_aller(flow=make_flow(depense=1, pieces=1, recette=False, attachment=False))


def deep(depth: int = 5000) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>' + b"<a>" * depth + b"x" + b"</a>" * depth


def wrong_encoding() -> bytes:
    # Declared ISO-8859-1 but sent as UTF-16: no well-formed document in either reading.
    return valid_flow().decode("iso-8859-1").encode("utf-16")


def bad_utf8() -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?><PES_Aller>\xff\xfe\xc3</PES_Aller>'


def invalid_against_xsd() -> bytes:
    # Well-formed, right root, but the mandatory envelope is missing.
    flow = valid_flow()
    start, end = flow.index(b"<Enveloppe>"), flow.index(b"</Enveloppe>") + len(b"</Enveloppe>")
    return flow[:start] + flow[end:]


HOSTILE = [
    ("billion-laughs", lambda: BILLION_LAUGHS),
    ("external-entity", lambda: EXTERNAL_ENTITY),
    ("deep-nesting", deep),
    ("wrong-encoding", wrong_encoding),
    ("bad-utf8", bad_utf8),
    ("invalid-xsd", invalid_against_xsd),
    ("not-xml", lambda: b"%PDF-1.7 not xml at all"),
    ("empty", lambda: b""),
]


@pytest.mark.parametrize(("label", "make"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_pes_import_api_refuses_with_a_clear_error(browser, commune, label, make):
    before = snapshot()
    response = browser.post(
        "/api/pes/flows/import/",
        {"collectivite": commune.pk, "file": SimpleUploadedFile(f"{label}.xml", make())},
    )
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body.get("detail") or body.get("file")
    assert "Traceback" not in response.content.decode("utf-8", "replace")
    assert snapshot() == before


@pytest.mark.parametrize(("label", "make"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_pes_import_page_refuses_with_a_clear_error(browser, commune, label, make):
    before = snapshot()
    response = browser.post("/pes/import/", {"file": SimpleUploadedFile(f"{label}.xml", make())})
    assert response.status_code in (200, 400)
    page = response.content.decode()
    assert 'role="alert"' in page or "errorlist" in page or "alert" in page
    assert snapshot() == before


def test_the_same_valid_flow_is_imported_through_the_api(browser, commune):
    # The door works: the refusals above are about the content, not the request.
    response = browser.post(
        "/api/pes/flows/import/",
        {"collectivite": commune.pk, "file": SimpleUploadedFile("ok.xml", valid_flow())},
    )
    assert response.status_code == 201


class EndlessStream(io.RawIOBase):
    """A "1 GB" upload produced on demand: nothing is written to disk, reads are counted."""

    def __init__(self, size: int = 1024**3):
        self.size = size
        self.served = 0
        self.head = valid_flow()[:200]

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        if self.served >= self.size:
            return 0
        n = min(len(buffer), self.size - self.served)
        chunk = (self.head if self.served == 0 else b"") + b" " * n
        buffer[:n] = chunk[:n]
        self.served += n
        return n


def test_a_1_gb_pes_stream_is_cut_at_the_limit(commune, finance, settings):
    from core.exceptions import DelibreError
    from exports.pes.services import import_flow

    settings.DELIBRE_PES_MAX_BYTES = 2 * 1024 * 1024
    stream = EndlessStream()
    before = snapshot()
    with pytest.raises(DelibreError) as caught:
        import_flow(collectivite=commune, actor=finance, source=stream, name="huge.xml")
    assert caught.value.kind == "invalid"
    assert "larger" in str(caught.value.message)
    assert stream.served <= settings.DELIBRE_PES_MAX_BYTES + 1024 * 1024
    assert snapshot() == before


def test_a_pes_upload_announced_over_the_limit_is_not_read(browser, settings):
    settings.DELIBRE_PES_MAX_BYTES = 1024 * 1024
    before = snapshot()
    response = browser.post(
        "/pes/import/",
        {"file": SimpleUploadedFile("huge.xml", b"<a>" + b" " * (3 * 1024 * 1024) + b"</a>")},
    )
    assert response.status_code in (200, 400, 413)
    assert "The file is larger than the limit: it was not read." in response.content.decode()
    assert snapshot() == before


# Prefecture returns --------------------------------------------------------------------------

ACTES_HOSTILE = [
    ("billion-laughs", lambda: BILLION_LAUGHS.replace(b"n:PES_Aller", b"actes:ARActe")),
    ("external-entity", lambda: EXTERNAL_ENTITY.replace(b"n:PES_Aller", b"actes:ARActe")),
    ("deep-nesting", deep),
    ("wrong-encoding", lambda: "<actes:ARActe/>".encode("utf-16")),
    ("bad-utf8", bad_utf8),
    ("unknown-message", lambda: b'<?xml version="1.0"?><nothing/>'),
    ("not-xml", lambda: b"\x1f\x8b broken gzip"),
    ("empty", lambda: b""),
]


@pytest.mark.parametrize(("label", "make"), ACTES_HOSTILE, ids=[h[0] for h in ACTES_HOSTILE])
def test_prefecture_import_api_refuses_with_a_clear_error(browser, commune, label, make):
    before = snapshot()
    response = browser.post(
        "/api/actes/messages/import/",
        {"collectivite": commune.pk, "file": SimpleUploadedFile(f"{label}.xml", make())},
    )
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body.get("detail") or body.get("file")
    assert snapshot() == before


@pytest.mark.parametrize(("label", "make"), ACTES_HOSTILE, ids=[h[0] for h in ACTES_HOSTILE])
def test_prefecture_import_page_refuses_with_a_message(browser, commune, label, make):
    before = snapshot()
    response = browser.post(
        "/prefecture/import/", {"file": SimpleUploadedFile(f"{label}.xml", make())}, follow=True
    )
    assert response.status_code == 200
    levels = [m.level_tag for m in response.context["messages"]]
    assert levels == ["error"]
    assert snapshot() == before


def test_an_oversized_prefecture_file_is_refused(browser, commune, monkeypatch):
    from exports.actes import reader

    monkeypatch.setattr(reader, "MAX_TRANSMISSION_BYTES", 1024 * 1024)
    before = snapshot()
    response = browser.post(
        "/api/actes/messages/import/",
        {
            "collectivite": commune.pk,
            "file": SimpleUploadedFile("big.xml", b"<a>" + b" " * (1024 * 1024) + b"</a>"),
        },
    )
    assert response.status_code == 400
    assert response.json() == {
        "file": ["The file is larger than 1 MB; it was refused. Ask the sender to check it."]
    }
    assert snapshot() == before


def test_an_oversized_prefecture_file_is_refused_on_the_page(browser, commune, monkeypatch):
    from exports.actes import reader

    monkeypatch.setattr(reader, "MAX_TRANSMISSION_BYTES", 1024 * 1024)
    before = snapshot()
    page = browser.post(
        "/prefecture/import/",
        {"file": SimpleUploadedFile("big.xml", b"<a>" + b" " * (1024 * 1024) + b"</a>")},
        follow=True,
    )
    assert [str(m) for m in page.context["messages"]] == [
        "The file is larger than 1 MB; it was refused. Ask the sender to check it."
    ]
    assert snapshot() == before
