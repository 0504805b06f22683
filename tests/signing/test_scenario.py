"""Independent check of the scenario's outputs: every act in acts/ carries the expected
signatures and verifies — with pyHanko against the root the scenario wrote, offline (the
revocation data is embedded), and with pdfsig (an independent CMS implementation on NSS) — and
so does the procès-verbal."""

from __future__ import annotations

import json

import pytest

from deliberations.scenario import Scenario, play_seance
from deliberations.selectors import seance_day
from exports.scenario import write_documents
from signing.scenario import sign_acts
from signing.trust import TrustSettings
from signing.validation import run_pdfsig, validate_pdf

pytestmark = pytest.mark.slow


def test_every_act_of_the_scenario_is_signed_and_verifies(db, tmp_path, key_cache):
    sc = Scenario(out=tmp_path / "out")
    play_seance(sc)
    write_documents(sc)

    signed = sign_acts(sc, key_cache=key_cache)

    out = sc.out
    root = out / "signing" / "trust-roots.pem"
    trust = TrustSettings.from_pem(root.read_bytes())
    acts = sorted(p for p in (out / "acts").glob("*.pdf") if not p.name.endswith("-preuve.pdf"))
    deliberations = [p for p in acts if p.name.startswith("DEL")]
    arretes = [p for p in acts if p.name.startswith("AR")]
    assert (len(deliberations), len(arretes), len(signed)) == (4, 1, 4 * 2 + 1 + 2)
    expected = {
        **{p.name: ["Sig_President", "Sig_Secretaire"] for p in deliberations},
        **{p.name: ["Sig_Etape2"] for p in arretes},
    }
    day = f"{seance_day(sc.seance):%Y-%m-%d}"
    minutes = out / "sittings" / day / "proces-verbal.pdf"
    expected[minutes.name] = ["Sig_President", "Sig_Secretaire"]
    for path in [*acts, minutes]:
        pdf = path.read_bytes()
        report = validate_pdf(pdf, trust=trust, allow_fetching=False)
        fields = [s.field_name for s in report.signatures if s.kind == "signature"]
        assert (path.name, fields, report.all_valid) == (path.name, expected[path.name], True)
        assert all(s.intact and s.valid and not s.modified_after_signing for s in report.signatures)
        # pdfsig checks each CMS signature and digest on its own (NSS); trust and revocation
        # were judged above from the data embedded in the files, offline (B-LT, B-LTA).
        pdfsig = [
            (s.field_name, s.signature_validation)
            for s in run_pdfsig(pdf).signatures
            if s.signed and s.signature_type == "ETSI.CAdES.detached"
        ]
        assert sorted(pdfsig) == [
            (name, "Signature is Valid.") for name in sorted(expected[path.name])
        ]
        stored = json.loads(path.with_suffix(".validation.json").read_text())
        assert (stored["sha256"], stored["all_valid"]) == (report.sha256, True)
    levels = [
        s.level
        for s in validate_pdf(
            deliberations[0].read_bytes(), trust=trust, allow_fetching=False
        ).signatures
    ]
    assert levels == ["B-LTA", "B-LTA", None]  # Maire B-LT, then secrétaire B-LTA + archive stamp
    recorded = {f["path"] for f in sc.files}
    assert {f"acts/{p.stem}.validation.json" for p in acts} <= recorded
    assert len([f for f in sc.files if f["path"] == f"acts/{acts[0].name}"]) == 1
