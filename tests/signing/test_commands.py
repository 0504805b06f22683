"""``manage.py verify FILE [--json]``: 0 when every signature is valid, 1 when any is not, 2 when
the file cannot be read — for signed PDFs and for PES flows. ``renew_archives`` too."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from signing import services
from tests.signing.conftest import PASSWORD, adopted_deliberation, set_level
from tests.signing.helpers import content


def stamp_over_page(pdf: bytes) -> bytes:
    """Someone stamps "ANNULÉ" on page 1 in an incremental update, after the signatures."""
    from pyhanko import stamp
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    stamp.TextStamp(writer, stamp.TextStampStyle(stamp_text="ANNULE")).apply(0, 100, 400)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def verify(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("verify", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def signed_pdf(commune, tmp_path):
    act, first, second, _document = adopted_deliberation(commune)
    for step, who in ((first, "maire"), (second, "secretaire")):
        version = services.sign_step(
            step_run=step,
            actor=getattr(commune, who),
            certificate=commune.certificates[who],
            password=PASSWORD,
        )
    path = tmp_path / f"{act.number}.pdf"
    path.write_bytes(content(version))
    return act, version, path


def test_verify_a_valid_signed_act_exits_0(signed_pdf):
    act, version, path = signed_pdf

    code, output = verify(str(path))
    json_code, as_json = verify(str(path), "--json")

    lines = output.splitlines()
    assert (code, json_code) == (0, 0)
    assert lines[1] == (
        f"Signed by this instance: act {act.number} (Commune de Saint-Exemple), version 2 "
        "(latest version)."
    )
    assert [line.split(":")[0] for line in lines if line.startswith("  #")] == [
        "  #1 signature Sig_President",
        "  #2 signature Sig_Secretaire",
    ]
    assert lines[-1] == "Every signature is valid."
    data = json.loads(as_json)
    assert (data["kind"], data["valid"], data["sha256"], data["match"]["version"]) == (
        "pdf",
        True,
        version.output_sha256,
        2,
    )
    assert [s["acceptable"] for s in data["report"]["signatures"]] == [True, True]


def test_verify_detects_a_page_changed_after_signing_exits_1(signed_pdf, tmp_path):
    _act, _version, path = signed_pdf
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(stamp_over_page(path.read_bytes()))

    code, output = verify(str(changed), "--json")

    data = json.loads(output)
    assert (code, data["valid"], data["signed_by_this_instance"]) == (1, False, False)
    assert [
        (s["modification_level"], s["modified_after_signing"]) for s in data["report"]["signatures"]
    ] == [
        ("OTHER", True),
        ("OTHER", True),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot be read (No such file or directory)."),
        (b"GIF89a", "This file is neither a PDF document nor a PES flow: nothing can be verified."),
        (
            b"%PDF-1.7\n1 0 obj\n<<",
            "This file cannot be read as a PDF document (damaged or not a PDF).",
        ),
    ],
    ids=["missing", "not-a-pdf", "damaged"],
)
def test_verify_an_unreadable_file_exits_2(commune, tmp_path, content, message):
    path = tmp_path / "file.pdf"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CommandError) as failed:
        call_command("verify", str(path))
    assert (failed.value.returncode, str(failed.value)) == (2, f"{path}: {message}")


def test_verify_an_unsigned_pdf_exits_1(commune, tmp_path):
    from tests.signing.conftest import make_document

    path = tmp_path / "unsigned.pdf"
    path.write_bytes(make_document())
    assert verify(str(path))[0] == 1


def test_the_real_exit_status_of_manage_py_verify(signed_pdf, tmp_path, monkeypatch):
    from django.core.management import ManagementUtility
    from django.db import connections

    # run_from_argv closes the connections when it ends: keep the test's transaction open.
    monkeypatch.setattr(connections, "close_all", lambda: None)

    _act, _version, path = signed_pdf
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(stamp_over_page(path.read_bytes()))
    codes = []
    for target in (path, changed, tmp_path / "missing.pdf"):
        try:
            ManagementUtility(["manage.py", "verify", str(target)]).execute()
            codes.append(0)
        except SystemExit as exit_:
            codes.append(exit_.code)
    assert codes == [0, 1, 2]


# --- PES flows (issue 7 asks for the same command) ---------------------------------------------


@pytest.fixture
def pes_flow(commune):
    """A PES_Aller whose bordereau is signed with the demo seal key (trusted by the commune)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from exports.pes import build_pes_aller, sign_flow, signer_from_private_key
    from tests.exports.pes.flows import make_flow

    pki = commune.pki
    signer = signer_from_private_key(
        private_key=serialization.load_pem_private_key(
            (pki.directory / "keys" / "seal.key.pem").read_bytes(), password=None
        ),
        certificate=x509.load_pem_x509_certificate(pki.cert_path("seal").read_bytes()),
        chain=(x509.load_pem_x509_certificate(pki.cert_path("intermediate").read_bytes()),),
    )
    return sign_flow(
        build_pes_aller(flow=make_flow(depense=1, recette=False)),
        signer=signer,
        claimed_role="Ordonnateur",
    )


def test_verify_a_signed_pes_flow_exits_0_and_a_tampered_one_1(pes_flow, tmp_path):
    good, bad, broken = tmp_path / "good.xml", tmp_path / "bad.xml", tmp_path / "broken.xml"
    good.write_bytes(pes_flow)
    bad.write_bytes(_tamper(pes_flow))
    broken.write_bytes(pes_flow[: len(pes_flow) // 2])

    good_code, good_output = verify(str(good), "--json")
    bad_code, bad_output = verify(str(bad), "--json")
    broken_code, _output = verify(str(broken))

    assert (good_code, bad_code, broken_code) == (0, 1, 2)
    good_data, bad_data = json.loads(good_output), json.loads(bad_output)
    assert (good_data["kind"], good_data["valid"]) == ("pes", True)
    assert [(b["signed"], b["valid"], b["signer"]) for b in good_data["report"]["bordereaux"]] == [
        (True, True, "Commune de Démo (cachet serveur)")
    ]
    assert [(b["signed"], b["valid"]) for b in bad_data["report"]["bordereaux"]] == [(True, False)]


def _tamper(flow: bytes) -> bytes:
    """Change an amount inside the signed bordereau."""
    import re

    match = re.search(rb'<MtHT V="([0-9.]+)"', flow)
    assert match is not None
    return flow[: match.start(1)] + b"999999.99" + flow[match.end(1) :]


# --- Archives ---------------------------------------------------------------------------------


def test_renew_archives_command(commune):
    set_level(commune, "B-LTA")
    _act, first, _second, _document = adopted_deliberation(commune)
    services.sign_step(
        step_run=first,
        actor=commune.maire,
        certificate=commune.certificates["maire"],
        password=PASSWORD,
    )
    out = io.StringIO()

    call_command("renew_archives", "--horizon-days", "20000", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[-1] == "1 archives checked, 1 renewed, 0 failed."
