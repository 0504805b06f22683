import asyncio
import io
import subprocess
from datetime import UTC, datetime

import pytest

from signing import keys
from signing.exceptions import (
    CertificateProblem,
    CertificateRefused,
    InvalidDocument,
    SignatureFieldError,
    SigningError,
    TrustServiceUnavailable,
)
from signing.fields import list_signature_fields
from signing.pades import (
    StampText,
    async_sign_pdf,
    extend_lta,
    lta_expiry,
    needs_lta_renewal,
    sign_pdf,
)
from signing.pki import SEAL
from signing.trust import TrustSettings
from signing.validation import run_pdfsig, validate_pdf
from tests.signing.conftest import FIELDS, PASSWORD
from tests.signing.test_keys import REFUSALS

MAIRE = StampText(
    signer_name="Marie DUPONT",
    quality="Maire",
    signed_at=datetime(2026, 11, 28, 17, 30, tzinfo=UTC),
    reason="Délibération adoptée — budget 12 500 €",
    location="Mairie de Démo",
)


def sign(document, signers, trust, pki, *, label="marie-dupont", field="Maire", level="B-B", **kw):
    return sign_pdf(
        document,
        signer=signers(label),
        field_name=field,
        level=level,
        stamp=kw.pop("stamp", MAIRE),
        trust=trust,
        timestamper_url=kw.pop("timestamper_url", pki.tsa_url),
        **kw,
    )


def pdfsig_verdicts(pdf):
    return [(s.field_name, s.signature_validation) for s in run_pdfsig(pdf).signatures if s.signed]


def summary(report):
    return [
        (
            s.kind,
            s.field_name if s.kind == "signature" else "DocTimeStamp",
            s.level,
            s.coverage,
            s.modification_level,
            s.bottom_line,
            s.ades_indication,
            s.ades_subindication,
        )
        for s in report.signatures
    ]


@pytest.mark.parametrize(
    ("level", "coverage", "modification", "ades", "timestamps"),
    [
        ("B-B", "ENTIRE_FILE", "NONE", ("INDETERMINATE", "SIG_CONSTRAINTS_FAILURE"), 0),
        ("B-T", "ENTIRE_FILE", "NONE", ("INDETERMINATE", "NO_POE"), 0),
        ("B-LT", "ENTIRE_REVISION", "LTA_UPDATES", ("INDETERMINATE", "NO_POE"), 0),
        ("B-LTA", "ENTIRE_REVISION", "LTA_UPDATES", ("PASSED", "OK"), 1),
    ],
)
def test_sign_pdf_each_level_validates_with_pyhanko_and_pdfsig(
    document,
    signers,
    trust,
    pki,
    pki_server,
    nss_db,
    level,
    coverage,
    modification,
    ades,
    timestamps,
):
    signed = sign(document, signers, trust, pki, level=level)

    report = validate_pdf(signed, trust=trust, allow_fetching=True)
    signature = report.signatures[0]
    assert summary(report)[0] == ("signature", "Maire", level, coverage, modification, True, *ades)
    assert (signature.intact, signature.valid, signature.trusted, signature.docmdp_ok) == (
        True,
        True,
        True,
        True,
    )
    assert signature.signer.common_name == "Marie DUPONT"
    assert signature.signing_time is not None
    assert (signature.timestamp_time is not None) == (level != "B-B")
    assert len(report.document_timestamps) == timestamps
    assert [(ts.intact, ts.trusted) for ts in report.document_timestamps] == [
        (True, True)
    ] * timestamps
    assert (report.all_valid, report.unsigned_fields) == (True, ("Secretaire",))
    pdfsig = run_pdfsig(signed, nss_dir=nss_db).signatures[0]
    assert (pdfsig.field_name, pdfsig.signature_validation, pdfsig.certificate_validation) == (
        "Maire",
        "Signature is Valid.",
        "Certificate is Trusted.",
    )
    assert (pdfsig.signature_type, pdfsig.hash_algorithm) == ("ETSI.CAdES.detached", "SHA-256")
    assert signed[: len(document)] == document  # approval signature: an incremental update


def test_sign_pdf_second_signature_keeps_the_first_valid(document, signers, trust, pki, pki_server):
    first = sign(document, signers, trust, pki, level="B-LTA")
    second = sign(
        first,
        signers,
        trust,
        pki,
        label="jean-martin",
        field="Secretaire",
        level="B-LTA",
        stamp=StampText(signer_name="Jean MARTIN", quality="Secrétaire de séance"),
    )

    report = validate_pdf(second, trust=trust, allow_fetching=True)
    assert summary(report) == [
        ("signature", "Maire", "B-LTA", "ENTIRE_REVISION", "FORM_FILLING", True, "PASSED", "OK"),
        (
            "document_timestamp",
            "DocTimeStamp",
            None,
            "ENTIRE_REVISION",
            "FORM_FILLING",
            True,
            None,
            None,
        ),
        (
            "signature",
            "Secretaire",
            "B-LTA",
            "ENTIRE_REVISION",
            "LTA_UPDATES",
            True,
            "PASSED",
            "OK",
        ),
        (
            "document_timestamp",
            "DocTimeStamp",
            None,
            "ENTIRE_REVISION",
            "LTA_UPDATES",
            True,
            None,
            None,
        ),
    ]
    assert [s.modified_after_signing for s in report.signatures] == [False] * 4
    assert (report.all_valid, report.signature_count, report.unsigned_fields) == (True, 2, ())
    assert pdfsig_verdicts(second)[:2] == [
        ("Maire", "Signature is Valid."),
        ("Secretaire", "Signature is Valid."),
    ]


def _stamp_over_page(pdf: bytes) -> bytes:
    """Someone adds "ANNULÉ" on page 1 in an incremental update, after the signature."""
    from pyhanko import stamp
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    stamp.TextStamp(writer, stamp.TextStampStyle(stamp_text="ANNULE")).apply(0, 100, 400)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_validate_pdf_detects_new_page_content_after_signing(
    document, signers, trust, pki, pki_server
):
    signed = sign(document, signers, trust, pki, level="B-T")
    tampered = _stamp_over_page(signed)

    report = validate_pdf(tampered, trust=trust, allow_fetching=True)
    signature = report.signatures[0]
    assert (signature.intact, signature.valid, signature.coverage) == (
        True,
        True,
        "ENTIRE_REVISION",
    )
    assert (signature.modification_level, signature.docmdp_ok, signature.bottom_line) == (
        "OTHER",
        False,
        False,
    )
    assert (signature.modified_after_signing, signature.acceptable, report.all_valid) == (
        True,
        False,
        False,
    )
    # pdfsig checks the signed bytes only: it still calls the signature valid
    pdfsig = run_pdfsig(tampered).signatures[0]
    assert (pdfsig.signature_validation, pdfsig.total_document_signed) == (
        "Signature is Valid.",
        False,
    )


def test_validate_pdf_detects_a_flipped_byte(document, signers, trust, pki, pki_server):
    signed = sign(document, signers, trust, pki, level="B-B")
    position = signed.index(b"page 2")
    tampered = signed[:position] + b"PAGE 2" + signed[position + 6 :]

    report = validate_pdf(tampered, trust=trust, allow_fetching=True)
    signature = report.signatures[0]
    assert (signature.intact, signature.bottom_line, signature.acceptable, report.all_valid) == (
        False,
        False,
        False,
        False,
    )
    assert pdfsig_verdicts(tampered) == [("Maire", "Digest Mismatch.")]
    assert report.sha256 != validate_pdf(signed, trust=trust, allow_fetching=False).sha256


@pytest.mark.parametrize(("label", "problem", "message"), REFUSALS)
def test_sign_pdf_refuses_bad_certificates(
    document, signers, trust, pki, pki_server, label, problem, message
):
    with pytest.raises(CertificateRefused) as refused:
        sign(document, signers, trust, pki, label=label, level="B-T")
    assert (refused.value.problem, str(refused.value)) == (problem, message)


def test_sign_pdf_refuses_when_the_tsa_does_not_answer(
    document, signers, trust, pki, pki_server, dead_port
):
    with pytest.raises(TrustServiceUnavailable) as refused:
        sign(
            document,
            signers,
            trust,
            pki,
            level="B-T",
            timestamper_url=f"http://127.0.0.1:{dead_port}/tsa",
        )
    assert str(refused.value) == (
        "The time-stamping service does not answer. Nothing was signed; try again later."
    )


def test_sign_pdf_refuses_b_lt_when_revocation_services_do_not_answer(document, offline_pki):
    signer = keys.load_pkcs12_signer(data=offline_pki.p12_bytes("marie-dupont"), password=PASSWORD)
    trust = TrustSettings(trust_roots=tuple(offline_pki.trust_roots), fetch_timeout=2)
    with pytest.raises(TrustServiceUnavailable) as refused:
        sign_pdf(
            document,
            signer=signer,
            field_name="Maire",
            level="B-LT",
            stamp=MAIRE,
            trust=trust,
            timestamper_url=offline_pki.tsa_url,
        )
    assert refused.value.code == "trust_service_unavailable"


def test_sign_pdf_refuses_missing_or_filled_fields(document, signers, trust, pki):
    with pytest.raises(SignatureFieldError) as missing:
        sign(document, signers, trust, pki, field="Adjoint", check_certificate=False)
    assert str(missing.value) == "The document has no signature field named “Adjoint”."
    signed = sign(document, signers, trust, pki, check_certificate=False)
    with pytest.raises(SignatureFieldError) as filled:
        sign(signed, signers, trust, pki, check_certificate=False)
    assert (filled.value.code, str(filled.value)) == (
        "field_already_signed",
        "The signature field “Maire” is already signed.",
    )


def test_sign_pdf_needs_a_tsa_from_level_b_t(document, signers, trust, pki):
    with pytest.raises(SigningError) as refused:
        sign(
            document,
            signers,
            trust,
            pki,
            level="B-T",
            timestamper_url=None,
            check_certificate=False,
        )
    assert (
        str(refused.value) == "Level B-T needs a time-stamping authority, and none is configured."
    )


@pytest.mark.parametrize("data", [b"", b"%PDF-1.7\ngarbage", b"GIF89a"])
def test_sign_pdf_refuses_what_is_not_a_pdf(signers, trust, pki, data):
    with pytest.raises(InvalidDocument) as refused:
        sign(data, signers, trust, pki, check_certificate=False)
    assert (
        str(refused.value) == "This file cannot be read as a PDF document (damaged or not a PDF)."
    )


def test_sign_pdf_with_the_seal_on_a_softhsm_token(document, softhsm_token, trust, pki, pki_server):
    keys.clear_seal_cache()
    settings = keys.SealSettings(
        pkcs11=keys.Pkcs11Settings(
            library=softhsm_token.library,
            token_label=softhsm_token.token_label,
            key_label=softhsm_token.object_label,
            pin=softhsm_token.pin,
            extra_certs=tuple(pki.cert(label) for label in ("intermediate", "root")),
        )
    )
    try:
        seal = keys.get_server_seal(settings=settings)
        signed = sign_pdf(
            document,
            signer=seal,
            field_name="Maire",
            level="B-T",
            stamp=StampText(signer_name="Commune de Démo", quality="Cachet serveur"),
            trust=trust,
            timestamper_url=pki.tsa_url,
        )
    finally:
        keys.clear_seal_cache()

    report = validate_pdf(signed, trust=trust, allow_fetching=True)
    assert summary(report) == [
        ("signature", "Maire", "B-T", "ENTIRE_FILE", "NONE", True, "INDETERMINATE", "NO_POE")
    ]
    assert report.signatures[0].signer.common_name == "Commune de Démo (cachet serveur)"
    assert pdfsig_verdicts(signed) == [("Maire", "Signature is Valid.")]


def _dark_pixels(pdf: bytes, tmp_path, name: str, box) -> int:
    """Render page 3 at 72 dpi (1 px = 1 pt) and count dark pixels inside ``box``."""
    from PIL import Image

    (tmp_path / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-f",
            "3",
            "-l",
            "3",
            "-r",
            "72",
            "-png",
            "-singlefile",
            str(tmp_path / f"{name}.pdf"),
            str(tmp_path / name),
        ],
        check=True,
        timeout=60,
    )
    image = Image.open(tmp_path / f"{name}.png").convert("L")
    x1, y1, x2, y2 = box
    height = image.height
    # PDF y grows upwards, image y downwards; skip the 2-pt border drawn around the field
    region = image.crop((x1 + 3, height - y2 + 3, x2 - 3, height - y1 - 3))
    return sum(region.histogram()[:128])


def test_sign_pdf_draws_the_stamp_inside_its_field(document, signers, trust, pki, tmp_path):
    signed = sign(document, signers, trust, pki, check_certificate=False)
    maire_box, secretaire_box = FIELDS[0][2], FIELDS[1][2]

    assert _dark_pixels(document, tmp_path, "unsigned", maire_box) == 0
    assert _dark_pixels(signed, tmp_path, "signed", maire_box) > 400
    assert _dark_pixels(signed, tmp_path, "signed", secretaire_box) == 0


def test_stamp_text_lines_with_delegation():
    stamp = StampText(
        signer_name="  Jean   MARTIN ",
        quality="Premier adjoint",
        on_behalf_of="le Maire",
        signed_at=datetime(2026, 7, 1, 22, 5, tzinfo=UTC),
        reason="Arrêté n° 2026-17\nvoirie",
        location="Mairie",
    )
    assert stamp.lines() == [
        "Pour le Maire et par délégation,",
        "Jean MARTIN, Premier adjoint",
        "Signé électroniquement le 02/07/2026 à 00:05",
        "Motif : Arrêté n° 2026-17 voirie",
        "Lieu : Mairie",
    ]
    assert StampText(signer_name="Cafe\u0301 SA").lines()[0] == "Café SA"


def test_extend_lta_adds_a_document_timestamp(document, signers, trust, pki, pki_server):
    archive = sign(document, signers, trust, pki, level="B-LTA")
    renewed = extend_lta(archive, trust=trust, timestamper_url=pki.tsa_url)

    report = validate_pdf(renewed, trust=trust, allow_fetching=True)
    assert [(s.kind, s.level, s.bottom_line, s.ades_indication) for s in report.signatures] == [
        ("signature", "B-LTA", True, "PASSED"),
        ("document_timestamp", None, True, None),
        ("document_timestamp", None, True, None),
    ]
    assert report.all_valid is True
    assert renewed[: len(archive)] == archive


def test_needs_lta_renewal_looks_at_the_last_timestamp(document, signers, trust, pki, pki_server):
    archive = sign(document, signers, trust, pki, level="B-LTA")
    # the TSA certificate expires on 2054-01-01, the root on 2064-01-01
    assert lta_expiry(archive) == datetime(2054, 1, 1, tzinfo=UTC)
    now = datetime(2053, 6, 1, tzinfo=UTC)
    assert needs_lta_renewal(archive, horizon_days=180, now=now) is False
    assert needs_lta_renewal(archive, horizon_days=250, now=now) is True
    assert needs_lta_renewal(document, horizon_days=36500) is False  # not an archive


def test_extend_lta_refuses_an_unsigned_document(document, trust, pki):
    with pytest.raises(InvalidDocument) as refused:
        extend_lta(document, trust=trust, timestamper_url=pki.tsa_url)
    assert str(refused.value) == "This document carries no signature to preserve."


def test_async_sign_pdf_runs_in_an_event_loop(document, signers, trust, pki):
    async def main():
        return await async_sign_pdf(
            document,
            signer=signers(SEAL),
            field_name="Maire",
            level="B-B",
            stamp=StampText(signer_name="Commune de Démo"),
            trust=trust,
            check_certificate=False,
        )

    signed = asyncio.run(main())
    assert [f.signed for f in list_signature_fields(signed)] == [True, False]


def test_sign_pdf_refusal_checks_the_certificate_before_anything(
    document, signers, trust, pki, pki_server
):
    # wrong key usage is refused without any network request or PDF write
    with pytest.raises(CertificateRefused) as refused:
        sign(document, signers, trust, pki, label="wrong-key-usage", level="B-LTA")
    assert refused.value.problem == CertificateProblem.WRONG_KEY_USAGE
