import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exports.actes.exceptions import InvalidActesData
from exports.actes.text import TRANSLITERATIONS, prepare_objet, to_latin1


def test_objet_keeps_latin1_text_and_transliterates_dashes():
    objet = "Délibération n°12 : tarifs « été » — non, pas ça"

    assert prepare_objet(objet=objet) == "Délibération n°12 : tarifs « été » - non, pas ça"


def test_objet_composes_decomposed_accents():
    assert prepare_objet(objet="Re\u0301gie de l'e\u0301te\u0301") == "Régie de l'été"


def test_objet_strips_surrounding_spaces_and_drops_zero_width():
    assert prepare_objet(objet="  Tarifs\u200b 2024\u202f€  ") == "Tarifs 2024 EUR"


@pytest.mark.parametrize("objet", ["", "   ", "\u200b"])
def test_objet_refuses_empty(objet):
    with pytest.raises(InvalidActesData) as info:
        prepare_objet(objet=objet)

    assert info.value.code == "objet_empty"


def test_objet_refuses_control_characters():
    with pytest.raises(InvalidActesData) as info:
        prepare_objet(objet="Tarifs\x07 2024")

    assert info.value.code == "control_characters"
    assert (
        str(info.value) == "The objet contains invisible control characters (U+0007): remove them."
    )


def test_objet_refuses_c1_controls_of_windows_1252_mojibake():
    with pytest.raises(InvalidActesData) as info:
        prepare_objet(objet="l\x92\xe9cole")

    assert info.value.code == "control_characters"


@given(
    st.text(
        alphabet=st.characters(codec="latin-1", exclude_categories=("Cc",)), min_size=1, max_size=60
    )
)
def test_objet_latin1_text_always_encodes(text):
    try:
        prepared = prepare_objet(objet=text)
    except InvalidActesData as exc:
        assert exc.code == "objet_empty"
        return
    assert prepared == unicodedata.normalize("NFC", text).strip()
    assert prepared.encode("iso-8859-1").decode("iso-8859-1") == prepared


@given(st.text(alphabet=st.sampled_from(sorted(TRANSLITERATIONS)), max_size=30))
def test_objet_transliterated_text_is_latin1(text):
    result = to_latin1(text, field="objet", label="objet")

    result.encode("iso-8859-1")
    assert all(ord(char) <= 0xFF for char in result)
