import datetime as dt
import io
import tarfile

import pytest

from exports.actes.archive import read_tar, write_tar_gz
from exports.actes.builder import new_root, serialize, sub
from exports.actes.codes import MessageKind, parse_id_acte, parse_message_file_name
from exports.actes.exceptions import InvalidActesMessage, UnsafeArchive
from exports.actes.reader import (
    ActeEcho,
    ActeMessage,
    AnomalieActe,
    AnomalieEnveloppe,
    ARActe,
    ARAnnulation,
    ARReponse,
    ClassificationSansChangement,
    CourrierPrefecture,
    DefereTA,
    RetourClassification,
    read_incoming,
    read_message,
)

from .conftest import SAMPLES

D = dt.date
PASTELL_PDF = "32_DP-034-491011698-20171207-CL20171227_06-DE-1-1_1.pdf"
PASTELL_ECHO = ActeEcho(
    number="CL20171227_06",
    decision_date=D(2017, 12, 7),
    nature=1,
    matieres=(3, 2),
    objet="Fichier signé parapheur",
    classification_date=D(2017, 11, 13),
    document=PASTELL_PDF,
    annexes=(),
    document_papier="N",
    previous_id_acte=None,
)


def read(path):
    file = SAMPLES / path
    return read_incoming(content=file.read_bytes(), name=file.name)


def only_message(path):
    package = read(path)
    assert package.envelope is None
    (message,) = package.messages
    return message


# -- every real sample ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "errors"),
    [
        ("pastell/034-491011698-20171207-CL20171227_06-DE-1-1_0.xml", 0),
        ("pastell/034-491011698-20171207-CL20171227_06-DE-1-2.xml", 0),
        ("pastell/aractes.xml", 0),
        ("pastell/ar-actes.xml", 1),
        ("pastell/999-1234----7-2_1.xml", 0),
        ("pastell/classification.xml", 6),
        ("pastell/courrier_simple/001-862614864-20150805-20150805B-AI-2-1_0.xml", 0),
        ("stela/006-210600235-20180522-684-AI-1-2_5279.xml", 0),
        ("stela/044-214400152----1-3_1.xml", 0),
        ("stela/044-214400152-20181106-TEST_DGCL_4-DE-6-2_10.xml", 0),
        ("stela/ANO_EACT--214400152--20180925-1.xml", 1),
        ("stela/SIC-EACT--210600730--20180115-1/006-210600730-20180115-007-AR-1-1_0.xml", 0),
        ("stela/exemple_codes_matieres.xml", 0),
        ("stela/examples/exemple_codes_matieres.xml", 5),
        ("webdelib/classification.xml", 6),
    ],
)
def test_sample_schema_errors_are_reported_not_refused(path, errors):
    message = only_message(path)

    assert len(message.schema_errors) == errors


@pytest.mark.parametrize(
    "path",
    [
        "pastell/courrier_simple/TACT--SPREF0011-862614864-20150805-7.xml",
        "stela/EACT--SPREF0441-214400152-20181012-9.xml",
        "stela/SIC-EACT--210600730--20180115-1/EACT--210600730--20180115-1.xml",
    ],
)
def test_sample_envelopes_are_schema_valid(path):
    package = read(path)

    assert package.messages == ()
    assert package.envelope.schema_errors == ()


def test_sample_pastell_acte():
    message = only_message("pastell/034-491011698-20171207-CL20171227_06-DE-1-1_0.xml")

    assert isinstance(message, ActeMessage)
    assert (message.code, message.id_acte, message.act_number, message.act_date) == (
        "1-1",
        None,
        "CL20171227_06",
        D(2017, 12, 7),
    )
    assert message.acte == PASTELL_ECHO


@pytest.mark.parametrize(
    "path", ["pastell/034-491011698-20171207-CL20171227_06-DE-1-2.xml", "pastell/aractes.xml"]
)
def test_sample_pastell_aracte(path):
    message = only_message(path)

    assert isinstance(message, ARActe)
    assert message.kind is MessageKind.AR_ACTE
    assert message.id_acte == "034-491011698-20171207-CL20171227_06-DE"
    assert (message.act_number, message.act_date) == ("CL20171227_06", D(2017, 12, 7))
    assert message.date_reception == D(2017, 12, 27)
    assert message.classification_date_current == D(2017, 11, 13)
    assert message.acte == PASTELL_ECHO
    assert message.file_names == (PASTELL_PDF,)


def test_sample_pastell_fake_tdt_aracte_is_read_leniently():
    message = only_message("pastell/ar-actes.xml")

    assert isinstance(message, ARActe)
    assert message.id_acte == "069-123456789-20130601-20130623C-AI"
    assert (message.act_number, message.act_date) == ("20130623C", D(2013, 6, 1))
    assert message.date_reception == D(2013, 6, 23)
    assert message.classification_date_current == D(2008, 12, 31)
    assert message.acte.objet == "TESTC"
    assert message.file_names == ("069-123456789-20130601-20130623C-AI-1-1_1.pdf",)


def test_sample_stela_aracte():
    message = only_message("stela/006-210600235-20180522-684-AI-1-2_5279.xml")

    assert isinstance(message, ARActe)
    assert message.id_acte == "006-210600235-20180522-684-AI"
    assert (message.act_number, message.act_date) == ("684", D(2018, 5, 22))
    assert message.date_reception == D(2018, 5, 28)
    assert message.acte.objet == "Contrat à durée déterminée - Jean Dupont"
    assert message.acte.document_papier == "0"


def test_sample_stela_anomalie_acte():
    message = only_message("stela/044-214400152----1-3_1.xml")

    assert isinstance(message, AnomalieActe)
    assert (message.code, message.id_acte, message.act_number, message.act_date) == (
        "1-3",
        None,
        "123456",
        D(2018, 10, 1),
    )
    assert (message.date, message.nature) == (D(2018, 10, 12), "002")
    assert message.detail == (
        "ODT-VERIF-01 : Votre acte a été transmis avec une date de classification qui n'est pas à jour"
    )
    assert message.classification_date_current == D(2018, 10, 10)
    assert message.acte.matieres == (1, 1, 1)  # CodeMatiere4 is missing: the path stops there
    assert message.acte.annexes == ("01_01-044-214400152-20181012-123456-DE-1-1_2.xml",)


def test_sample_stela_anomalie_enveloppe_with_nature_999():
    message = only_message("stela/ANO_EACT--214400152--20180925-1.xml")

    assert isinstance(message, AnomalieEnveloppe)
    assert message.kind is MessageKind.ANOMALIE_ENVELOPPE
    assert (message.date, message.nature, message.sender_siren) == (
        D(2018, 9, 25),
        "999",
        "214400152",
    )
    assert message.detail.startswith("ODT-VERIF-17 : La transaction que vous avez envoyé")
    assert message.forms == ("044-214400152-20180905-4365-DE-4365-DE_0.xml",)
    assert "999" in message.schema_errors[0]


def test_sample_stela_ar_annulation():
    message = only_message("stela/044-214400152-20181106-TEST_DGCL_4-DE-6-2_10.xml")

    assert isinstance(message, ARAnnulation)
    assert (message.code, message.id_acte, message.act_number, message.act_date) == (
        "6-2",
        "044-214400152-20181106-TEST_DGCL_4-DE",
        "TEST_DGCL_4",
        D(2018, 11, 6),
    )
    assert message.date_reception == D(2018, 11, 28)


@pytest.mark.parametrize(
    ("path", "date", "matieres", "piece_types"),
    [
        ("pastell/999-1234----7-2_1.xml", D(2019, 4, 18), 291, 115),
        ("stela/exemple_codes_matieres.xml", D(2017, 12, 8), 291, 118),
        ("stela/examples/exemple_codes_matieres.xml", D(2017, 4, 19), 66, 2),
        ("pastell/classification.xml", D(2004, 4, 1), 66, 0),
        ("webdelib/classification.xml", D(2004, 4, 1), 69, 0),
    ],
)
def test_sample_retour_classification(path, date, matieres, piece_types):
    message = only_message(path)

    assert isinstance(message, RetourClassification)
    assert message.code == "7-2"
    assert message.classification_date == date
    assert len(message.classification.matieres) == matieres
    assert len(message.classification.piece_types) == piece_types


def test_sample_retour_classification_2019_content():
    message = only_message("pastell/999-1234----7-2_1.xml")

    types_de = sorted(
        entry.code for entry in message.classification.piece_types if entry.nature == 1
    )
    assert types_de[:3] == ["21_DA", "21_DB", "21_DE"]
    level1 = {
        entry.code: entry.label for entry in message.classification.matieres if entry.level == 1
    }
    assert level1["7"] == "Finances locales"


def test_sample_courrier_simple_archive():
    package = read("pastell/courrier_simple.tar.gz")

    assert package.envelope.root == "EnveloppeMISILLCL"
    assert (package.envelope.emitter, package.envelope.siren) == ("SPREF0011", "862614864")
    (message,) = package.messages
    assert isinstance(message, CourrierPrefecture)
    assert (message.code, message.id_acte, message.act_number, message.act_date) == (
        "2-1",
        "001-862614864-20150805-20150805B-AI",
        "20150805B",
        D(2015, 8, 5),
    )
    assert (message.date_courrier, message.text) == (D(2015, 8, 5), "")
    assert message.document == "001-862614864-20150805-20150805B-AI-2-1_1.pdf"
    assert [name for name, _content in package.files] == [message.document]
    assert package.file(message.document)[:5] == b"%PDF-"


def test_sample_stela_transmission_archive():
    package = read("stela/SIC-EACT--210600730--20180115-1.tar.gz")

    assert (package.envelope.root, package.envelope.emitter, package.envelope.siren) == (
        "EnveloppeCLMISILL",
        None,
        "210600730",
    )
    (message,) = package.messages
    assert isinstance(message, ActeMessage)
    assert message.acte.document == "CO_DE-006-210600730-20180115-007-AR-1-1_1.jpg"
    assert message.acte.document_papier is None  # xsi:nil
    assert package.file(message.acte.document)[:3] == b"\xff\xd8\xff"


def test_sample_prefecture_envelope_emitter():
    package = read("stela/EACT--SPREF0441-214400152-20181012-9.xml")

    assert package.envelope.emitter == "SPREF0441"
    assert package.envelope.forms == ("044-214400152----1-3_1.xml",)


# -- the return types without a real sample -------------------------------------------------

ID = "034-213401722-20240305-2024_DE_012-DE"


def crafted(kind, **attributes):
    return new_root(kind.root, **attributes)


def test_read_demande_piece_complementaire():
    root = crafted(
        MessageKind.DEMANDE_PIECE_COMPLEMENTAIRE, IDActe=ID, DateCourrierPref="2024-04-02"
    )
    sub(root, "DescriptionPieces", "Merci de transmettre le plan de financement.")
    sub(sub(root, "Document"), "NomFichier", f"{ID}-3-1_1.pdf")

    message = read_message(content=serialize(root), name=f"{ID}-3-1_0.xml")

    assert isinstance(message, CourrierPrefecture)
    assert (message.code, message.act_number, message.act_date, message.date_courrier) == (
        "3-1",
        "2024_DE_012",
        D(2024, 3, 5),
        D(2024, 4, 2),
    )
    assert message.text == "Merci de transmettre le plan de financement."
    assert message.schema_errors == ()


def test_read_lettre_observations():
    root = crafted(MessageKind.LETTRE_OBSERVATIONS, IDActe=ID, DateCourrierPref="2024-04-03")
    sub(root, "Motif", "Incompétence de l'auteur de l'acte.")
    sub(sub(root, "Document"), "NomFichier", f"{ID}-4-1_1.pdf")

    message = read_message(content=serialize(root), name=f"{ID}-4-1_0.xml")

    assert isinstance(message, CourrierPrefecture)
    assert (message.code, message.text, message.document) == (
        "4-1",
        "Incompétence de l'auteur de l'acte.",
        f"{ID}-4-1_1.pdf",
    )
    assert message.schema_errors == ()


def test_read_defere_ta():
    root = crafted(MessageKind.DEFERE_TA, IDActe=ID)
    sub(root, "DateDepot", "2024-05-10")
    sub(root, "NatureIllegalite", "Vice de procédure")
    pieces = sub(root, "PiecesJointes")
    sub(sub(pieces, "PieceJointe"), "NomFichier", f"{ID}-5-1_1.pdf")
    sub(sub(pieces, "PieceJointe"), "NomFichier", f"{ID}-5-1_2.pdf")

    message = read_message(content=serialize(root), name=f"{ID}-5-1_0.xml")

    assert isinstance(message, DefereTA)
    assert (message.code, message.id_acte, message.date_depot, message.nature_illegalite) == (
        "5-1",
        ID,
        D(2024, 5, 10),
        "Vice de procédure",
    )
    assert message.file_names == (f"{ID}-5-1_1.pdf", f"{ID}-5-1_2.pdf")
    assert message.schema_errors == ()


@pytest.mark.parametrize(
    "kind", [MessageKind.AR_PIECE_COMPLEMENTAIRE, MessageKind.AR_REPONSE_REJET_LETTRE_OBSERVATIONS]
)
def test_read_acknowledgement_of_an_answer(kind):
    root = crafted(kind, DateReception="2024-04-20")
    sub(root, "InfosCourrierPref", IDActe=ID, DateCourrierPref="2024-04-02")

    message = read_message(content=serialize(root), name=f"{ID}-{kind.value}_1.xml")

    assert isinstance(message, ARReponse)
    assert (message.code, message.id_acte, message.date_reception, message.date_courrier) == (
        kind.value,
        ID,
        D(2024, 4, 20),
        D(2024, 4, 2),
    )
    assert message.schema_errors == ()


def test_read_classification_sans_changement():
    root = crafted(MessageKind.REPONSE_CLASSIFICATION_SANS_CHANGEMENT)
    sub(root, "DateClassification", "2024-01-15")

    message = read_message(content=serialize(root), name="034-213401722----7-3_1.xml")

    assert isinstance(message, ClassificationSansChangement)
    assert (message.code, message.classification_date) == ("7-3", D(2024, 1, 15))


# -- identifiers and names -------------------------------------------------------------------


def test_parse_id_acte():
    parsed = parse_id_acte("02A-213401722-20240305-2024_DE_012-DE")

    assert (
        parsed.departement,
        parsed.siren,
        parsed.decision_date,
        parsed.number,
        parsed.nature,
    ) == (
        "02A",
        "213401722",
        D(2024, 3, 5),
        "2024_DE_012",
        "DE",
    )
    assert parse_id_acte("034-213401722-20240231-12-DE") is None
    assert parse_id_acte("034-2134-20240305-12-DE") is None


def test_parse_message_file_names():
    named = parse_message_file_name("99_DE-034-213401722-20240305-2024_DE_012-DE-1-1_2.pdf")
    empty = parse_message_file_name("999-1234----7-2_1.xml")

    assert (named.type_pj, named.code, named.serial, named.extension) == ("99_DE", "1-1", 2, "pdf")
    assert (empty.siren, empty.decision_date, empty.number, empty.nature, empty.code) == (
        "1234",
        None,
        None,
        None,
        "7-2",
    )
    assert parse_message_file_name("EACT--213401722--20240306-1.xml") is None


# -- refusals: unsafe or foreign input -------------------------------------------------------


def test_read_refuses_entities():
    content = (
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<actes:ARActe xmlns:actes="http://www.interieur.gouv.fr/ACTES#v1.1-20040216">&x;</actes:ARActe>'
    )

    with pytest.raises(InvalidActesMessage) as info:
        read_incoming(content=content, name="evil.xml")

    assert info.value.code == "unreadable_message"
    assert str(info.value) == (
        "evil.xml cannot be read: XML files with a DOCTYPE or entity declarations are refused."
    )


def test_read_refuses_foreign_xml():
    with pytest.raises(InvalidActesMessage) as info:
        read_incoming(content=b"<PES_Aller/>", name="pes.xml")

    assert info.value.code == "not_actes"


def test_read_refuses_unknown_actes_root():
    content = b'<a:Inconnu xmlns:a="http://www.interieur.gouv.fr/ACTES#v1.1-20040216"/>'

    with pytest.raises(InvalidActesMessage) as info:
        read_incoming(content=content, name="x.xml")

    assert info.value.code == "unknown_message"


def test_read_message_refuses_an_envelope():
    content = (SAMPLES / "stela" / "EACT--SPREF0441-214400152-20181012-9.xml").read_bytes()

    with pytest.raises(InvalidActesMessage) as info:
        read_message(content=content, name="EACT.xml")

    assert info.value.code == "envelope_only"


def test_read_refuses_envelope_listing_a_missing_message():
    envelope = (SAMPLES / "stela" / "EACT--SPREF0441-214400152-20181012-9.xml").read_bytes()
    archive = write_tar_gz(
        members=[("EACT--SPREF0441-214400152-20181012-9.xml", envelope)], mtime=0
    )

    with pytest.raises(InvalidActesMessage) as info:
        read_incoming(content=archive)

    assert info.value.code == "missing_message"


def test_read_keeps_foreign_xml_annex_as_a_file():
    message = (SAMPLES / "stela" / "044-214400152----1-3_1.xml").read_bytes()
    envelope = (SAMPLES / "stela" / "EACT--SPREF0441-214400152-20181012-9.xml").read_bytes()
    annex = b"<DocumentBudgetaire/>"
    archive = write_tar_gz(
        members=[
            ("EACT--SPREF0441-214400152-20181012-9.xml", envelope),
            ("044-214400152----1-3_1.xml", message),
            ("01_01-044-214400152-20181012-123456-DE-1-1_2.xml", annex),
        ],
        mtime=0,
    )

    package = read_incoming(content=archive)

    assert [m.code for m in package.messages] == ["1-3"]
    assert package.files == (("01_01-044-214400152-20181012-123456-DE-1-1_2.xml", annex),)


def tar_with(*infos):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for info, content in infos:
            tar.addfile(info, io.BytesIO(content) if content is not None else None)
    return buffer.getvalue()


def file_info(name, size):
    info = tarfile.TarInfo(name)
    info.size = size
    return info


@pytest.mark.parametrize(
    "name", ["../../etc/cron.d/x", "/etc/passwd", "a/../../b.xml", "C:\\x.xml", "a\\..\\b"]
)
def test_archive_refuses_path_traversal(name):
    archive = tar_with((file_info(name, 3), b"abc"))

    with pytest.raises(UnsafeArchive) as info:
        read_incoming(content=archive)

    assert info.value.code == "path_traversal"


def test_archive_refuses_links():
    link = tarfile.TarInfo("lien.xml")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"

    with pytest.raises(UnsafeArchive) as info:
        read_incoming(content=tar_with((link, None)))

    assert info.value.code == "not_a_file"


def test_archive_refuses_oversized_member():
    archive = tar_with((file_info("gros.pdf", 2048), bytes(2048)))

    with pytest.raises(UnsafeArchive) as info:
        read_tar(content=archive, max_member_bytes=1024)

    assert info.value.code == "too_large"


def test_archive_refuses_too_many_members():
    archive = tar_with(*[(file_info(f"{i}.pdf", 1), b"x") for i in range(4)])

    with pytest.raises(UnsafeArchive) as info:
        read_tar(content=archive, max_members=3)

    assert info.value.code == "too_many_members"


def test_archive_refuses_duplicate_names():
    archive = tar_with((file_info("a.pdf", 1), b"x"), (file_info("./a.pdf", 1), b"y"))

    with pytest.raises(UnsafeArchive) as info:
        read_tar(content=archive)

    assert info.value.code == "duplicate_member"


@pytest.mark.parametrize("cut", [slice(0, 15000), slice(0, 12)])
def test_archive_refuses_truncated_archive(cut):
    archive = (SAMPLES / "pastell" / "courrier_simple.tar.gz").read_bytes()

    with pytest.raises(UnsafeArchive) as info:
        read_incoming(content=archive[cut])

    assert info.value.code == "unreadable_archive"
