"""Building PES_Aller flows: valid output, encoding, attachments, numbering rules."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import gzip
import io
import re
from decimal import Decimal

import pytest

from exports.pes import (
    PesBuildError,
    build_pes_aller,
    encode_attachment,
    new_id_unique,
    read_pes_aller,
    validate_xsd,
    write_pes_aller,
)
from exports.pes.flow import Bordereau, Ligne, Piece

from .flows import ASSOCIATION, ID_UNIQUE, PDF, PERSON, depense_bordereau, make_flow


def test_build_pes_aller_output_is_valid_against_both_schema_sets():
    data = build_pes_aller(flow=make_flow())

    assert validate_xsd(data, version="5.17") == []
    assert validate_xsd(data, version="5.30") == []


def test_build_pes_aller_writes_iso_8859_1_with_references_beyond_it():
    data = build_pes_aller(flow=make_flow())

    assert data.startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>\n')
    assert b'<Obj V="Subvention n\xb01 &#8211; \xe9t\xe9 &amp; &lt;culture&gt;"/>' in data
    assert b'<Prenom V="\xc9lodie"/>' in data
    assert read_pes_aller(data).bordereaux[0].pieces[0].objet == (
        "Subvention n°1 – été & <culture>"
    )


def _titre_flow(objet: str):
    flow = make_flow(depense=0, recette=True, attachment=False)
    titre = flow.recette[0]  # type: ignore[index]
    piece = dataclasses.replace(titre.pieces[0], objet=objet)
    return dataclasses.replace(flow, recette=[dataclasses.replace(titre, pieces=[piece])])


def test_build_pes_aller_round_trips_quotes_and_markup():
    odd = 'Loyer "mars" <cave> & garage'

    data = build_pes_aller(flow=_titre_flow(odd))

    assert b'<ObjPce V="Loyer &quot;mars&quot; &lt;cave&gt; &amp; garage"/>' in data
    assert read_pes_aller(data).bordereaux[0].pieces[0].objet == odd


def test_build_pes_aller_refuses_line_breaks_the_dgfip_types_refuse():
    with pytest.raises(PesBuildError) as caught:
        build_pes_aller(flow=_titre_flow("Loyer\nmars"))

    assert str(caught.value) == (
        'Line breaks and tabs are not allowed in PES values: <ObjPce V="Loyer&#10;mars"/>'
    )


def test_build_pes_aller_sets_counts_totals_and_ids():
    data = build_pes_aller(flow=make_flow())

    assert data.count(b"<Piece>") == 7
    assert re.findall(rb'<Bordereau Id="([^"]+)">', data) == [
        b"BORD_DEP_2025_10",
        b"BORD_DEP_2025_11",
        b"BORD_REC_2025_5",
    ]
    assert b'<NbrPce V="3"/><MtCumulAnnuel V="100000.00"/><MtBordHT V="3751.50"/>' in data
    assert b'<MtBordHt V="450.00"/><MtBordTVA V="90.00"/><Objet V="Loyers de mars"/>' in data
    assert b'<InfoDematerialisee V="0"/>' in data


def test_attachment_content_is_base64_of_the_gzipped_file():
    data = build_pes_aller(flow=make_flow())
    encoded = re.search(rb'<Fichier MIMEType="application/pdf">([^<]+)</Fichier>', data)

    assert encoded is not None
    assert gzip.decompress(base64.b64decode(encoded.group(1))) == PDF
    assert encoded.group(1).decode() == encode_attachment(PDF)


def test_encode_attachment_is_deterministic():
    assert encode_attachment(PDF) == encode_attachment(PDF)
    assert base64.b64decode(encode_attachment(PDF))[:10] == bytes.fromhex("1f8b0800000000000203")


def test_new_id_unique_is_alphanumeric_unique_and_fits_hélios():
    ids = {new_id_unique(id_coll="24310063300011") for _ in range(1000)}

    assert len(ids) == 1000
    assert all(re.fullmatch(r"24310063300011[0-9A-F]{32}", i) for i in ids)


def test_write_pes_aller_streams_pieces_from_a_generator():
    def pieces():
        for number in range(1, 2001):
            yield Piece(
                id_pce=number,
                lignes=[
                    Ligne(
                        nature="6574",
                        montant_ht=Decimal("10.01"),
                        mod_regl="03",
                        tiers=[ASSOCIATION],
                    )
                ],
            )

    bordereau = Bordereau(
        id_bord=1,
        exercice=2025,
        date_emission=dt.date(2026, 1, 15),  # journée complémentaire: January of N+1
        mt_cumul_annuel=Decimal("20020.00"),
        pieces=pieces(),
    )
    flow = dataclasses.replace(make_flow(recette=False, attachment=False), depense=[bordereau])
    out = io.BytesIO()

    summary = write_pes_aller(flow=flow, out=out)

    assert [(b.element_id, b.piece_count, b.total_ht) for b in summary.bordereaux] == [
        ("BORD_DEP_2025_1", 2000, Decimal("20020.00"))
    ]
    assert summary.size == len(out.getvalue())
    assert validate_xsd(out.getvalue()) == []


def test_write_pes_aller_gives_the_same_bytes_when_pieces_spool_to_disk(monkeypatch):
    in_memory = build_pes_aller(flow=make_flow(), validate=False)
    monkeypatch.setattr("exports.pes.builder.SPOOL_IN_MEMORY", 512)

    spooled = build_pes_aller(flow=make_flow(), validate=False)

    assert spooled == in_memory


def _flow_with(**bordereau_changes):
    flow = make_flow(recette=False, attachment=False, depense=1)
    bordereau = dataclasses.replace(flow.depense[0], **bordereau_changes)  # type: ignore[index]
    return dataclasses.replace(flow, depense=[bordereau])


def _piece(**changes):
    base = Piece(
        id_pce=1,
        lignes=[
            Ligne(nature="6574", montant_ht=Decimal("10.00"), mod_regl="03", tiers=[ASSOCIATION])
        ],
    )
    return dataclasses.replace(base, **changes)


@pytest.mark.parametrize(
    ("flow", "message"),
    [
        (
            dataclasses.replace(
                make_flow(recette=False, attachment=False),
                depense=[depense_bordereau(10, 1, 1), depense_bordereau(12, 2, 1)],
            ),
            "Bordereau 12 follows bordereau 10 of the same exercice and type: numbers must be "
            "consecutive.",
        ),
        (
            dataclasses.replace(
                make_flow(recette=False, attachment=False),
                depense=[depense_bordereau(10, 1, 2), depense_bordereau(11, 2, 1)],
            ),
            "Pièce number 2 is used twice, or is not between 1 and 99999999, for the exercice "
            "2025.",
        ),
        (
            _flow_with(date_emission=dt.date(2027, 1, 2)),
            "Bordereau 10 is dated 2027-01-02, outside the exercice 2025.",
        ),
        (_flow_with(pieces=[]), "Bordereau 10 must have between 1 and 99999 pièces."),
        (_flow_with(id_bord=0), "Bordereau number 0 must be between 1 and 9999999."),
        (
            _flow_with(
                pieces=[_piece(lignes=[Ligne(nature="6574", montant_ht=Decimal("10.005"))])]
            ),
            "Line 1 of pièce 1 10.005 has more than 2 decimals or 12 digits.",
        ),
        (
            _flow_with(pieces=[_piece(lignes=[Ligne(nature="6574", montant_ht=Decimal("-1"))])]),
            "Line 1 of pièce 1 cannot be negative (-1).",
        ),
        (
            _flow_with(
                pieces=[
                    _piece(
                        lignes=[
                            Ligne(nature="6574", montant_ht=Decimal(1)),
                            Ligne(nature="6574", montant_ht=Decimal(2)),
                        ]
                    )
                ]
            ),
            "Pièce 1: line numbers must be unique and from 1 (1).",
        ),
        (_flow_with(pieces=[_piece(lignes=[])]), "Pièce 1 has no line."),
        (
            _flow_with(pieces=[_piece(objet="bad \x07 bell")]),
            "The data contains a character that XML cannot carry (U+0007).",
        ),
        (
            _flow_with(
                pieces=[
                    _piece(
                        lignes=[
                            Ligne(
                                nature="6574",
                                montant_ht=Decimal(1),
                                tiers=[dataclasses.replace(PERSON, prenom=None)],
                            )
                        ]
                    )
                ]
            ),
            "Tiers DUPONT: Civilite and Prenom are given for natural persons (CatTiers 01) and "
            "only for them.",
        ),
        (
            _flow_with(element_id="1-not-an-id"),
            "Bordereau Id 1-not-an-id is not a valid XML Id or is used twice.",
        ),
    ],
    ids=[
        "numbering-gap",
        "duplicate-piece",
        "outside-exercice",
        "empty-bordereau",
        "bordereau-zero",
        "three-decimals",
        "negative",
        "duplicate-line",
        "no-line",
        "control-character",
        "person-without-first-name",
        "bad-id",
    ],
)
def test_build_pes_aller_refuses_data_that_breaks_the_rules(flow, message):
    with pytest.raises(PesBuildError) as caught:
        build_pes_aller(flow=flow)

    assert str(caught.value) == message


def test_build_pes_aller_refuses_duplicate_attachment_ids():
    flow = make_flow()
    flow = dataclasses.replace(flow, attachments=list(flow.attachments) * 2)

    with pytest.raises(PesBuildError) as caught:
        build_pes_aller(flow=flow)

    assert str(caught.value) == (
        f"Attachment IdUnique {ID_UNIQUE} must be 1 to 50 letters or digits, unique."
    )


def test_build_pes_aller_reports_the_checks_the_output_fails():
    bad_bank = dataclasses.replace(
        ASSOCIATION,
        bank=dataclasses.replace(ASSOCIATION.bank, iban="FR7630003017020002010412522"),
    )
    flow = _flow_with(
        pieces=[
            _piece(
                lignes=[
                    Ligne(nature="6574", montant_ht=Decimal(1), mod_regl="03", tiers=[bad_bank])
                ]
            )
        ]
    )

    with pytest.raises(PesBuildError) as caught:
        build_pes_aller(flow=flow)

    assert [(i.code, i.path) for i in caught.value.issues] == [
        (
            "BANK_IBAN",
            "/PES_Aller/PES_DepenseAller/Bordereau/Piece/LigneDePiece/Tiers/CpteBancaire/IBAN",
        )
    ]
