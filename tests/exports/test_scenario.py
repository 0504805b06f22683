"""The documents phase of the scenario writes the acts, proofs and séance documents."""

from __future__ import annotations

import hashlib

import pytest

from deliberations.scenario import Scenario, play_seance
from deliberations.selectors import seance_day
from exports.scenario import write_documents

from .conftest import DOCUMENTS, pdf_text

pytestmark = DOCUMENTS


@pytest.mark.slow
def test_write_documents_after_the_seance(db, tmp_path):
    sc = Scenario(out=tmp_path)
    play_seance(sc)

    written = write_documents(sc)

    day = f"{seance_day(sc.seance):%Y-%m-%d}"
    items = sc.seance.items.select_related("act").order_by("position")
    numbered = [item.act for item in items if item.act.number]
    assert [act.number for act in numbered] == [
        f"DEL{numbered[0].number_year}_{n:04d}" for n in range(1, 5)
    ]
    sitting = [path for path in written if path.startswith("sittings/")]
    assert sorted(p for p in sitting if "/convocations/" not in p) == [
        f"sittings/{day}/{name}"
        for name in (
            "dossier-de-seance.pdf",
            "liste-des-deliberations.pdf",
            "note-de-synthese.pdf",
            "ordre-du-jour.pdf",
            "proces-verbal.pdf",
        )
    ]
    assert len([p for p in sitting if "/convocations/" in p]) == 29
    assert f"sittings/{day}/convocations/convocation-marie-dupont.pdf" in sitting
    assert sorted(p for p in written if p.startswith("acts/")) == sorted(
        [f"acts/{a.number}.pdf" for a in numbered]
        + [f"acts/{a.number}-preuve.pdf" for a in numbered]
    )
    first = numbered[0]
    act_text = pdf_text((tmp_path / f"acts/{first.number}.pdf").read_bytes())
    assert f"Délibération n° {first.number}" in act_text
    assert first.objet in act_text
    assert "Tableau des subventions aux associations 2026" in act_text  # the appended annex
    proof_text = pdf_text((tmp_path / f"acts/{first.number}-preuve.pdf").read_bytes())
    assert "BORDEREAU DE SIGNATURE" in proof_text and first.number in proof_text
    minutes = pdf_text((tmp_path / f"sittings/{day}/proces-verbal.pdf").read_bytes())
    assert all(act.number in minutes for act in numbered)
    recorded = {f["path"]: f["sha256"] for f in sc.files}
    content = (tmp_path / f"sittings/{day}/dossier-de-seance.pdf").read_bytes()
    assert recorded[f"sittings/{day}/dossier-de-seance.pdf"] == hashlib.sha256(content).hexdigest()
