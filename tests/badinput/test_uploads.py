"""Malformed PDFs through every door: the annex page, the annex API, the public verification page
and API. Each gets its clear message, a 4xx (or the page again), never a 500, and nothing changes
(no row, no journal event, no stored file)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests import pdfs

from .conftest import snapshot

NOT_A_PDF = "This file is not a PDF document. Export it as PDF and upload it again."
TRUNCATED = "This PDF is truncated (its end is missing). Download or export it again, then retry."
ENCRYPTED = "This PDF is protected by a password or encrypted. Remove the protection and retry."
ACTIVE = (
    "This PDF contains JavaScript, launch actions or attached files, which are not accepted for "
    "acts. Print it to PDF again without them and retry."
)
DAMAGED = "This PDF cannot be read (damaged structure). Export it again as PDF and retry."
TOO_BIG = "The file is larger than 1 MB: split it or compress it, then try again."


def zip_posing_as_pdf() -> bytes:
    return b"PK\x03\x04" + b"\x00" * 200


def html_posing_as_pdf() -> bytes:
    return b"<html><script>alert(1)</script></html>"


def damaged_objects_pdf() -> bytes:
    """A broken cross-reference table and a catalogue naming a page tree that is not there."""
    return (
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n"
        b"<< /Root 1 0 R >>\nstartxref\n999\n%%EOF\n"
    )


def garbage_pdf() -> bytes:
    """A PDF header, then bytes that are no PDF structure at all."""
    return b"%PDF-1.7\n" + bytes(range(256)) * 20 + b"\n%%EOF\n"


def pageless_pdf() -> bytes:
    """A well-formed file whose page tree was emptied."""
    return pdfs.blank_pdf(1).replace(b"/Count 1", b"/Count 0").replace(b"/Kids [", b"/Kidz [")


def oversized_pdf() -> bytes:
    # A valid PDF padded past the limit (1 MB in these tests): refused before it is parsed.
    content = pdfs.blank_pdf(1)
    return content + b"%" + b"x" * (1024 * 1024)


CASES = [
    ("truncated", pdfs.truncated_pdf, TRUNCATED),
    ("encrypted", pdfs.encrypted_pdf, ENCRYPTED),
    ("javascript", pdfs.javascript_pdf, ACTIVE),
    ("zip-as-pdf", zip_posing_as_pdf, NOT_A_PDF),
    ("html-as-pdf", html_posing_as_pdf, NOT_A_PDF),
    ("damaged-xref-and-objects", damaged_objects_pdf, DAMAGED),
    ("garbage-after-header", garbage_pdf, DAMAGED),
    ("no-page", pageless_pdf, "This PDF has no page."),
    ("oversized", oversized_pdf, TOO_BIG),
]


@pytest.fixture(autouse=True)
def _one_megabyte_limit(settings):
    settings.DELIBRE_MAX_ANNEX_BYTES = 1024 * 1024


@pytest.mark.parametrize(("label", "make", "message"), CASES, ids=[c[0] for c in CASES])
def test_annex_page_refuses_with_the_reason(as_clerk, draft, label, make, message):
    before = snapshot()
    response = as_clerk.post(
        reverse("act-annex-add", args=[draft.pk]),
        {"file": SimpleUploadedFile(f"{label}.pdf", make(), "application/pdf"), "title": "A"},
        follow=True,
    )
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [message]
    assert snapshot() == before


@pytest.mark.parametrize(("label", "make", "message"), CASES, ids=[c[0] for c in CASES])
def test_annex_api_refuses_with_the_reason(as_clerk, draft, label, make, message):
    before = snapshot()
    response = as_clerk.post(
        f"/api/acts/{draft.pk}/annexes/",
        {"file": SimpleUploadedFile(f"{label}.pdf", make(), "application/pdf"), "title": "A"},
    )
    assert response.status_code == 400
    assert response.json()["detail"] == message
    assert snapshot() == before


def test_a_pdf_whose_xref_offset_is_wrong_is_repaired_and_accepted(as_clerk, draft):
    # Only the startxref pointer is wrong: the reader rebuilds the table from the objects, the
    # page is there, the file is kept as sent (its hash is the uploaded bytes').
    content = pdfs.broken_xref_pdf()
    response = as_clerk.post(
        f"/api/acts/{draft.pk}/annexes/",
        {"file": SimpleUploadedFile("xref.pdf", content, "application/pdf"), "title": "A"},
    )
    assert response.status_code == 201
    annex = draft.annexes.get()
    assert (annex.page_count, annex.size, annex.file.read()) == (1, len(content), content)


VERIFY_CASES = [
    ("truncated", pdfs.truncated_pdf),
    ("encrypted", pdfs.encrypted_pdf),
    ("javascript", pdfs.javascript_pdf),
    ("zip-as-pdf", zip_posing_as_pdf),
    ("damaged", damaged_objects_pdf),
    ("broken-xref", pdfs.broken_xref_pdf),
    ("unsigned", pdfs.blank_pdf),
    ("empty", lambda: b""),
]


@pytest.mark.parametrize(("label", "make"), VERIFY_CASES, ids=[c[0] for c in VERIFY_CASES])
def test_public_verification_page_answers_without_a_500_and_stores_nothing(
    db, anonymous, label, make
):
    before = snapshot()
    response = anonymous.post(
        "/verify/", {"file": SimpleUploadedFile(f"{label}.pdf", make(), "application/pdf")}
    )
    assert response.status_code in (200, 400)
    assert snapshot() == before


@pytest.mark.parametrize(("label", "make"), VERIFY_CASES, ids=[c[0] for c in VERIFY_CASES])
def test_public_verification_api_answers_without_a_500_and_stores_nothing(
    db, anonymous, label, make
):
    before = snapshot()
    response = anonymous.post(
        "/api/verify/", {"file": SimpleUploadedFile(f"{label}.pdf", make(), "application/pdf")}
    )
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        body = response.json()
        assert body.get("detail") or body.get("file")
    assert snapshot() == before


def test_public_verification_refuses_an_oversized_file(db, anonymous, settings):
    settings.DELIBRE_MAX_VERIFY_BYTES = 1024 * 1024
    before = snapshot()
    response = anonymous.post(
        "/api/verify/", {"file": SimpleUploadedFile("big.pdf", oversized_pdf(), "application/pdf")}
    )
    assert response.status_code == 400
    assert response.json()["detail"] == TOO_BIG
    assert snapshot() == before
