import json

import pytest

from signing.exceptions import InvalidDocument
from signing.pades import StampText, sign_pdf
from signing.pdfsig import _parse_pdfsig
from signing.validation import PdfsigSignature, run_pdfsig, validate_pdf
from tests import pdfs


@pytest.mark.parametrize(
    "data", [b"", b"PK\x03\x04 a zip", b"%PDF-1.7\n1 0 obj\n<<", pdfs.encrypted_pdf()]
)
def test_validate_pdf_refuses_unreadable_input(trust, data):
    with pytest.raises(InvalidDocument) as refused:
        validate_pdf(data, trust=trust, allow_fetching=False)
    assert refused.value.code == "invalid_document"


def test_validate_pdf_of_an_unsigned_document_is_not_valid(document, trust):
    report = validate_pdf(document, trust=trust, allow_fetching=False)
    assert (report.signature_count, report.signatures, report.all_valid) == (0, (), False)
    assert report.unsigned_fields == ("Maire", "Secretaire")


def _sign_unchecked(document, signers, trust, label):
    return sign_pdf(
        document,
        signer=signers(label),
        field_name="Maire",
        level="B-B",
        stamp=StampText(signer_name=label),
        trust=trust,
        check_certificate=False,
    )


def test_validate_pdf_reports_an_untrusted_signer(document, signers, trust, nss_db):
    signed = _sign_unchecked(document, signers, trust, "untrusted")

    report = validate_pdf(signed, trust=trust, allow_fetching=False)
    signature = report.signatures[0]
    assert (signature.intact, signature.valid, signature.trusted, signature.bottom_line) == (
        True,
        True,
        False,
        False,
    )
    assert (signature.ades_indication, signature.ades_subindication) == (
        "INDETERMINATE",
        "NO_CERTIFICATE_CHAIN_FOUND",
    )
    assert report.all_valid is False
    pdfsig = run_pdfsig(signed, nss_dir=nss_db).signatures[0]
    assert (pdfsig.signature_validation, pdfsig.certificate_validation) == (
        "Signature is Valid.",
        "Certificate issuer isn't Trusted.",
    )


def test_validate_pdf_reports_a_revoked_signer(document, signers, trust, pki_server, nss_db):
    signed = _sign_unchecked(document, signers, trust, "revoked")

    report = validate_pdf(signed, trust=trust, allow_fetching=True)
    signature = report.signatures[0]
    assert (signature.revoked, signature.trusted, signature.bottom_line, report.all_valid) == (
        True,
        False,
        False,
        False,
    )
    assert signature.signer.common_name == "Certificat Révoqué"
    pdfsig = run_pdfsig(signed, nss_dir=nss_db).signatures[0]
    assert (pdfsig.signature_validation, pdfsig.certificate_validation) == (
        "Signature is Valid.",
        "Certificate has been Revoked.",
    )


def test_validation_report_as_dict_is_json(document, signers, trust, pki_server, pki):
    signed = sign_pdf(
        document,
        signer=signers("marie-dupont"),
        field_name="Maire",
        level="B-T",
        stamp=StampText(signer_name="Marie DUPONT"),
        trust=trust,
        timestamper_url=pki.tsa_url,
    )
    report = validate_pdf(signed, trust=trust, allow_fetching=True)

    data = json.loads(json.dumps(report.as_dict()))
    assert sorted(data) == [
        "all_valid",
        "allow_fetching",
        "sha256",
        "signature_count",
        "signatures",
        "size",
        "unsigned_fields",
        "validated_at",
    ]
    signature = data["signatures"][0]
    assert sorted(signature) == [
        "acceptable",
        "ades_indication",
        "ades_subindication",
        "bottom_line",
        "coverage",
        "docmdp_ok",
        "field_name",
        "index",
        "intact",
        "kind",
        "level",
        "modification_level",
        "modified_after_signing",
        "problems",
        "revision",
        "revoked",
        "signer",
        "signing_time",
        "timestamp_time",
        "trusted",
        "valid",
    ]
    assert signature["signer"] == {
        "common_name": "Marie DUPONT",
        "subject": "CN=Marie DUPONT,title=Maire,O=Commune de Démo,C=FR",
        "issuer": "CN=Délibre Démo Autorité de Signature",
        "serial": format(pki.cert("marie-dupont").serial_number, "X"),
        "not_before": "2025-01-01T00:00:00+00:00",
        "not_after": "2049-01-01T00:00:00+00:00",
    }
    assert (data["all_valid"], data["size"], signature["level"]) == (True, len(signed), "B-T")
    import hashlib

    assert data["sha256"] == hashlib.sha256(signed).hexdigest()


PDFSIG_TEXT = """Digital Signature Info of: acte.pdf
Signature #1:
  - Signature Field Name: Maire
  - Signer Certificate Common Name: Marie DUPONT
  - Signer full Distinguished Name: CN=Marie DUPONT,O=Commune de Démo,C=FR
  - Signing Time: Nov 29 2026 01:47:57
  - Signing Hash Algorithm: SHA-256
  - Signature Type: ETSI.CAdES.detached
  - Signed Ranges: [0 - 4131], [20517 - 29486]
  - Not total document signed
  - Signature Validation: Digest Mismatch.
  - Certificate Validation: Certificate issuer isn't Trusted.
Signature #2:
  - Signature Field Name: Secretaire
  The signature form field is not signed.
"""


def test_parse_pdfsig_reads_every_entry():
    assert _parse_pdfsig(PDFSIG_TEXT) == [
        PdfsigSignature(
            number=1,
            field_name="Maire",
            signed=True,
            common_name="Marie DUPONT",
            distinguished_name="CN=Marie DUPONT,O=Commune de Démo,C=FR",
            signing_time="Nov 29 2026 01:47:57",
            hash_algorithm="SHA-256",
            signature_type="ETSI.CAdES.detached",
            signed_ranges="[0 - 4131], [20517 - 29486]",
            total_document_signed=False,
            signature_validation="Digest Mismatch.",
            certificate_validation="Certificate issuer isn't Trusted.",
        ),
        PdfsigSignature(number=2, field_name="Secretaire", signed=False),
    ]


def test_run_pdfsig_refuses_what_is_not_a_pdf():
    with pytest.raises(InvalidDocument):
        run_pdfsig(b"not a pdf")


def test_run_pdfsig_on_an_unsigned_document(document):
    assert [(s.field_name, s.signed) for s in run_pdfsig(document).signatures] == [
        ("Maire", False),
        ("Secretaire", False),
    ]


def test_validate_pdf_reports_a_damaged_signature_instead_of_failing(document, signers, trust):
    signed = _sign_unchecked(document, signers, trust, "marie-dupont")
    start = signed.index(b"/Contents <") + len(b"/Contents <")
    damaged = signed[:start] + b"ffffffff" + signed[start + 8 :]  # outside the signed ranges

    report = validate_pdf(damaged, trust=trust, allow_fetching=False)
    assert [(s.field_name, s.intact, s.valid, s.acceptable) for s in report.signatures] == [
        ("Maire", False, False, False)
    ]
    assert report.signatures[0].problems[0].startswith("Unreadable signature: ")
    assert report.all_valid is False
