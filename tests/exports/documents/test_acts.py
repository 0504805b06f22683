"""The act (extrait du registre / arrêté): content, PDF/A, fonts, fields, reproducibility."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from exports.documents import SignatureFieldSpec, render_pdf
from exports.documents.exceptions import (
    InvalidCustomisation,
    InvalidSnapshot,
    MissingFile,
    SignaturePlaceholderMissing,
    UnknownDocument,
)

from .conftest import load_snapshot, pdf_text

ACT_FIELDS = [
    SignatureFieldSpec(name="Sig_Maire", label="Signature du maire"),
    SignatureFieldSpec(name="Sig_Secretaire", label="Signature du secrétaire de séance"),
    SignatureFieldSpec(name="Sig_Publication", label="Cachet de publication"),
]


def render_deliberation(files, customisation=None, **changes):
    snapshot = load_snapshot("act_deliberation")
    snapshot.update(changes)
    return render_pdf(
        template_name="pdf/act.html",
        snapshot=snapshot,
        signature_fields=ACT_FIELDS,
        customisation=customisation,
        files=files,
    )


def test_act_deliberation_prints_the_data_exactly(fixture_files):
    snapshot = load_snapshot("act_deliberation")

    rendered = render_deliberation(fixture_files)

    text = " ".join(pdf_text(rendered.content))
    assert len(snapshot["act"]["objet"]) == 499
    assert snapshot["act"]["objet"] in text
    assert "DEL2026_0042" in text
    assert "42,15\u202f%" in text
    assert "48\u202f750\u00a0€" in text
    assert "« Les Coteaux de l’Arize »" in text
    for visa in snapshot["act"]["visas"]:
        assert visa in text
    for considerant in snapshot["act"]["considerants"]:
        assert considerant in text
    assert "Léa PETIT" in text and "Agnès FONTAINE" in text and "Loïc HENRY" in text
    assert "https://actes.saint-remy-sur-leze.fr/v/7KQ2-9XJ4-DEL2026-0042" in text


def test_act_deliberation_counts_and_named_votes(fixture_files):
    rendered = render_deliberation(fixture_files)

    first, *_ = pdf_text(rendered.content)
    text = " ".join(pdf_text(rendered.content))
    # The four counts of the attendance box, in order.
    assert "29" in first and "22" in first and "26" in first
    assert "Chloé ROUSSEAU, Mathieu FAURE, Isabelle MERCIER, Thomas GIRAUD." in text
    assert "Hélène BLANC, Olivier CHEVALIER, Camille ROBIN." in text
    assert "19 4 3 0 23" in text  # for, against, abstention, not voting, votes cast


def test_act_deliberation_french_wording(fixture_files, customisation, french):
    rendered = render_deliberation(fixture_files, customisation)

    pages = pdf_text(rendered.content)
    text = " ".join(pages)
    assert "EXTRAIT DU REGISTRE DES DÉLIBÉRATIONS" in pages[0]
    assert "Conseil municipal — séance du 14 mars 2026" in pages[0]
    assert (
        "Le 14 mars 2026 à 18\u00a0h\u00a030, le Conseil municipal, dûment convoqué le 6 mars 2026, "
        "s’est réuni à la salle du conseil de l’hôtel de ville, sous la présidence de "
        "Mme Anne MARTIN, Maire." in text
    )
    assert "Le quorum étant atteint (22 membres présents sur 29 en exercice)" in text
    assert "Léa PETIT (pouvoir à Anne MARTIN)" in text
    assert "DÉCIDE :" in text
    assert "Article 3 – Subventions" in text
    assert "Adoptée à la majorité des suffrages exprimés." in text
    assert "Contre (4) : Chloé ROUSSEAU" in text
    assert "Fait et délibéré les jour, mois et an susdits." in text
    # Customised wording replaces the default one.
    assert "Pour extrait certifié conforme au registre des délibérations." in text
    assert "Fait à Saint-Rémy-sur-Lèze, le 14 mars 2026." in text
    # 2022 mentions: author's name and quality, where the online date is shown.
    assert "Auteur de l’acte : Anne MARTIN, Maire." in text
    assert "La date de mise en ligne figure sur cette page, à côté du document" in text
    assert "et par le cachet de publication ci-contre." in text
    assert "tribunal administratif de Toulouse dans un délai de deux mois" in text
    # Page numbering runs across the appended annexes (3 act pages + 3 annex pages).
    assert rendered.page_count == 6
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} / 6" in page
    assert "République française Département de la Haute-Garonne" in pages[0]


def test_act_arrete_by_delegation(fixture_files, french):
    snapshot = load_snapshot("act_arrete")

    rendered = render_pdf(
        template_name="pdf/act.html",
        snapshot=snapshot,
        signature_fields=[SignatureFieldSpec(name="Sig_Signataire")],
        files=fixture_files,
    )

    text = " ".join(pdf_text(rendered.content))
    assert "ARRÊTÉ N° ARR2026_0107" in text
    assert snapshot["act"]["objet"] in text
    assert "Le Maire de la commune de Saint-Rémy-sur-Lèze," in text
    assert "ARRÊTE :" in text
    assert "Pour le Maire et par délégation, Jean-Luc BERNARD Adjoint délégué à la voirie" in text
    assert "(contravention de 2e classe\u00a0: 35\u00a0€)" in text
    assert "DÉCIDE" not in text
    assert [field.name for field in rendered.signature_fields] == ["Sig_Signataire"]


def test_act_signature_fields_are_created_over_the_placeholders(fixture_files):
    rendered = render_deliberation(fixture_files)

    reader = PdfReader(io.BytesIO(rendered.content))
    fields = {
        field["/T"]: field
        for field in (ref.get_object() for ref in reader.trailer["/Root"]["/AcroForm"]["/Fields"])
    }
    assert sorted(fields) == ["Sig_Maire", "Sig_Publication", "Sig_Secretaire"]
    placed = {field.name: field for field in rendered.signature_fields}
    for name, field in fields.items():
        assert field["/FT"] == "/Sig"
        assert "/V" not in field  # empty: nothing signed yet
        assert field["/F"] == 132  # print + locked
        assert tuple(round(float(v), 2) for v in field["/Rect"]) == placed[name].box
        page = reader.pages[placed[name].page]
        assert field.indirect_reference in [annot.indirect_reference for annot in page["/Annots"]]
    # The two signature blocks stand side by side on the last page of the act, 72 mm × 26 mm.
    maire, secretaire = placed["Sig_Maire"], placed["Sig_Secretaire"]
    assert maire.page == secretaire.page == 2
    assert maire.box[1] == secretaire.box[1]
    assert round(maire.box[2] - maire.box[0]) == round(72 / 25.4 * 72)
    assert round(maire.box[3] - maire.box[1]) == round(26 / 25.4 * 72)
    assert maire.box[2] < secretaire.box[0]
    assert placed["Sig_Publication"].box[3] < maire.box[1]


def test_act_is_pdfa3b_tagged_with_metadata(fixture_files):
    rendered = render_deliberation(fixture_files)

    reader = PdfReader(io.BytesIO(rendered.content))
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp
    assert 'pdfaid:conformance="B"' in xmp
    assert root["/Lang"] == "fr"
    assert "/StructTreeRoot" in root
    assert root["/OutputIntents"][0]["/S"] == "/GTS_PDFA1"
    info = reader.metadata
    assert info["/Title"].startswith("Délibération n° DEL2026_0042 — Approbation du budget")
    assert info["/CreationDate"] == "D:20260316091500+01'00"
    assert info["/ModDate"] == "D:20260316091500+01'00"
    assert "<xmp:CreateDate>2026-03-16T09:15:00+01:00</xmp:CreateDate>" in xmp


def test_act_fonts_are_embedded_noto(fixture_files, tmp_path):
    path = tmp_path / "act.pdf"
    path.write_bytes(render_deliberation(fixture_files).content)

    output = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)

    rows = [line.split() for line in output.stdout.splitlines()[2:]]
    assert rows  # at least one font
    for row in rows:
        name, embedded = row[0], row[-5]
        assert "+Noto-" in name, name
        assert embedded == "yes", name


def test_act_rendering_is_byte_identical(fixture_files, customisation):
    first = render_deliberation(fixture_files, customisation)
    second = render_deliberation(fixture_files, customisation)

    assert first.content == second.content
    assert first.snapshot_sha256 == second.snapshot_sha256
    assert first.template_sha256 == second.template_sha256
    trailer_id = PdfReader(io.BytesIO(first.content)).trailer["/ID"]
    assert (
        trailer_id[0]
        == hashlib.sha256(f"{first.template_sha256}:{first.snapshot_sha256}".encode()).hexdigest()[
            :32
        ]
    )


def test_act_rendering_is_identical_in_a_fresh_process(fixture_files):
    rendered = render_deliberation(fixture_files)
    script = (
        "import django, hashlib, json, pathlib, sys;"
        "django.setup();"
        "from exports.documents import render_pdf, SignatureFieldSpec;"
        "F = pathlib.Path(sys.argv[1]);"
        "files = {hashlib.sha256(p.read_bytes()).hexdigest(): p.read_bytes() for p in F.iterdir()"
        " if p.suffix in ('.pdf', '.svg')};"
        "snapshot = json.loads((F / 'act_deliberation.json').read_text());"
        "fields = [SignatureFieldSpec(name=n, label=l) for n, l in json.loads(sys.argv[2])];"
        "r = render_pdf(template_name='pdf/act.html', snapshot=snapshot, signature_fields=fields,"
        " files=files);"
        "print(hashlib.sha256(r.content).hexdigest())"
    )
    import json

    fields = json.dumps([[spec.name, spec.label] for spec in ACT_FIELDS])
    root = Path(__file__).resolve().parents[3]

    output = subprocess.run(
        [sys.executable, "-c", script, str(Path(__file__).parent / "fixtures"), fields],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
        env={
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(root),
        },
    )

    assert output.stdout.strip() == rendered.content_sha256


def test_act_changed_snapshot_changes_hash(fixture_files):
    first = render_deliberation(fixture_files)
    second = render_deliberation(fixture_files, rendered_at="2026-03-16T09:16:00+01:00")

    assert first.snapshot_sha256 != second.snapshot_sha256
    assert first.content != second.content


def test_act_bundled_annex_is_a_pdfa3_associated_file(fixture_files):
    snapshot = load_snapshot("act_deliberation")
    for annex in snapshot["act"]["annexes"]:
        annex["mode"] = "bundled"

    rendered = render_pdf(template_name="pdf/act.html", snapshot=snapshot, files=fixture_files)

    reader = PdfReader(io.BytesIO(rendered.content))
    root = reader.trailer["/Root"]
    assert rendered.page_count == 3  # the act only
    names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    filespecs = [names[i + 1].get_object() for i in range(0, len(names), 2)]
    assert sorted(spec["/F"] for spec in filespecs) == [
        "annexe-plan-paysage.pdf",
        "annexe-tableau-financement.pdf",
    ]
    assert {spec["/AFRelationship"] for spec in filespecs} == {"/Supplement"}
    assert len(root["/AF"]) == 2
    embedded = {spec["/F"]: spec["/EF"]["/F"].get_object().get_data() for spec in filespecs}
    for annex in snapshot["act"]["annexes"]:
        assert hashlib.sha256(embedded[annex["filename"]]).hexdigest() == annex["sha256"]


def test_act_appended_annex_pages_keep_their_size(fixture_files):
    rendered = render_deliberation(fixture_files)

    reader = PdfReader(io.BytesIO(rendered.content))
    sizes = [
        (round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages
    ]
    # A4 act pages, the 2-page annex (second page /Rotate 90 shown landscape), the landscape plan.
    assert sizes == [(595, 842)] * 3 + [(595, 842), (842, 595), (842, 595)]


def test_act_refuses_a_missing_or_changed_file(fixture_files):
    snapshot = load_snapshot("act_deliberation")
    snapshot["act"]["annexes"][0]["sha256"] = "0" * 64

    with pytest.raises(MissingFile):
        render_pdf(template_name="pdf/act.html", snapshot=snapshot, files=fixture_files)


def test_act_refuses_an_incomplete_snapshot(fixture_files):
    snapshot = load_snapshot("act_deliberation")
    del snapshot["vote"]

    with pytest.raises(InvalidSnapshot) as error:
        render_pdf(template_name="pdf/act.html", snapshot=snapshot, files=fixture_files)

    assert error.value.field == "snapshot.vote"


def test_act_refuses_a_field_without_placeholder(fixture_files):
    with pytest.raises(SignaturePlaceholderMissing) as error:
        render_pdf(
            template_name="pdf/act.html",
            snapshot=load_snapshot("act_arrete"),
            signature_fields=[SignatureFieldSpec(name="Sig_Absent")],
            files=fixture_files,
        )

    assert error.value.field == "Sig_Absent"


def test_unknown_template_and_customisation_are_refused(fixture_files):
    with pytest.raises(UnknownDocument):
        render_pdf(template_name="pdf/nope.html", snapshot={})
    with pytest.raises(InvalidCustomisation):
        render_deliberation(fixture_files, {"primary_colour": "red"})
    with pytest.raises(InvalidCustomisation):
        render_deliberation(fixture_files, {"wording": {"no_such_wording": "x"}})
