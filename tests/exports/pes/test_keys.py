"""Keys that sign bordereaux: an uploaded PKCS#12, or the server's PKCS#11 token (SoftHSM2)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from exports.pes import build_pes_aller, verify_flow
from exports.pes.exceptions import PesSignatureError
from exports.pes.keys import signer_from_upload
from signing.pki.softhsm import find_softhsm_library

from .fixtures import P12_PASSWORD
from .flows import make_flow

ROOT = Path(__file__).resolve().parents[3]

# A separate process: SoftHSM reads its configuration once per process, and the token is
# opened once per process by exports.pes.keys.
_SCRIPT = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    import django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from signing.pki.softhsm import provision_softhsm_token
    work = Path(sys.argv[1])
    token = provision_softhsm_token(
        directory=work / "softhsm", key_pem=(work / "key.pem").read_bytes(),
        cert_pem=(work / "cert.pem").read_bytes(), token_label="pes-ordo",
        object_label="ordonnateur", pin="1234", so_pin="5678",
    )
    os.environ.update(
        DELIBRE_PES_PKCS11_LIBRARY=token.library, DELIBRE_PES_PKCS11_TOKEN="pes-ordo",
        DELIBRE_PES_PKCS11_KEY="ordonnateur", DELIBRE_PES_PKCS11_PIN="1234",
    )
    from exports.pes import sign_flow
    from exports.pes.keys import token_available, token_signer
    assert token_available()
    signer = token_signer()
    assert token_signer() is signer  # opened once per process
    signed = sign_flow((work / "flow.xml").read_bytes(), signer=signer)
    (work / "signed.xml").write_bytes(signed)
    """
)


@pytest.mark.skipif(find_softhsm_library() is None, reason="SoftHSM2 is not installed")
def test_the_server_token_signs_every_bordereau(pki, tmp_path):
    (tmp_path / "key.pem").write_bytes(
        pki.signer_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "cert.pem").write_bytes(pki.signer_cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "flow.xml").write_bytes(build_pes_aller(flow=make_flow()))

    completed = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(tmp_path)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    verification = verify_flow(tmp_path / "signed.xml")
    assert [(b.valid, b.signer_common_name) for b in verification.bordereaux] == [
        (True, "Jeanne Ordonnatrice")
    ] * 3


def test_an_uploaded_pkcs12_is_bounded_and_its_password_checked(signer_p12):
    assert signer_from_upload(data=signer_p12, password=P12_PASSWORD).certificate.subject
    with pytest.raises(PesSignatureError) as empty:
        signer_from_upload(data=b"", password=P12_PASSWORD)
    assert str(empty.value) == (
        "Choose your certificate file (PKCS#12, .p12 or .pfx, at most 100 KB)."
    )
    with pytest.raises(PesSignatureError):
        signer_from_upload(data=b"x" * (100 * 1024 + 1), password=P12_PASSWORD)
