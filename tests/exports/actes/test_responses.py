import datetime as dt

import pytest
from lxml import etree

from exports.actes import responses
from exports.actes.archive import read_tar
from exports.actes.builder import Piece
from exports.actes.codes import ACTES_NS, MessageKind
from exports.actes.exceptions import InvalidActesData
from exports.actes.reader import ReponseCollectivite, read_incoming
from exports.actes.schema import schema_errors

from .conftest import PDF, SENT_ON

A = f"{{{ACTES_NS}}}"
ID_ACTE = "034-213401722-20240305-2024_DE_012-DE"
LETTER = Piece(filename="réponse.pdf", content=PDF, type_pj="99_DE")
COURRIER = dt.date(2024, 4, 2)


def members(transmission):
    return [name for name, _content in read_tar(content=transmission.archive)]


def message_root(transmission):
    return etree.fromstring(transmission.member(transmission.message_name))


@pytest.mark.parametrize(
    ("builder", "kind", "extra"),
    [
        (
            responses.build_reponse_courrier_simple,
            MessageKind.REPONSE_COURRIER_SIMPLE,
            {"document": LETTER},
        ),
        (
            responses.build_refus_pieces,
            MessageKind.REFUS_PIECE_COMPLEMENTAIRE,
            {"document": LETTER},
        ),
        (
            responses.build_rejet_lettre_observations,
            MessageKind.REJET_LETTRE_OBSERVATIONS,
            {"document": LETTER},
        ),
        (
            responses.build_reponse_lettre_observations,
            MessageKind.REPONSE_LETTRE_OBSERVATIONS,
            {"document": LETTER},
        ),
    ],
)
def test_answer_with_one_letter(collectivite, builder, kind, extra):
    transmission = builder(
        collectivite=collectivite,
        id_acte=ID_ACTE,
        date_courrier=COURRIER,
        sent_on=SENT_ON,
        serial=4,
        **extra,
    )

    code = kind.value
    assert transmission.kind == kind
    assert members(transmission) == [
        "EACT--213401722--20240306-4.xml",
        f"{ID_ACTE}-{code}_0.xml",
        f"99_DE-{ID_ACTE}-{code}_1.pdf",
    ]
    root = message_root(transmission)
    assert root.tag == f"{A}{kind.root}"
    assert dict(root.attrib) == {f"{A}IDActe": ID_ACTE, f"{A}DateCourrierPref": "2024-04-02"}
    assert root.findtext(f"{A}Document/{A}NomFichier") == f"99_DE-{ID_ACTE}-{code}_1.pdf"
    assert schema_errors(root) == ()


@pytest.mark.parametrize(
    ("builder", "kind"),
    [
        (responses.build_ar_demande_pieces, MessageKind.AR_DEMANDE_PIECE_COMPLEMENTAIRE),
        (responses.build_ar_lettre_observations, MessageKind.AR_LETTRE_OBSERVATIONS),
    ],
)
def test_acknowledgement_has_no_document(collectivite, builder, kind):
    transmission = builder(
        collectivite=collectivite,
        id_acte=ID_ACTE,
        date_courrier=COURRIER,
        sent_on=SENT_ON,
        serial=5,
    )

    assert members(transmission) == [
        "EACT--213401722--20240306-5.xml",
        f"{ID_ACTE}-{kind.value}_0.xml",
    ]
    root = message_root(transmission)
    assert root.tag == f"{A}{kind.root}"
    assert len(root) == 0
    assert schema_errors(root) == ()


def test_pieces_complementaires_lists_every_document(collectivite):
    documents = [LETTER, Piece(filename="plan.pdf", content=PDF, type_pj="41_RA")]

    transmission = responses.build_pieces_complementaires(
        collectivite=collectivite,
        id_acte=ID_ACTE,
        date_courrier=COURRIER,
        documents=documents,
        sent_on=SENT_ON,
        serial=6,
    )

    root = message_root(transmission)
    assert [node.text for node in root.iterfind(f"{A}Documents/{A}Document/{A}NomFichier")] == [
        f"99_DE-{ID_ACTE}-3-4_1.pdf",
        f"41_RA-{ID_ACTE}-3-4_2.pdf",
    ]
    assert schema_errors(root) == ()
    (message,) = read_incoming(content=transmission.archive).messages
    assert isinstance(message, ReponseCollectivite)
    assert (message.code, message.id_acte, message.date_courrier) == ("3-4", ID_ACTE, COURRIER)


def test_annulation_carries_only_the_act_identifier(collectivite):
    transmission = responses.build_annulation(
        collectivite=collectivite, id_acte=ID_ACTE, sent_on=SENT_ON, serial=7
    )

    assert members(transmission) == ["EACT--213401722--20240306-7.xml", f"{ID_ACTE}-6-1_0.xml"]
    root = message_root(transmission)
    assert (root.tag, dict(root.attrib)) == (f"{A}Annulation", {f"{A}IDActe": ID_ACTE})
    assert schema_errors(root) == ()


@pytest.mark.parametrize(("date", "children"), [(dt.date(2024, 1, 15), ["2024-01-15"]), (None, [])])
def test_demande_classification(collectivite, date, children):
    transmission = responses.build_demande_classification(
        collectivite=collectivite, classification_date=date, sent_on=SENT_ON, serial=8
    )

    assert transmission.message_name == "034-213401722----7-1_0.xml"
    root = message_root(transmission)
    assert [child.text for child in root] == children
    assert schema_errors(root) == ()


def test_answer_refuses_another_collectivites_act(collectivite):
    with pytest.raises(InvalidActesData) as info:
        responses.build_annulation(
            collectivite=collectivite,
            id_acte="034-491011698-20171207-CL20171227_06-DE",
            sent_on=SENT_ON,
            serial=1,
        )

    assert info.value.code == "id_acte_siren"


def test_answer_refuses_malformed_act_identifier(collectivite):
    with pytest.raises(InvalidActesData) as info:
        responses.build_ar_lettre_observations(
            collectivite=collectivite,
            id_acte="2024_DE_012",
            date_courrier=COURRIER,
            sent_on=SENT_ON,
            serial=1,
        )

    assert info.value.code == "id_acte"


def test_answer_refuses_missing_documents(collectivite):
    with pytest.raises(InvalidActesData) as info:
        responses.build_pieces_complementaires(
            collectivite=collectivite,
            id_acte=ID_ACTE,
            date_courrier=COURRIER,
            documents=[],
            sent_on=SENT_ON,
            serial=1,
        )

    assert info.value.code == "document"


def test_answer_refuses_forbidden_file_type(collectivite):
    odt = Piece(filename="réponse.odt", content=b"PK\x03\x04odt")

    with pytest.raises(InvalidActesData) as info:
        responses.build_reponse_courrier_simple(
            collectivite=collectivite,
            id_acte=ID_ACTE,
            date_courrier=COURRIER,
            document=odt,
            sent_on=SENT_ON,
            serial=1,
        )

    assert info.value.code == "file_type"
