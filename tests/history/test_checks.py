"""Bad manifests: every problem is reported with its file, line, column and reason, and nothing
is written — by the dry run, nor by a real run that is refused."""

from __future__ import annotations

import json

import pytest

from history.exceptions import ImportRefused, ManifestUnreadable
from tests.history.conftest import run_import
from tests.history.helpers import arrete, census, deliberation, write_export
from workflow.models import AuditEvent

pytestmark = pytest.mark.django_db


def problems(report) -> list[tuple[str, int | None, str, str, str]]:
    return [(p.source, p.line, p.field, p.code, p.message) for p in report.sorted_problems()]


def errors(report) -> list[tuple[str, int | None, str, str, str]]:
    return [
        (p.source, p.line, p.field, p.code, p.message)
        for p in report.sorted_problems()
        if p.is_error
    ]


def test_a_valid_small_manifest_has_no_problem(commune, tmp_path):
    folder = write_export(
        tmp_path, [deliberation("2024_001", "2024-03-14"), arrete("AR2024_001", "2024-03-20")]
    )

    report = run_import(commune, folder, dry_run=True)

    assert problems(report) == []
    assert (report.counts["new"], report.counts["seances"], report.counts["officials"]) == (
        2,
        1,
        30,
    )


def test_missing_columns_are_reported_on_the_header_line(commune, tmp_path):
    columns = ("number", "type", "objet", "decision_date", "pdf")
    folder = write_export(tmp_path, [arrete("AR2024_001", "2024-03-20")], columns=columns)

    report = run_import(commune, folder, dry_run=True)

    assert errors(report) == [
        ("manifest", 1, "matiere", "missing_column", "This column is missing: every row needs it."),
        ("manifest", 2, "matiere", "required", "This column must have a value."),
    ]


def test_bad_dates_are_reported_with_their_line_and_column(commune, tmp_path):
    folder = write_export(
        tmp_path,
        [
            arrete("AR2024_001", "2024-03-20"),
            arrete("AR2024_002", "31/02/2024"),
            arrete("AR2024_003", "2024-03-22", published_on="22 mars 2024"),
            arrete("AR2024_004", "2024-03-25", published_on="2024-03-01"),
            arrete("AR2024_005", "2099-01-01"),
        ],
    )

    report = run_import(commune, folder, dry_run=True)

    assert errors(report) == [
        (
            "manifest",
            3,
            "decision_date",
            "date_invalid",
            "Write the date as YYYY-MM-DD (or DD/MM/YYYY).",
        ),
        ("manifest", 3, "decision_date", "required", "Give the date the act was signed."),
        (
            "manifest",
            4,
            "published_on",
            "date_invalid",
            "Write the date as YYYY-MM-DD (or DD/MM/YYYY).",
        ),
        (
            "manifest",
            5,
            "published_on",
            "date_order",
            "This date is before the decision (2024-03-25).",
        ),
        (
            "manifest",
            6,
            "decision_date",
            "date_future",
            "This date (2099-01-01) is in the future: history holds past acts only.",
        ),
    ]
    assert (report.counts["new"], report.counts["invalid"]) == (1, 4)


def test_duplicate_numbers_name_the_first_line(commune, tmp_path):
    folder = write_export(
        tmp_path,
        [
            arrete("AR2024_001", "2024-03-20"),
            arrete("AR2024_002", "2024-03-21"),
            arrete("AR2024_001", "2024-03-22", pdf="pdf/other.pdf"),
            arrete("AR 2024/3", "2024-03-23", pdf="pdf/third.pdf"),
        ],
    )

    report = run_import(commune, folder, dry_run=True)

    assert errors(report) == [
        (
            "manifest",
            4,
            "number",
            "number_duplicate",
            "The number AR2024_001 is already on line 2.",
        ),
        (
            "manifest",
            5,
            "number",
            "number_invalid",
            "AR 2024/3 is not a valid number for the prefecture (ACTES): 2 to 15 capital "
            "letters, digits or underscores, starting and ending with a letter or a digit.",
        ),
    ]


def test_missing_and_non_pdf_files_are_refused(commune, tmp_path):
    folder = write_export(
        tmp_path,
        [
            arrete("AR2024_001", "2024-03-20"),
            arrete("AR2024_002", "2024-03-21", annexes="annexes/plan.pdf"),
            arrete("AR2024_003", "2024-03-22"),
            arrete("AR2024_004", "2024-03-23", pdf="../outside.pdf"),
        ],
    )
    (folder / "pdf" / "AR2024_001.pdf").unlink()
    (folder / "annexes" / "plan.pdf").write_bytes(b"PK\x03\x04 not a pdf at all")
    (folder / "pdf" / "AR2024_003.pdf").write_text("Arrêté n° 3, tapé dans un traitement de texte")

    report = run_import(commune, folder, dry_run=True)

    assert errors(report) == [
        (
            "manifest",
            2,
            "pdf",
            "file_missing",
            "pdf/AR2024_001.pdf: This file is not in the files folder.",
        ),
        (
            "manifest",
            3,
            "annexes",
            "pdf_unreadable",
            "annexes/plan.pdf: This file is not a PDF document. Export it as PDF and upload it "
            "again.",
        ),
        (
            "manifest",
            4,
            "pdf",
            "pdf_unreadable",
            "pdf/AR2024_003.pdf: This file is not a PDF document. Export it as PDF and upload it "
            "again.",
        ),
        (
            "manifest",
            5,
            "pdf",
            "file_path",
            "../outside.pdf: The path goes outside the files folder (..): give it from inside "
            "the folder.",
        ),
    ]


def test_unknown_classification_codes_are_refused(commune, tmp_path):
    folder = write_export(
        tmp_path,
        [
            deliberation("2024_001", "2024-03-14", matiere="9.9"),
            deliberation("2024_002", "2024-03-14", matiere="7"),
            arrete("AR2024_001", "2024-03-20", nature="XX", annexes="a.pdf", annex_types="99_ZZ"),
        ],
    )

    report = run_import(commune, folder, dry_run=True)

    assert errors(report) == [
        (
            "manifest",
            2,
            "matiere",
            "matiere_unknown",
            "The matière 9.9 is not in the prefecture's classification.",
        ),
        (
            "manifest",
            3,
            "matiere",
            "matiere_level",
            "Give a matière of level 2 or deeper (for example 7.1), not 7.",
        ),
        (
            "manifest",
            4,
            "nature",
            "nature_invalid",
            "Unknown ACTES nature: write 1 to 6, or DE, AR, AI, CC, BF, AU.",
        ),
    ]


def test_votes_and_officials_are_checked(commune, tmp_path):
    folder = write_export(
        tmp_path,
        [
            deliberation("2024_001", "2024-03-14", present="30"),
            deliberation("2024_002", "2024-03-14", rapporteur="Jean Inconnu"),
            deliberation("2024_003", "2024-03-14", **{"for": "10", "against": "14"}),
            deliberation("2024_004", "2024-03-14", assembly="Bureau"),
        ],
    )
    with (folder / "elus.csv").open("a", encoding="utf-8") as handle:
        handle.write("Dr,Paul,Durand,,Conseil municipal,council,maire,,,2020-07-04,,\n")

    report = run_import(commune, folder, dry_run=True)

    assert errors(report) == [
        ("officials", 32, "civility", "civility_invalid", "Write Mme or M."),
        (
            "manifest",
            2,
            "present",
            "votes_inconsistent",
            "Present (30) and represented (2) members outnumber the members in office (29).",
        ),
        (
            "manifest",
            3,
            "rapporteur",
            "rapporteur_unknown",
            "Jean Inconnu is not an elected official of the collectivité (or two have this "
            "name): write the first name and last name as in the officials' list.",
        ),
        (
            "manifest",
            4,
            "for",
            "votes_not_adopted",
            "With 10 for and 14 against the deliberation was not adopted: only adopted acts are "
            "imported (write casting_vote yes for a tie decided by the president).",
        ),
        (
            "manifest",
            5,
            "assembly",
            "assembly_unknown",
            "Unknown assembly Bureau: create it in the settings, or list its members in the "
            "elected officials' file.",
        ),
    ]


def test_a_refused_import_writes_nothing(commune, tmp_path):
    folder = write_export(
        tmp_path,
        [deliberation("2024_001", "2024-03-14"), arrete("AR2024_001", "2024-13-01")],
    )
    before = census()

    with pytest.raises(ImportRefused) as refusal:
        run_import(commune, folder)

    assert str(refusal.value) == (
        "The import was refused: 2 problems must be corrected first (nothing was written)."
    )
    assert [(p.line, p.field, p.code) for p in refusal.value.report.errors] == [
        (3, "decision_date", "date_invalid"),
        (3, "decision_date", "required"),
    ]
    assert census() == before


def test_json_manifests_report_positions_in_the_list(commune, tmp_path):
    folder = write_export(tmp_path, [arrete("AR2024_001", "2024-03-20")])
    acts = [
        arrete("AR2024_001", "2024-03-20"),
        {**arrete("AR2024_002", "2024-03-21"), "colour": "blue", "decision_date": "2024-02-30"},
    ]
    (folder / "pdf" / "AR2024_002.pdf").write_bytes(
        (folder / "pdf" / "AR2024_001.pdf").read_bytes()
    )
    (folder / "manifest.json").write_text(
        json.dumps(
            {
                "format": "delibre-history/1",
                "officials": "elus.csv",
                "classification": "classification.xml",
                "acts": acts,
            }
        ),
        encoding="utf-8",
    )

    report = run_import(
        commune,
        folder,
        dry_run=True,
        manifest="manifest.json",
        officials=None,
        classification=None,
    )

    assert problems(report) == [
        (
            "manifest",
            2,
            "colour",
            "unknown_column",
            "Unknown field: it is ignored. The fields are listed in the guide.",
        ),
        (
            "manifest",
            2,
            "decision_date",
            "date_invalid",
            "Write the date as YYYY-MM-DD (or DD/MM/YYYY).",
        ),
        ("manifest", 2, "decision_date", "required", "Give the date the act was signed."),
    ]
    assert (report.counts["officials"], report.counts["classification"]) == (30, 1)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "manifest.csv is empty."),
        (
            b"{not json",
            "manifest.csv is not valid JSON: Expecting property name enclosed in "
            "double quotes: line 1 column 2 (char 1)",
        ),
        (
            b'{"format": "webdelib/9", "acts": []}',
            "manifest.csv declares the format webdelib/9; Délibre reads delibre-history/1.",
        ),
    ],
)
def test_an_unreadable_manifest_is_refused_at_once(commune, tmp_path, content, message):
    folder = write_export(tmp_path, [])
    (folder / "manifest.csv").write_bytes(content)
    events = AuditEvent.objects.count()

    with pytest.raises(ManifestUnreadable) as refusal:
        run_import(commune, folder, dry_run=True)

    assert str(refusal.value) == message
    assert AuditEvent.objects.count() == events


def test_signed_pdfs_need_a_trusted_authority_to_be_judged(commune, tmp_path, sign_sample):
    from signing.models import TrustedRoot

    folder = write_export(tmp_path, [arrete("AR2024_001", "2024-03-20")])
    pdf = folder / "pdf" / "AR2024_001.pdf"
    pdf.write_bytes(sign_sample(pdf.read_bytes(), "valid"))
    TrustedRoot.objects.all().delete()

    report = run_import(commune, folder, dry_run=True)

    assert errors(report) == [
        (
            "import",
            None,
            "pdf",
            "trust_missing",
            "1 PDFs are signed (AR2024_001…) but no trusted certification authority is "
            "configured, so their signatures cannot be judged: add the authorities that issued "
            "the signers' certificates in the signing settings, then check again.",
        )
    ]
