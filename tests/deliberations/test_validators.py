import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from deliberations.exceptions import NumberingError
from deliberations.numbering import parse_pattern
from deliberations.validators import (
    validate_act_number,
    validate_departement,
    validate_objet,
    validate_siren,
    validate_siret,
)


@pytest.mark.parametrize("siren", ["213401722", "210600730", "214400152", "356000000"])
def test_siren_valid(siren):
    validate_siren(siren)


@pytest.mark.parametrize(
    ("siren", "code"),
    [
        ("213401723", "siren_checksum"),
        ("21340172", "siren_format"),
        ("21340172A", "siren_format"),
        ("", "siren_format"),
    ],
)
def test_siren_invalid(siren, code):
    with pytest.raises(ValidationError) as info:
        validate_siren(siren)
    assert info.value.code == code


def test_siret_valid_and_la_poste_exception():
    validate_siret("21340172200011")
    validate_siret("35600000000001")
    with pytest.raises(ValidationError):
        validate_siret("21340172200012")


@pytest.mark.parametrize("code", ["034", "02A", "02B", "974", "001"])
def test_departement_valid(code):
    validate_departement(code)


@pytest.mark.parametrize("code", ["34", "2A", "A34", "0345", "134"])
def test_departement_invalid(code):
    with pytest.raises(ValidationError):
        validate_departement(code)


def test_objet_rules():
    validate_objet("é" * 499)
    for bad, code in [
        ("é" * 500, "objet_too_long"),
        ("ligne 1\nligne 2", "objet_multiline"),
        ("  ", "objet_empty"),
    ]:
        with pytest.raises(ValidationError) as info:
            validate_objet(bad)
        assert info.value.code == code


@pytest.mark.parametrize("number", ["DEL2026_0042", "A1", "123456789012345"])
def test_act_number_valid(number):
    validate_act_number(number)


@pytest.mark.parametrize("number", ["_A1", "A1_", "A", "del2026", "1234567890123456", "DEL-2026"])
def test_act_number_invalid(number):
    with pytest.raises(ValidationError):
        validate_act_number(number)


def test_pattern_formats_tokens():
    pattern = parse_pattern("DEL{YYYY}{MM}_{SEQ:4}")
    assert pattern.format(sequence=42, on=dt.date(2026, 3, 9)) == "DEL202603_0042"
    assert parse_pattern("{YY}AR{SEQ:3}").format(sequence=7, on=dt.date(2026, 1, 2)) == "26AR007"


@pytest.mark.parametrize(
    "pattern",
    [
        "DEL{YYYY}_{SEQ}",  # width missing
        "DEL-{YYYY}-{SEQ:4}",  # hyphen refused by the prefecture
        "del{SEQ:4}",  # lower case
        "DELIBERATION{YYYY}{SEQ:4}",  # 20 characters
        "_{SEQ:3}",  # starts with underscore
        "{SEQ:3}_",  # ends with underscore
        "DEL{YYYY}",  # no sequence
        "{SEQ:2}{SEQ:2}",  # two sequences
    ],
)
def test_pattern_that_can_produce_illegal_numbers_is_refused(pattern):
    with pytest.raises(NumberingError):
        parse_pattern(pattern)


def test_sequence_overflow_is_refused():
    pattern = parse_pattern("A{SEQ:2}")
    assert pattern.format(sequence=99, on=dt.date(2026, 1, 1)) == "A99"
    with pytest.raises(NumberingError):
        pattern.format(sequence=100, on=dt.date(2026, 1, 1))
