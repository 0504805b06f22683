import dataclasses
import datetime as dt
import gzip
import io
import tarfile

import pytest
from lxml import etree

from exports.actes.archive import MAX_TRANSMISSION_BYTES, read_tar
from exports.actes.builder import Acte, Collectivite, Piece, Referent, build_acte_transmission
from exports.actes.codes import ACTES_NS, MessageKind
from exports.actes.exceptions import InvalidActesData
from exports.actes.reader import ActeMessage, read_incoming
from exports.actes.schema import schema_errors

from .conftest import JPEG, PDF, PNG, SAMPLES, SENT_ON

A = f"{{{ACTES_NS}}}"
BASE = "034-213401722-20240305-2024_DE_012-DE-1-1"


def build(collectivite, acte, **kwargs):
    return build_acte_transmission(
        collectivite=collectivite,
        acte=acte,
        sent_on=kwargs.pop("sent_on", SENT_ON),
        serial=3,
        **kwargs,
    )


def test_transmission_archive_names_and_members(collectivite, acte):
    transmission = build(collectivite, acte)

    assert transmission.kind == MessageKind.ACTE
    assert transmission.archive_name == "EACT--213401722--20240306-3.tar.gz"
    assert transmission.envelope_name == "EACT--213401722--20240306-3.xml"
    assert transmission.message_name == f"{BASE}_0.xml"
    assert [name for name, _content in read_tar(content=transmission.archive)] == [
        "EACT--213401722--20240306-3.xml",
        f"{BASE}_0.xml",
        f"99_DE-{BASE}_1.pdf",
        f"41_RA-{BASE}_2.pdf",
        f"99_DE-{BASE}_3.png",
    ]


def test_transmission_archive_headers_are_fixed(collectivite, acte):
    transmission = build(collectivite, acte)

    with tarfile.open(fileobj=io.BytesIO(transmission.archive), mode="r:gz") as tar:
        headers = {(m.mode, m.uid, m.gid, m.uname, m.gname, m.mtime, m.type) for m in tar}
    assert headers == {(0o644, 0, 0, "", "", 1709683200, tarfile.REGTYPE)}  # 2024-03-06 UTC
    assert transmission.archive[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"


def test_transmission_documents_are_the_given_bytes(collectivite, acte):
    transmission = build(collectivite, acte)

    members = dict(read_tar(content=transmission.archive))
    assert members[f"99_DE-{BASE}_1.pdf"] == PDF
    assert members[f"99_DE-{BASE}_3.png"] == PNG


def test_transmission_xml_is_iso_8859_1_and_schema_valid(collectivite, acte):
    transmission = build(collectivite, acte)

    message = transmission.member(transmission.message_name)
    envelope = transmission.member(transmission.envelope_name)
    assert message.startswith(b"<?xml version='1.0' encoding='ISO-8859-1'?>\n")
    assert b"<actes:Objet>Budget primitif 2024 de la r\xe9gie des eaux</actes:Objet>" in message
    assert b"<actes:Nom>H\xe9l\xe8ne Dupr\xe9</actes:Nom>" in envelope
    assert schema_errors(etree.fromstring(message)) == ()
    assert schema_errors(etree.fromstring(envelope)) == ()


def test_transmission_message_fields(collectivite, acte):
    transmission = build(collectivite, acte)

    root = etree.fromstring(transmission.member(transmission.message_name))
    assert root.tag == f"{A}Acte"
    assert dict(root.attrib) == {
        f"{A}Date": "2024-03-05",
        f"{A}NumeroInterne": "2024_DE_012",
        f"{A}CodeNatureActe": "1",
    }
    assert [child.get(f"{A}CodeMatiere") for child in root[:2]] == ["7", "1"]
    assert root.findtext(f"{A}ClassificationDateVersion") == "2024-01-15"
    assert root.findtext(f"{A}Document/{A}NomFichier") == f"99_DE-{BASE}_1.pdf"
    assert root.find(f"{A}Annexes").get(f"{A}Nombre") == "2"
    assert root.findtext(f"{A}DocumentPapier") == "N"


def test_transmission_envelope_fields(collectivite, acte):
    transmission = build(collectivite, acte)

    root = etree.fromstring(transmission.member(transmission.envelope_name))
    idcl = root.find(f"{A}Emetteur/{A}IDCL")
    assert dict(idcl.attrib) == {
        f"{A}Departement": "034",
        f"{A}Arrondissement": "1",
        f"{A}Nature": "31",
        "{http://xml.insee.fr/schema}SIREN": "213401722",
    }
    assert [e.text for e in root.iterfind(f"{A}AdressesRetour/{A}Email")] == [
        "actes@ville-exemple.fr",
        "dgs@ville-exemple.fr",
    ]
    assert [e.text for e in root.iter(f"{A}NomFichier")] == [f"{BASE}_0.xml"]


def test_transmission_is_deterministic(collectivite, acte):
    first = build(collectivite, acte)
    second = build(collectivite, dataclasses.replace(acte))

    assert first.archive == second.archive
    assert first.sha256 == second.sha256


def test_transmission_changes_with_its_inputs(collectivite, acte):
    first = build(collectivite, acte)
    later = build(collectivite, acte, sent_on=dt.date(2024, 3, 7))

    assert first.archive != later.archive
    assert later.archive_name == "EACT--213401722--20240307-3.tar.gz"


def test_transmission_reads_back_as_sent(collectivite, acte):
    transmission = build(collectivite, acte)

    package = read_incoming(content=transmission.archive, name=transmission.archive_name)
    (message,) = package.messages
    assert isinstance(message, ActeMessage)
    assert message.schema_errors == ()
    assert message.acte.number == "2024_DE_012"
    assert message.acte.matieres == (7, 1)
    assert message.acte.annexes == (f"41_RA-{BASE}_2.pdf", f"99_DE-{BASE}_3.png")
    assert package.envelope.siren == "213401722"
    assert [name for name, _content in package.files] == list(transmission.document_names)


def test_transmission_optional_fields(collectivite, acte):
    resent = dataclasses.replace(
        acte,
        matieres=(3, 2, 1, 4, 5),
        previous_id_acte="034-213401722-20240305-2024_DE_011-DE",
        document_papier=True,
        annexes=(),
    )

    transmission = build(collectivite, resent)

    root = etree.fromstring(transmission.member(transmission.message_name))
    assert [child.get(f"{A}CodeMatiere") for child in root[:5]] == ["3", "2", "1", "4", "5"]
    assert root.find(f"{A}PrecedentIdentifiantActe").get(f"{A}IDActe") == (
        "034-213401722-20240305-2024_DE_011-DE"
    )
    assert root.findtext(f"{A}DocumentPapier") == "O"
    assert root.find(f"{A}Annexes").get(f"{A}Nombre") == "0"


def test_transmission_rebuilds_the_real_stela_archive_names():
    sample = read_incoming(
        content=(SAMPLES / "stela" / "SIC-EACT--210600730--20180115-1.tar.gz").read_bytes()
    )
    (message,) = sample.messages
    echo = message.acte
    collectivite = Collectivite(
        siren="210600730",
        departement="006",
        arrondissement=2,
        nature="02",
        return_emails=("dev@sictiam.fr",),
        referent=Referent(name="Demat SICTIAM", telephone="0101010101", email="dev@sictiam.fr"),
    )
    acte = Acte(
        number=echo.number,
        decision_date=echo.decision_date,
        nature=echo.nature,
        matieres=echo.matieres,
        objet=echo.objet,
        classification_date=echo.classification_date,
        document=Piece(filename="acte.jpg", content=sample.files[0][1], type_pj="CO_DE"),
    )

    rebuilt = build_acte_transmission(
        collectivite=collectivite, acte=acte, sent_on=dt.date(2018, 1, 15), serial=1
    )

    assert [name for name, _content in rebuilt.members] == [
        "EACT--210600730--20180115-1.xml",
        "006-210600730-20180115-007-AR-1-1_0.xml",
        "CO_DE-006-210600730-20180115-007-AR-1-1_1.jpg",
    ]
    assert rebuilt.archive_name == "EACT--210600730--20180115-1.tar.gz"
    (again,) = read_incoming(content=rebuilt.archive).messages
    assert dataclasses.replace(again.acte, document_papier="") == dataclasses.replace(
        echo, document_papier=""
    )


# -- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number", ["2024-12", "de_12", "_2024", "2024_", "A", "A" * 16, "12 3", ""]
)
def test_transmission_refuses_bad_number(collectivite, acte, number):
    with pytest.raises(InvalidActesData) as info:
        build(collectivite, dataclasses.replace(acte, number=number))

    assert info.value.code == "act_number"


@pytest.mark.parametrize(
    "objet", ["Ligne un\nligne deux", "Ligne un\r\nligne deux", "Un\u2028deux"]
)
def test_transmission_refuses_multiline_objet(collectivite, acte, objet):
    with pytest.raises(InvalidActesData) as info:
        build(collectivite, dataclasses.replace(acte, objet=objet))

    assert info.value.code == "objet_multiline"


def test_transmission_refuses_too_long_objet(collectivite, acte):
    with pytest.raises(InvalidActesData) as info:
        build(collectivite, dataclasses.replace(acte, objet="é" * 500))

    assert info.value.code == "objet_too_long"
    assert str(info.value) == (
        "The objet has 500 characters; the prefecture accepts at most 499. Shorten it and try again."
    )


def test_transmission_accepts_objet_of_499_characters(collectivite, acte):
    transmission = build(collectivite, dataclasses.replace(acte, objet="é" * 499))

    root = etree.fromstring(transmission.member(transmission.message_name))
    assert root.findtext(f"{A}Objet") == "é" * 499


def test_transmission_transliterates_typography_outside_latin1(collectivite, acte):
    objet = "Subvention à l’association « Cœur d’école » – 1 000 € … “solde”"

    transmission = build(collectivite, dataclasses.replace(acte, objet=objet))

    message = transmission.member(transmission.message_name)
    assert (
        b"<actes:Objet>Subvention \xe0 l'association \xab Coeur d'\xe9cole \xbb - 1 000 EUR ... "
        b'"solde"</actes:Objet>'
    ) in message


def test_transmission_refuses_characters_without_latin1_equivalent(collectivite, acte):
    with pytest.raises(InvalidActesData) as info:
        build(collectivite, dataclasses.replace(acte, objet="Tarifs 2024 ™ en hausse de 2 ‰"))

    assert info.value.code == "not_latin1"
    assert str(info.value) == (
        "The objet contains characters that the prefecture's format (ISO-8859-1) cannot carry: "
        "«™» (U+2122), «‰» (U+2030). Replace them with ordinary letters or punctuation."
    )


def test_transmission_refuses_forbidden_file_type(collectivite, acte):
    docx = Piece(filename="annexe.docx", content=b"PK\x03\x04word", type_pj="41_RA")

    with pytest.raises(InvalidActesData) as info:
        build(collectivite, dataclasses.replace(acte, annexes=(docx,)))

    assert info.value.code == "file_type"
    assert str(info.value) == (
        "annexe.docx is not a PDF, JPEG or PNG file. The prefecture accepts only these formats: "
        "convert it to PDF and try again."
    )


def test_transmission_accepts_jpeg_and_budget_xml(collectivite, acte):
    budget = dataclasses.replace(
        acte,
        nature=5,
        document=Piece(
            filename="budget.xml",
            content=b'<?xml version="1.0"?><DocumentBudgetaire/>',
            type_pj="99_BU",
        ),
        annexes=(Piece(filename="photo.jpg", content=JPEG, type_pj="99_SE"),),
    )

    transmission = build(collectivite, budget)

    assert transmission.document_names == (
        "99_BU-034-213401722-20240305-2024_DE_012-BF-1-1_1.xml",
        "99_SE-034-213401722-20240305-2024_DE_012-BF-1-1_2.jpg",
    )


def test_transmission_refuses_xml_act_outside_budget(collectivite, acte):
    xml_act = Piece(filename="acte.xml", content=b"<?xml version='1.0'?><a/>", type_pj="99_DE")

    with pytest.raises(InvalidActesData) as info:
        build(collectivite, dataclasses.replace(acte, document=xml_act))

    assert info.value.code == "file_type"


def test_transmission_refuses_oversized_documents(collectivite, acte):
    half = Piece(
        filename="gros.pdf", content=b"%PDF-" + bytes(MAX_TRANSMISSION_BYTES // 2), type_pj="41_RA"
    )

    with pytest.raises(InvalidActesData) as info:
        build(collectivite, dataclasses.replace(acte, annexes=(half, half)))

    assert info.value.code == "too_large"
    assert str(info.value) == (
        "The documents weigh 151 MB together; the prefecture accepts at most 150 MB per "
        "transmission. Compress or split the annexes."
    )


@pytest.mark.parametrize("matieres", [(7,), (), (1, 2, 3, 4, 5, 6), (7, 0)])
def test_transmission_refuses_matiere_below_level_two(collectivite, acte, matieres):
    with pytest.raises(InvalidActesData) as info:
        build(collectivite, dataclasses.replace(acte, matieres=matieres))

    assert info.value.code == "matieres"


def test_transmission_refuses_missing_classification_date(collectivite, acte):
    with pytest.raises(InvalidActesData) as info:
        build(collectivite, dataclasses.replace(acte, classification_date=None))

    assert info.value.code == "classification_date"


def test_transmission_refuses_future_decision(collectivite, acte):
    with pytest.raises(InvalidActesData) as info:
        build(collectivite, dataclasses.replace(acte, decision_date=dt.date(2024, 3, 7)))

    assert info.value.code == "future_date"


@pytest.mark.parametrize(
    ("type_pj", "code"), [("", "type_pj"), ("99-DE", "type_pj"), ("11_AE", "type_pj_not_allowed")]
)
def test_transmission_refuses_bad_piece_type(collectivite, acte, type_pj, code):
    document = dataclasses.replace(acte.document, type_pj=type_pj)

    with pytest.raises(InvalidActesData) as info:
        build(
            collectivite,
            dataclasses.replace(acte, document=document),
            allowed_piece_types={"99_DE", "41_RA"},
        )

    assert info.value.code == code


def test_transmission_refuses_bad_previous_id(collectivite, acte):
    with pytest.raises(InvalidActesData) as info:
        build(collectivite, dataclasses.replace(acte, previous_id_acte="034-2134-x"))

    assert info.value.code == "id_acte"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"siren": "213401723"}, "collectivite"),
        ({"departement": "34"}, "collectivite"),
        ({"arrondissement": 10}, "arrondissement"),
        ({"nature": "3"}, "collectivite_nature"),
        ({"return_emails": ()}, "return_emails"),
        ({"return_emails": ("pas une adresse",)}, "email"),
    ],
)
def test_transmission_refuses_bad_collectivite(collectivite, acte, change, code):
    with pytest.raises(InvalidActesData) as info:
        build(dataclasses.replace(collectivite, **change), acte)

    assert info.value.code == code


def test_transmission_refuses_serial_zero(collectivite, acte):
    with pytest.raises(InvalidActesData) as info:
        build_acte_transmission(collectivite=collectivite, acte=acte, sent_on=SENT_ON, serial=0)

    assert info.value.code == "serial"


def test_transmission_gzip_layer_has_no_name_or_time(collectivite, acte):
    transmission = build(collectivite, acte)

    with gzip.GzipFile(fileobj=io.BytesIO(transmission.archive)) as handle:
        handle.read()
        assert handle.mtime == 0


def test_transmission_rebuilds_the_real_pastell_acte():
    sample = SAMPLES / "pastell" / "034-491011698-20171207-CL20171227_06-DE-1-1_0.xml"
    (message,) = read_incoming(content=sample.read_bytes(), name=sample.name).messages
    echo = message.acte
    collectivite = Collectivite(
        siren="491011698",
        departement="034",
        arrondissement=1,
        nature="31",
        return_emails=("a@b.fr",),
    )
    acte = Acte(
        number=echo.number,
        decision_date=echo.decision_date,
        nature=echo.nature,
        matieres=echo.matieres,
        objet=echo.objet,
        classification_date=echo.classification_date,
        document=Piece(filename="acte.pdf", content=PDF, type_pj="32_DP"),
    )

    rebuilt = build_acte_transmission(
        collectivite=collectivite, acte=acte, sent_on=dt.date(2017, 12, 27), serial=1
    )

    assert rebuilt.message_name == sample.name
    (again,) = read_incoming(content=rebuilt.archive).messages
    assert again.acte == echo
