import csv
import dataclasses
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exports.opendata.checks import ScdlError, matiere_nom
from exports.opendata.exceptions import InvalidOpenData
from exports.opendata.scdl import DeliberationRow, validate_scdl_csv, write_scdl_csv
from exports.opendata.schema import SCHEMA_PATH, scdl_columns

HEADER = (
    "COLL_NOM,COLL_SIRET,DELIB_ID,DELIB_DATE,DELIB_MATIERE_CODE,DELIB_MATIERE_NOM,DELIB_OBJET,"
    "BUDGET_ANNEE,BUDGET_NOM,PREF_ID,PREF_DATE,VOTE_EFFECTIF,VOTE_REEL,VOTE_POUR,VOTE_CONTRE,"
    "VOTE_ABSTENTION,DELIB_URL"
)


def full_row(**changes) -> DeliberationRow:
    row = DeliberationRow(
        coll_nom="Ville de Poitiers",
        coll_siret="21860194600013",
        delib_id="2024_DE_012",
        delib_date=dt.date(2024, 3, 5),
        delib_matiere_code="8.4",
        delib_matiere_nom="domaines de compétences par thèmes/aménagement du territoire",
        delib_objet='Adhésion à l\'association "Montagne", pour 2024',
        budget_annee="2024",
        budget_nom="Budget annexe de l'eau",
        pref_id="SPREF0441",
        pref_date=dt.date(2024, 3, 7),
        vote_effectif=43,
        vote_reel=40,
        vote_pour=25,
        vote_contre=10,
        vote_abstention=5,
        delib_url="https://actes.poitiers.fr/2024_DE_012.pdf",
    )
    return dataclasses.replace(row, **changes)


def minimal_row(**changes) -> DeliberationRow:
    row = DeliberationRow(
        coll_nom="Ville de Poitiers",
        coll_siret="21860194600013",
        delib_id="2024_DE_013",
        delib_date=dt.date(2024, 3, 5),
        delib_matiere_code="7.1",
        delib_matiere_nom="finances locales/décisions budgétaires",
        delib_objet="Décision modificative n°2",
    )
    return dataclasses.replace(row, **changes)


def test_scdl_columns_are_the_schema_fields_in_order():
    fields = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))["fields"]

    assert ",".join(scdl_columns()) == HEADER
    assert scdl_columns() == tuple(field["name"] for field in fields)
    assert tuple(f.name.upper() for f in dataclasses.fields(DeliberationRow)) == scdl_columns()


def test_scdl_csv_bytes_are_exact():
    content = write_scdl_csv(rows=[full_row(), minimal_row()])

    assert content == (
        HEADER + "\r\n"
        "Ville de Poitiers,21860194600013,2024_DE_012,2024-03-05,8.4,"
        "domaines de compétences par thèmes/aménagement du territoire,"
        '"Adhésion à l\'association ""Montagne"", pour 2024",2024,Budget annexe de l\'eau,'
        "SPREF0441,2024-03-07,43,40,25,10,5,https://actes.poitiers.fr/2024_DE_012.pdf\r\n"
        "Ville de Poitiers,21860194600013,2024_DE_013,2024-03-05,7.1,"
        "finances locales/décisions budgétaires,Décision modificative n°2,,,,,,,,,,\r\n"
    ).encode("utf-8")


def test_scdl_csv_with_no_rows_is_the_header():
    assert write_scdl_csv(rows=[]) == (HEADER + "\r\n").encode("utf-8")


def test_scdl_csv_passes_the_schema_rules():
    assert validate_scdl_csv(content=write_scdl_csv(rows=[full_row(), minimal_row()])) == []


def test_scdl_validator_accepts_the_reference_example_and_a_bom():
    example = Path(__file__).parent / "synthetic_example.csv"
    content = example.read_bytes()

    assert validate_scdl_csv(content=content) == []
    assert validate_scdl_csv(content=b"\xef\xbb\xbf" + content) == []


def test_scdl_la_poste_siret_passes():
    assert (
        validate_scdl_csv(content=write_scdl_csv(rows=[minimal_row(coll_siret="35600000000001")]))
        == []
    )


def csv_of(cells: dict[str, str]) -> bytes:
    """A one-row CSV written without the writer's own checks."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(scdl_columns())
    writer.writerow([cells[column] for column in scdl_columns()])
    return buffer.getvalue().encode("utf-8")


def errors_for(row: DeliberationRow) -> list[ScdlError]:
    return validate_scdl_csv(content=csv_of(row.cells()))


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            full_row(coll_siret="21860194600014"),
            [("COLL_SIRET", "french-siret-value", "21860194600014 is not a valid SIRET number.")],
        ),
        (
            full_row(coll_siret="35600000000002"),
            [("COLL_SIRET", "french-siret-value", "35600000000002 is not a valid SIRET number.")],
        ),
        (
            full_row(budget_annee="2024/2024"),
            [
                (
                    "BUDGET_ANNEE",
                    "year-interval-value",
                    "In a period, the second year must come after the first.",
                )
            ],
        ),
        (
            full_row(budget_annee="2025/2024"),
            [
                (
                    "BUDGET_ANNEE",
                    "year-interval-value",
                    "In a period, the second year must come after the first.",
                )
            ],
        ),
        (
            full_row(budget_nom=None),
            [
                (
                    "BUDGET_ANNEE",
                    "cohesive-columns-value",
                    "The columns BUDGET_ANNEE, BUDGET_NOM must all have a value or all be empty.",
                )
            ],
        ),
        (
            full_row(vote_contre=None, vote_reel=35),
            [
                (
                    "VOTE_EFFECTIF",
                    "cohesive-columns-value",
                    "The columns VOTE_EFFECTIF, VOTE_REEL, VOTE_POUR, VOTE_CONTRE, VOTE_ABSTENTION "
                    "must all have a value or all be empty.",
                )
            ],
        ),
        (
            full_row(pref_date=dt.date(2024, 3, 4)),
            [
                (
                    "PREF_DATE",
                    "compare-columns-value",
                    "PREF_DATE (2024-03-04) must be >= DELIB_DATE (2024-03-05).",
                )
            ],
        ),
        (
            full_row(vote_effectif=39),
            [
                (
                    "VOTE_EFFECTIF",
                    "compare-columns-value",
                    "VOTE_EFFECTIF (39) must be >= VOTE_REEL (40).",
                )
            ],
        ),
        (
            full_row(vote_reel=24, vote_pour=25, vote_contre=0, vote_abstention=0),
            [
                ("VOTE_REEL", "compare-columns-value", "VOTE_REEL (24) must be >= VOTE_POUR (25)."),
                (
                    "VOTE_REEL",
                    "sum-columns-value",
                    "VOTE_REEL is 24 but VOTE_POUR + VOTE_CONTRE + VOTE_ABSTENTION add up to 25.",
                ),
            ],
        ),
        (
            full_row(vote_reel=41),
            [
                (
                    "VOTE_REEL",
                    "sum-columns-value",
                    "VOTE_REEL is 41 but VOTE_POUR + VOTE_CONTRE + VOTE_ABSTENTION add up to 40.",
                )
            ],
        ),
        (
            full_row(
                delib_matiere_nom="finances locales - décisions budgétaires",
                delib_matiere_code="7.1",
            ),
            [
                (
                    "DELIB_MATIERE_NOM",
                    "nomenclature-actes-value",
                    "The slash « / » between the two matière labels is missing.",
                )
            ],
        ),
        (
            full_row(
                delib_matiere_nom="finances locales / décisions budgétaires",
                delib_matiere_code="7.1",
            ),
            [
                (
                    "DELIB_MATIERE_NOM",
                    "nomenclature-actes-value",
                    "No space may stand before or after the slash « / ».",
                )
            ],
        ),
        (
            full_row(delib_matiere_nom="culture/musées"),
            [
                (
                    "DELIB_MATIERE_NOM",
                    "nomenclature-actes-value",
                    "« culture » is not one of the nine ACTES matières.",
                )
            ],
        ),
        (
            full_row(
                delib_matiere_nom="Finances locales/Décisions budgétaires", delib_matiere_code="7.1"
            ),
            [
                (
                    "DELIB_MATIERE_NOM",
                    "nomenclature-actes-value",
                    "Write the matière in lower case, without commas or parentheses, e.g. "
                    "finances locales/décisions budgétaires.",
                )
            ],
        ),
        (
            full_row(
                delib_matiere_nom="finances locales/subventions (hors fonds), aides",
                delib_matiere_code="7.5",
            ),
            [
                (
                    "DELIB_MATIERE_NOM",
                    "nomenclature-actes-value",
                    "Write the matière in lower case, without commas or parentheses, e.g. "
                    "finances locales/subventions hors fonds aides.",
                )
            ],
        ),
        (
            full_row(delib_matiere_code="7.1"),
            [
                (
                    "DELIB_MATIERE_CODE",
                    "delibre-matiere-code",
                    "The code 7.1 does not belong to the matière « domaines de compétences par "
                    "thèmes » (code 8).",
                )
            ],
        ),
    ],
)
def test_scdl_custom_check_refuses(row, expected):
    errors = errors_for(row)

    assert [(error.row, error.column, error.check, error.message) for error in errors] == [
        (2, column, check, message) for column, check, message in expected
    ]


@pytest.mark.parametrize(
    ("column", "value", "check"),
    [
        ("COLL_NOM", "", "required"),
        ("DELIB_OBJET", "", "required"),
        ("COLL_SIRET", "2186019460001", "pattern"),
        ("DELIB_MATIERE_CODE", "8.4.1", "pattern"),
        ("DELIB_DATE", "05/03/2024", "type"),
        ("PREF_DATE", "2024-02-30", "type"),
        ("VOTE_POUR", "25.0", "type"),
        ("BUDGET_ANNEE", "24", "pattern"),
        ("DELIB_URL", "actes.poitiers.fr/x.pdf", "format"),
    ],
)
def test_scdl_field_rules_refuse(column, value, check):
    errors = validate_scdl_csv(content=csv_of(full_row().cells() | {column: value}))

    assert [(error.column, error.check) for error in errors][:1] == [(column, check)]


def test_scdl_validator_refuses_wrong_header_and_short_lines():
    assert [e.check for e in validate_scdl_csv(content=b"COLL_NOM;COLL_SIRET\r\n")] == ["header"]
    short = (HEADER + "\r\nVille,21860194600013\r\n").encode()
    assert [(e.row, e.check) for e in validate_scdl_csv(content=short)] == [(2, "row-length")]
    assert [e.check for e in validate_scdl_csv(content="é".encode("latin-1"))] == ["encoding"]


def test_scdl_writer_refuses_invalid_rows_and_says_which():
    with pytest.raises(InvalidOpenData) as info:
        write_scdl_csv(rows=[minimal_row(), full_row(vote_reel=41)])

    assert [(error.row, error.check) for error in info.value.errors] == [(3, "sum-columns-value")]
    assert str(info.value) == (
        "1 value(s) break the SCDL « Délibérations » rules (first: line 3, VOTE_REEL: VOTE_REEL "
        "is 41 but VOTE_POUR + VOTE_CONTRE + VOTE_ABSTENTION add up to 40.). Correct the acts "
        "and export again."
    )


def test_matiere_nom_from_classification_labels():
    assert matiere_nom(
        level1="Finances locales", level2="Subventions (hors fonds), aides/prêts"
    ) == ("finances locales/subventions hors fonds aides prêts")


votes = st.integers(min_value=0, max_value=50)
text = st.text(
    alphabet=st.characters(exclude_categories=("Cs", "Cc")) | st.sampled_from(',"\n'),
    min_size=1,
    max_size=40,
).filter(lambda value: value.strip() == value and value)


@given(objet=text, coll_nom=text, pour=votes, contre=votes, abstention=votes, absent=votes)
def test_scdl_round_trip_keeps_any_text_and_valid_counts(
    objet, coll_nom, pour, contre, abstention, absent
):
    reel = pour + contre + abstention
    row = full_row(
        delib_objet=objet,
        coll_nom=coll_nom,
        vote_effectif=reel + absent,
        vote_reel=reel,
        vote_pour=pour,
        vote_contre=contre,
        vote_abstention=abstention,
    )

    content = write_scdl_csv(rows=[row])

    assert validate_scdl_csv(content=content) == []
    (_header, cells) = list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))
    assert cells == [row.cells()[column] for column in scdl_columns()]
