import datetime as dt

import pytest

from core.exceptions import InvalidInput
from deliberations import services
from deliberations.classification_file import parse_classification
from deliberations.exceptions import InvalidClassification, NotAllowed
from deliberations.models import ClassificationVersion, Matiere, PieceType
from tests.deliberations.conftest import FIXTURES


def test_parse_real_classification_2017():
    parsed = parse_classification((FIXTURES / "classification_2017.xml").read_bytes())
    assert parsed.version_date == dt.date(2017, 12, 8)
    assert [(m.code, m.level) for m in parsed.matieres[:3]] == [("1", 1), ("1.1", 2), ("1.1.1", 3)]
    assert len(parsed.matieres) == 9 + 57 + 225
    assert len(parsed.piece_types) == 118
    assert parsed.piece_types[0].nature == 5 and parsed.piece_types[0].code == "70_DE"


def test_parse_latin1_classification_keeps_accents():
    parsed = parse_classification((FIXTURES / "classification_2004_latin1.xml").read_bytes())
    assert parsed.version_date == dt.date(2004, 4, 1)
    labels = {m.code: m.label for m in parsed.matieres}
    assert labels["1"] == "Commande Publique"


@pytest.mark.parametrize(
    "content",
    [
        b"<html/>",
        b"not xml at all",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
        b'<actes:RetourClassification xmlns:actes="http://www.interieur.gouv.fr/ACTES#v1.1-20040216">'
        b"<actes:DateClassification>hier</actes:DateClassification></actes:RetourClassification>",
    ],
)
def test_parse_refuses_bad_files(content):
    with pytest.raises(InvalidInput):
        parse_classification(content)


def test_import_creates_current_version_and_is_idempotent(collectivite, admin):
    content = (FIXTURES / "classification_2017.xml").read_bytes()
    first = services.import_classification(collectivite=collectivite, actor=admin, content=content)
    again = services.import_classification(collectivite=collectivite, actor=admin, content=content)
    assert first.pk == again.pk
    assert first.is_current is True
    assert Matiere.objects.filter(version=first).count() == 291
    assert Matiere.objects.get(version=first, code="7.1.2").parent.code == "7.1"
    assert PieceType.objects.filter(version=first, nature=1).count() > 0


def test_newer_classification_becomes_current_older_does_not(collectivite, admin):
    newer = services.import_classification(
        collectivite=collectivite,
        actor=admin,
        content=(FIXTURES / "classification_2017.xml").read_bytes(),
    )
    older = services.import_classification(
        collectivite=collectivite,
        actor=admin,
        content=(FIXTURES / "classification_2004_latin1.xml").read_bytes(),
    )
    newer.refresh_from_db()
    assert (newer.is_current, older.is_current) == (True, False)


def test_same_date_different_content_is_refused(collectivite, admin):
    content = (FIXTURES / "classification_2017.xml").read_bytes()
    services.import_classification(collectivite=collectivite, actor=admin, content=content)
    with pytest.raises(InvalidClassification):
        services.import_classification(
            collectivite=collectivite,
            actor=admin,
            content=content.replace(b"Urbanisme", b"Urbanisme!"),
        )
    assert ClassificationVersion.objects.count() == 1


def test_import_requires_admin(collectivite, clerk):
    with pytest.raises(NotAllowed):
        services.import_classification(
            collectivite=collectivite,
            actor=clerk,
            content=(FIXTURES / "classification_2017.xml").read_bytes(),
        )
