"""Drafts (projets) and the HTML preview: the text before its vote or signature."""

from __future__ import annotations

import pytest

from exports.documents import render_html, render_pdf
from exports.documents.exceptions import InvalidSnapshot

from .conftest import load_snapshot, pdf_text

#: What a project does not have yet: number, date, vote, attendance, signatures, mentions.
NOT_YET = ("attendance", "vote", "signatures", "author", "publication", "verification_url")


def draft_snapshot() -> dict:
    snapshot = load_snapshot("act_deliberation")
    for key in NOT_YET:
        del snapshot[key]
    del snapshot["act"]["number"], snapshot["act"]["decision_date"]
    snapshot["draft"] = True
    return snapshot


def test_draft_deliberation_says_it_is_not_an_act(fixture_files, french_documents):
    snapshot = draft_snapshot()

    rendered = render_pdf(template_name="pdf/act.html", snapshot=snapshot, files=fixture_files)

    text = " ".join(pdf_text(rendered.content))
    assert "PROJET DE DÉLIBÉRATION" in text
    assert (
        "Projet : document de travail, ce n’est pas un acte. Il n’a aucun effet juridique tant "
        "qu’il n’est pas adopté ou signé." in text
    )
    assert snapshot["act"]["objet"] in text
    assert "Conseil municipal — séance du 14 mars 2026" in text
    for absent in ("Délibération n°", "Résultat du vote", "Publicité", "Fait à"):
        assert absent not in text
    assert rendered.signature_fields == ()


def test_without_the_draft_flag_the_vote_is_still_required(fixture_files):
    snapshot = draft_snapshot()
    del snapshot["draft"]

    with pytest.raises(InvalidSnapshot):
        render_pdf(template_name="pdf/act.html", snapshot=snapshot, files=fixture_files)


def test_render_html_is_the_document_without_pdf(fixture_files):
    snapshot = load_snapshot("act_deliberation")

    html, family = render_html(template_name="pdf/act.html", snapshot=snapshot, files=fixture_files)

    assert family == "act"
    assert html.startswith("<!DOCTYPE html>")
    assert "DEL2026_0042" in html
    assert "foreign-page" not in html  # appended annexes only exist in the PDF
    assert 'id="delibre-sig-Sig_Maire"' in html
