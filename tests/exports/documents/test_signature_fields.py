"""Signatures added later into the pre-created fields stay valid (notes/signing.md §1.4).

A throwaway self-signed RSA key is generated in the test; pyHanko signs the maire then the
secretary with approval signatures into the fields created at render time, and its diff
analysis must find no change other than form filling.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from asn1crypto import keys, x509
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from exports.documents import SignatureFieldSpec, render_pdf

from .conftest import load_snapshot


@pytest.fixture(scope="module")
def signer_and_root():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "Anne MARTIN (test)")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        cx509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(cx509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(cx509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            cx509.KeyUsage(True, True, False, False, False, True, False, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    cert = x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    private = keys.PrivateKeyInfo.load(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    signer = signers.SimpleSigner(
        signing_cert=cert,
        signing_key=private,
        cert_registry=SimpleCertificateStore.from_certs([cert]),
    )
    return signer, cert


def _sign(content: bytes, field_name: str, signer) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(content))
    output = signers.sign_pdf(
        writer,
        signers.PdfSignatureMetadata(
            field_name=field_name,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
        ),
        signer=signer,
        existing_fields_only=True,
    )
    return output.getvalue()


def test_approval_signatures_into_precreated_fields_validate(fixture_files, signer_and_root):
    signer, root = signer_and_root
    rendered = render_pdf(
        template_name="pdf/act.html",
        snapshot=load_snapshot("act_deliberation"),
        signature_fields=[
            SignatureFieldSpec(name="Sig_Maire", label="Signature du maire"),
            SignatureFieldSpec(name="Sig_Secretaire", label="Signature du secrétaire"),
        ],
        files=fixture_files,
    )

    signed = _sign(_sign(rendered.content, "Sig_Maire", signer), "Sig_Secretaire", signer)

    reader = PdfFileReader(io.BytesIO(signed))
    assert [name for name, _, _ in fields.enumerate_sig_fields(reader)] == [
        "Sig_Maire",
        "Sig_Secretaire",
    ]
    signatures = reader.embedded_signatures
    assert [sig.field_name for sig in signatures] == ["Sig_Maire", "Sig_Secretaire"]
    context = ValidationContext(trust_roots=[root])
    for signature in signatures:
        status = validate_pdf_signature(signature, context)
        assert status.intact and status.valid and status.trusted
        assert status.bottom_line
        assert status.modification_level in (ModificationLevel.NONE, ModificationLevel.FORM_FILLING)
    maire = signatures[0].sig_field
    placed = {field.name: field for field in rendered.signature_fields}
    assert tuple(round(float(v), 2) for v in maire["/Rect"]) == placed["Sig_Maire"].box
    # The first revision (the rendered act) is unchanged: signatures only append to it.
    assert signed[: len(rendered.content)] == rendered.content
