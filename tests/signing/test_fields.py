import pytest

from signing.exceptions import InvalidDocument, SignatureFieldError
from signing.fields import (
    FieldSpec,
    SignatureFieldInfo,
    add_signature_fields,
    list_signature_fields,
)
from signing.pades import StampText, sign_pdf
from tests import pdfs
from tests.signing.conftest import make_document


def test_add_signature_fields_creates_empty_visible_fields():
    pdf = add_signature_fields(
        make_document(),
        [FieldSpec("Maire", 2, (320, 60, 565, 150)), ("Secretaire", 0, (30, 60, 290, 150))],
    )
    assert list_signature_fields(pdf) == [
        SignatureFieldInfo(
            name="Maire", page_index=2, box=(320.0, 60.0, 565.0, 150.0), signed=False
        ),
        SignatureFieldInfo(
            name="Secretaire", page_index=0, box=(30.0, 60.0, 290.0, 150.0), signed=False
        ),
    ]


def test_add_signature_fields_keeps_the_original_bytes_as_first_revision():
    original = make_document()
    pdf = add_signature_fields(original, [("Maire", 2, (320, 60, 565, 150))])
    assert pdf[: len(original)] == original  # an incremental update, nothing rewritten


def test_add_signature_fields_without_specs_returns_the_document():
    original = make_document()
    assert add_signature_fields(original, []) is original


@pytest.mark.parametrize(
    ("spec", "message", "field"),
    [
        (
            ("Maire.1", 0, (10, 10, 100, 60)),
            "“Maire.1” is not a valid signature field name (letters, digits, - and _, at most 64).",
            "name",
        ),
        (
            ("Maire", 0, (10, 10, 100, 60)),
            "The document already has a field named “Maire”.",
            "name",
        ),
        (
            ("Adjoint", 3, (10, 10, 100, 60)),
            "Page 4 does not exist: the document has 3 pages.",
            "page_index",
        ),
        (
            ("Adjoint", 0, (500, 10, 700, 60)),
            "The box of field “Adjoint” is empty or outside its page.",
            "box",
        ),
        (
            ("Adjoint", 0, (10, 10, 15, 60)),
            "The box of field “Adjoint” is empty or outside its page.",
            "box",
        ),
    ],
)
def test_add_signature_fields_refuses_bad_specs(document, spec, message, field):
    with pytest.raises(SignatureFieldError) as refused:
        add_signature_fields(document, [spec])
    assert (str(refused.value), refused.value.field) == (message, field)


def test_add_signature_fields_refuses_a_signed_document(document, signers, trust):
    signed = sign_pdf(
        document,
        signer=signers("marie-dupont"),
        field_name="Maire",
        level="B-B",
        stamp=StampText(signer_name="Marie DUPONT", quality="Maire"),
        trust=trust,
        check_certificate=False,
    )
    with pytest.raises(SignatureFieldError) as refused:
        add_signature_fields(signed, [("Adjoint", 0, (10, 10, 100, 60))])
    assert str(refused.value) == (
        "This document is already signed: signature fields must all be created before the "
        "first signature."
    )
    assert [f.signed for f in list_signature_fields(signed)] == [True, False]


@pytest.mark.parametrize("data", [b"", b"hello", pdfs.blank_pdf()[:200], pdfs.encrypted_pdf()])
def test_add_signature_fields_refuses_unreadable_or_encrypted_input(data):
    with pytest.raises(InvalidDocument):
        add_signature_fields(data, [("Maire", 0, (10, 10, 100, 60))])
