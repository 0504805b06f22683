"""The vendored DGFiP schemas: intact, cached, and what they say of the real samples."""

from __future__ import annotations

import zlib

import pytest
from lxml import etree

from exports.pes import build_pes_aller, validate_xsd
from exports.pes.schemas import SCHEMA_DIR, load_schema

from .flows import make_flow


def test_load_schema_compiles_each_set_once():
    first = load_schema("aller-5.17")

    again = load_schema("aller-5.17")

    assert again is first
    assert isinstance(load_schema("aller-5.30"), etree.XMLSchema)
    assert isinstance(load_schema("acquit-5.17"), etree.XMLSchema)
    assert isinstance(load_schema("retour-5.17"), etree.XMLSchema)


def test_v530_files_match_the_dgfip_checksums():
    manifest = (SCHEMA_DIR / "MANIFEST_schemas_pes_v5.30.tsv").read_text().splitlines()[1:]
    checked = []
    for row in manifest:
        relpath, size, adler, status = row.split("\t")[:4]
        path = SCHEMA_DIR / "schemas_pes_v5.30" / relpath
        if status != "VERIFIED":
            assert not path.exists()
            continue
        data = path.read_bytes()
        checked.append((len(data), f"{zlib.adler32(data):08x}") == (int(size), adler))

    assert checked == [True] * 42


@pytest.mark.parametrize(
    ("sample", "valid"),
    [
        ("stela/PESALR2_25060187900027_190328_001.xml", True),
        ("pastell/PES_ex.xml", True),
        ("pastell/HELIOS_SIMU_ALR2_1496987735_826268894.xml", True),
        ("iparapheur/PESALR1_unsigned.xml", False),
        ("pastell/fichier_signe.xml", False),
    ],
)
@pytest.mark.parametrize("version", ["5.17", "5.30"])
def test_validate_xsd_gives_the_documented_status_of_each_sample(samples, sample, valid, version):
    issues = validate_xsd(samples / sample, version=version)

    assert (issues == []) is valid


def test_validate_xsd_locates_each_error_of_a_sample(samples):
    issues = validate_xsd(samples / "iparapheur/PESALR1_unsigned.xml")

    assert [(i.code, i.line, i.path) for i in issues] == [
        (
            "XSD",
            58,
            "/PES_Aller/PES_DepenseAller/Bordereau/Piece/BlocPiece/InfoPce/CarteAchatNiveau1",
        ),
        (
            "XSD",
            58,
            "/PES_Aller/PES_DepenseAller/Bordereau/Piece/BlocPiece/InfoPce/CarteAchatNiveau1",
        ),
    ]
    assert issues[0].message == (
        "Not valid against the DGFiP schema v5.17: Element 'CarteAchatNiveau1': The attribute "
        "'V' is required but missing."
    )


def test_validate_xsd_accepts_built_flows_against_both_sets():
    data = build_pes_aller(flow=make_flow(), validate=False)

    assert validate_xsd(data, version="5.17") == []
    assert validate_xsd(data, version="5.30") == []


def test_validate_xsd_reports_errors_deep_in_a_flow_with_their_piece():
    data = build_pes_aller(flow=make_flow(depense=2, pieces=40), validate=False)
    broken = data.replace(b'<IdPce V="57"/>', b'<IdPce V="X57"/>')

    issues = validate_xsd(broken)

    assert [(i.line, i.path) for i in issues] == [
        (68, "/PES_Aller/PES_DepenseAller/Bordereau[2]/Piece[17]/BlocPiece/InfoPce/IdPce")
    ]
