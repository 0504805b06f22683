"""Séance documents and the proof sheet: content, fields, reproducibility."""

from __future__ import annotations

import pytest

from exports.documents import SignatureFieldSpec, render_pdf
from exports.documents.exceptions import InvalidSnapshot

from .conftest import load_snapshot, pdf_text

DOCUMENTS = {
    "convocation": "pdf/seance/convocation.html",
    "agenda": "pdf/seance/agenda.html",
    "synthesis": "pdf/seance/synthesis.html",
    "minutes": "pdf/seance/minutes.html",
    "deliberation_list": "pdf/seance/deliberation_list.html",
    "proof": "pdf/proof.html",
}


def render(name, files, **kwargs):
    snapshot = load_snapshot(name)
    fields = [SignatureFieldSpec(name=s["field"]) for s in snapshot.get("signatures", [])]
    return render_pdf(
        template_name=DOCUMENTS[name],
        snapshot=snapshot,
        signature_fields=fields,
        files=files,
        **kwargs,
    )


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_seance_document_is_reproducible_pdfa(name, fixture_files, customisation):
    first = render(name, fixture_files, customisation=customisation)
    second = render(name, fixture_files, customisation=customisation)

    assert first.content == second.content
    assert first.content.startswith(b"%PDF-1.7")
    assert b'pdfaid:part="3"' in first.content or first.page_count >= 1


def test_convocation_addresses_the_member_with_the_agenda(fixture_files, french):
    snapshot = load_snapshot("convocation")

    text = " ".join(pdf_text(render("convocation", fixture_files).content))

    assert "Mme Élodie LEFÈVRE Conseillère municipale 12, chemin des Lauriers" in text
    assert "Lieu-dit « La Borde » 31870 Saint-Rémy-sur-Lèze" in text
    assert "14 mars 2026 à 18\u00a0h\u00a030" in text
    for item in snapshot["items"]:
        assert item["objet"] in text
    assert "AJOUTÉ À L’ORDRE DU JOUR" in text
    assert "J’ai l’honneur de vous convier à la séance du Conseil municipal" in text


def test_agenda_and_synthesis_list_every_item(fixture_files, french):
    agenda = " ".join(pdf_text(render("agenda", fixture_files).content))
    synthesis = " ".join(pdf_text(render("synthesis", fixture_files).content))

    for item in load_snapshot("agenda")["items"]:
        assert item["objet"] in agenda
        assert item["objet"] in synthesis
    assert "ORDRE DU JOUR" in agenda
    assert "NOTE EXPLICATIVE DE SYNTHÈSE" in synthesis
    assert "Incidence budgétaire : 6\u00a0957\u00a0860,00\u00a0€" in synthesis


def test_minutes_items_votes_and_signature_fields(fixture_files, french):
    rendered = render("minutes", fixture_files)

    text = " ".join(pdf_text(rendered.content))
    assert "PROCÈS-VERBAL" in text
    assert (
        "Pour : 22 · Contre : 0 · Abstentions : 4 · Ne prennent pas part au vote : 0 — "
        "Adoptée à l’unanimité des suffrages exprimés." in text
    )
    assert "Pour : 8 · Contre : 14 · Abstentions : 4" in text and "Rejetée." in text
    assert "Reporté" in text
    assert "M. Yves PERRIN a quitté la séance avant le vote de ce point" in text
    assert "La séance est levée le 14 mars 2026 à 21\u00a0h\u00a005." in text
    assert [f.name for f in rendered.signature_fields] == ["Sig_President", "Sig_Secretaire"]


def test_deliberation_list_numbers_objets_results(fixture_files, french):
    text = " ".join(pdf_text(render("deliberation_list", fixture_files).content))

    assert (
        "DEL2026_0041 Approbation du procès-verbal de la séance du 6 février 2026 Adoptée" in text
    )
    assert "DEL2026_0044 Motion relative au maintien du bureau de poste Rejetée" in text
    assert "Affichée le 16 mars 2026." in text


def test_proof_sheet_lists_every_decision_and_the_journal_hash(fixture_files, french):
    snapshot = load_snapshot("proof")

    text = " ".join(pdf_text(render("proof", fixture_files).content))

    assert "BORDEREAU DE SIGNATURE" in text
    assert snapshot["journal"]["last_event_hash"] in text.replace(" ", "")
    assert "Sylvie BONNET pour le compte de Claire MOREL (DGS)" in text
    assert "Merci de corriger le montant total des subventions : 48 750 € et non 48 570 €." in text
    assert "Renvoyé au rédacteur" in text
    assert "16 mars 2026 à 10\u00a0h\u00a005" in text
    assert text.count("Signé") == 2


def test_proof_sheet_refuses_a_malformed_journal_hash(fixture_files):
    snapshot = load_snapshot("proof")
    snapshot["journal"]["last_event_hash"] = "not-a-hash"

    with pytest.raises(InvalidSnapshot):
        render_pdf(template_name="pdf/proof.html", snapshot=snapshot, files=fixture_files)
