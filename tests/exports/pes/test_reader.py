"""Importing PES_Aller flows: the real samples, extraction, the Hélios rules, error reports."""

from __future__ import annotations

import base64
import datetime as dt
import io
from decimal import Decimal

import pytest

from exports.pes import PesFileRefused, PesInvalidFile, build_pes_aller, read_pes_aller
from exports.pes.issues import RULES

from .flows import ID_UNIQUE, make_flow


def _codes(issues, severity):
    return sorted(i.code for i in issues if i.severity == severity)


def _outcome(data, **kwargs):
    """(error codes, warning codes) of reading ``data``."""
    try:
        result = read_pes_aller(data, **kwargs)
    except PesInvalidFile as exc:
        return _codes(exc.issues, "error"), _codes(exc.issues, "warning")
    return [], _codes(result.warnings, "warning")


@pytest.fixture(scope="module")
def flow_bytes() -> bytes:
    return build_pes_aller(flow=make_flow(), validate=False)


# --- real samples -----------------------------------------------------------------------------


def test_read_pes_aller_imports_the_berger_levrault_signed_sample(samples):
    result = read_pes_aller(samples / "stela/PESALR2_25060187900027_190328_001.xml")

    assert result.schema_version == "5.17"
    assert result.encoding == "ISO-8859-1"
    assert (result.envelope.file_type, result.envelope.file_name) == ("PESALR1", "STELA11")
    assert result.envelope.emitter_sigle == "e.gf évolution - 12.50.03.00"
    header = result.header
    assert (header.dte_str, header.id_post, header.id_coll, header.cod_col, header.cod_bud) == (
        dt.date(2017, 9, 19),
        "010001",
        "75580064600099",
        "244",
        "00",
    )
    assert header.libelle_col_bud == "Commune de Berger-Levrault"
    assert result.depense is not None
    assert (result.depense.id_ver, result.depense.info_dematerialisee) == ("2", True)
    [bordereau] = result.bordereaux
    assert (bordereau.kind, bordereau.element_id, bordereau.exercice, bordereau.id_bord) == (
        "depense",
        "N10025",
        "2019",
        "11",
    )
    assert bordereau.date_emission == dt.date(2019, 2, 14)
    assert (bordereau.nbr_pce, bordereau.piece_count, bordereau.signed) == (1, 1, True)
    assert (bordereau.mt_bord_ht, bordereau.total_ht, bordereau.total_ttc) == (
        Decimal("4874.40"),
        Decimal("4874.40"),
        Decimal("4874.40"),
    )
    assert bordereau.mt_cumul_annuel == Decimal("4982631.59")
    [piece] = bordereau.pieces
    assert (piece.id_pce, piece.typ_pce, piece.nat_pce, piece.objet) == (
        "1303",
        "01",
        "01",
        "Extension du réseau d'eau",
    )
    assert [r.id_unique for r in piece.pj_refs] == [
        "21780537300016DEPENSE2016001384",
        "21780537300016DEPENSE2016001385",
    ]
    [line] = piece.lines
    assert (line.nature, line.fonction, line.mod_regl, line.montant_ht) == (
        "60611",
        "020",
        "03",
        Decimal("4874.40"),
    )
    [tiers] = line.tiers
    assert (tiers.nom, tiers.id_tiers, tiers.cat_tiers, tiers.cp, tiers.ville) == (
        "GUGLIELMETTI",
        "30566191000029",
        "50",
        "31000",
        "TOULOUSE",
    )
    assert (tiers.iban, tiers.bic) == ("FR092004100001464646M263555", "PSSTFRPPPAR")
    assert [(a.id_unique, a.nom_pj, a.mime_type) for a in result.attachments] == [
        ("21780537300016DEPENSE2016001384", "FACAVA2015092432682006500083.pdf", "application/pdf"),
        (
            "21780537300016DEPENSE2016001385",
            "FAC3056619100002920160000000000010075.pdf",
            "application/pdf",
        ),
    ]
    assert [(w.code, w.line, w.path) for w in result.warnings] == [
        ("ENV_VERSION", 2, "/PES_Aller/Enveloppe/Parametres/Version"),
        ("COLL_SIRET", 13, "/PES_Aller/EnTetePES/IdColl"),
    ]


def test_read_pes_aller_imports_the_pastell_example_without_warning(samples):
    result = read_pes_aller(samples / "pastell/PES_ex.xml")

    assert [(b.id_bord, b.piece_count, b.total_ht, b.signed) for b in result.bordereaux] == [
        ("2372", 1, Decimal("55.22"), False)
    ]
    assert result.warnings == []


@pytest.mark.parametrize(
    ("sample", "errors"),
    [
        # XSD-valid test fixture, but IdVer 1 and MtBordHT ≠ sum of the lines.
        ("pastell/HELIOS_SIMU_ALR2_1496987735_826268894.xml", ["BORD_TOTAL_HT", "IDVER"]),
        # <CarteAchatNiveau1>false</CarteAchatNiveau1> instead of V="0": two XSD errors.
        ("iparapheur/PESALR1_unsigned.xml", ["XSD", "XSD"]),
        # A <PJ> outside PES_PJ, IdVer 1, totals, and signed with InfoDematerialisee 0.
        ("pastell/fichier_signe.xml", ["BORD_TOTAL_HT", "DEMAT_SIGNED", "IDVER", "XSD"]),
    ],
)
def test_read_pes_aller_refuses_the_samples_that_fail(samples, sample, errors):
    with pytest.raises(PesInvalidFile) as caught:
        read_pes_aller(samples / sample)

    assert _codes(caught.value.issues, "error") == errors


@pytest.mark.parametrize(
    "sample",
    [
        "pastell/pes_acquit.xml",
        "pastell/HELIOS_SIMU_RETOUR_1565181244_184723364.xml",
        "stela/pes-ack-ko/006111_190130123456-ACK-A3020100_A0000MIX_KO.xml",
    ],
)
def test_read_pes_aller_refuses_other_hélios_files(samples, sample):
    with pytest.raises(PesFileRefused) as caught:
        read_pes_aller(samples / sample)

    assert [i.code for i in caught.value.issues] == ["FILE_ROOT"]


# --- extraction -------------------------------------------------------------------------------


def test_read_pes_aller_extracts_a_built_flow(flow_bytes):
    result = read_pes_aller(flow_bytes)

    assert result.warnings == []
    assert [
        (b.kind, b.element_id, b.id_bord, b.piece_count, b.total_ht, b.total_tva, b.signed)
        for b in result.bordereaux
    ] == [
        ("depense", "BORD_DEP_2025_10", "10", 3, Decimal("3751.50"), Decimal(0), False),
        ("depense", "BORD_DEP_2025_11", "11", 3, Decimal("3751.50"), Decimal(0), False),
        ("recette", "BORD_REC_2025_5", "5", 1, Decimal("450.00"), Decimal("90.00"), False),
    ]
    first = result.bordereaux[0].pieces[0]
    assert (first.id_pce, first.objet, first.index) == ("1", "Subvention n°1 – été & <culture>", 1)
    assert [(r.support, r.id_unique, r.nom_pj) for r in first.lines[0].pj_refs] == [
        ("01", ID_UNIQUE, "deliberation.pdf")
    ]
    titre = result.bordereaux[2].pieces[0]
    [line] = titre.lines
    assert (line.cod_prod_loc, line.nature, line.libelle, line.montant_ttc) == (
        "LOY",
        "752",
        "Loyer mars",
        Decimal("540.00"),
    )
    assert [(t.civilite, t.prenom, t.nom, t.typ_tiers, t.adr2) for t in line.tiers] == [
        ("MME", "Élodie", "DUPONT", "01", "2 place de l'Église")
    ]
    [attachment] = result.attachments
    assert (attachment.id_unique, attachment.type_pj, attachment.description) == (
        ID_UNIQUE,
        "003",
        "Délibération n°2025-12 du 1er mars 2025",
    )
    assert result.piece_count == 7
    assert result.size == len(flow_bytes)


def test_read_pes_aller_streams_pieces_to_a_callback_without_keeping_them(flow_bytes):
    seen = []

    result = read_pes_aller(
        flow_bytes, keep_pieces=False, on_piece=lambda b, p: seen.append((b.id_bord, p.id_pce))
    )

    assert seen == [
        ("10", "1"),
        ("10", "2"),
        ("10", "3"),
        ("11", "4"),
        ("11", "5"),
        ("11", "6"),
        ("5", "1"),
    ]
    assert [b.pieces for b in result.bordereaux] == [[], [], []]
    assert [b.piece_count for b in result.bordereaux] == [3, 3, 1]


def test_read_pes_aller_reads_paths_and_file_objects_alike(flow_bytes, tmp_path):
    path = tmp_path / "flow.xml"
    path.write_bytes(flow_bytes)

    from_path = read_pes_aller(path)
    from_file = read_pes_aller(io.BytesIO(flow_bytes))

    assert from_path.piece_count == from_file.piece_count == 7
    assert from_path.size == from_file.size == len(flow_bytes)


def test_read_pes_aller_recognises_a_v530_flow(flow_bytes):
    # TypePJ 014 (document complémentaire à l'ASAP FE) exists only since v5.2x.
    data = flow_bytes.replace(b'<TypePJ V="003"/>', b'<TypePJ V="014"/>')

    result = read_pes_aller(data)

    assert result.schema_version == "5.30"
    with pytest.raises(PesInvalidFile) as caught:
        read_pes_aller(data, schema_version="5.17")
    assert [(i.code, i.path) for i in caught.value.issues] == [
        ("XSD", "/PES_Aller/PES_PJ/PJ/TypePJ")
    ]


def test_read_pes_aller_lists_xsd_errors_then_rule_errors_with_places(flow_bytes):
    data = flow_bytes.replace(b'<IdPce V="5"/>', b'<IdPce V="0"/>').replace(
        b'<NbrPce V="3"/>', b'<NbrPce V="4"/>', 1
    )

    with pytest.raises(PesInvalidFile) as caught:
        read_pes_aller(data)

    assert str(caught.value) == "The PES file has 2 error(s)."
    assert [(i.code, i.line, i.path) for i in caught.value.issues] == [
        ("XSD", 16, "/PES_Aller/PES_DepenseAller/Bordereau[2]/Piece[2]/BlocPiece/InfoPce/IdPce"),
        ("BORD_COUNT", 7, "/PES_Aller/PES_DepenseAller/Bordereau/BlocBordereau/NbrPce"),
    ]
    assert caught.value.issues[1].message == (
        "Bordereau 10 declares 4 pièces (NbrPce) but carries 3."
    )


# --- the Hélios rules -------------------------------------------------------------------------

_PJ_START = b"<PJ><Contenu>"


def _replace_attachment_content(data: bytes, new: bytes) -> bytes:
    start = data.index(b'<Fichier MIMEType="application/pdf">') + len(
        b'<Fichier MIMEType="application/pdf">'
    )
    end = data.index(b"</Fichier>")
    return data[:start] + new + data[end:]


def _duplicate_attachment(data: bytes) -> bytes:
    start = data.index(_PJ_START)
    end = data.index(b"</PJ>") + len(b"</PJ>")
    return data[:end] + data[start:end] + data[end:]


def _duplicate_first_line(data: bytes) -> bytes:
    start = data.index(b"<LigneDePiece>")
    end = data.index(b"</LigneDePiece>") + len(b"</LigneDePiece>")
    return data[:end] + data[start:end] + data[end:]


def _without_domains(data: bytes) -> bytes:
    start = data.index(b"</EnTetePES>\n") + len(b"</EnTetePES>\n")
    return data[:start] + data[data.index(b"</n:PES_Aller>") :]


def _utf8(data: bytes) -> bytes:
    return (
        data.decode("iso-8859-1")
        .replace('encoding="ISO-8859-1"', 'encoding="UTF-8"')
        .encode("utf-8")
    )


def _sub(old: bytes, new: bytes, count: int = 1):
    return lambda data: data.replace(old, new, count)


RULE_CASES = {
    "IDVER": (
        _sub(b'<EnTeteDepense><IdVer V="2"/>', b'<EnTeteDepense><IdVer V="1"/>'),
        ["IDVER"],
        [],
    ),
    "ENV_VERSION": (_sub(b'<Version V="2"/>', b'<Version V="1"/>'), [], ["ENV_VERSION"]),
    "ENCODING": (_utf8, [], ["ENCODING"]),
    "COLL_SIRET": (
        _sub(b'<IdColl V="24310063300011"/>', b'<IdColl V="24310063300012"/>'),
        [],
        ["COLL_SIRET"],
    ),
    "PJ_IDVER": (
        _sub(b'<EnTetePES_PJ><IdVer V="1"/>', b'<EnTetePES_PJ><IdVer V="2"/>'),
        ["PJ_IDVER"],
        [],
    ),
    "BORD_COUNT": (_sub(b'<NbrPce V="3"/>', b'<NbrPce V="4"/>'), ["BORD_COUNT"], []),
    "BORD_TOTAL_HT": (
        _sub(b'<MtBordHT V="3751.50"/>', b'<MtBordHT V="3751.51"/>'),
        ["BORD_TOTAL_HT"],
        [],
    ),
    "BORD_TOTAL_TVA": (
        _sub(b'<MtBordTVA V="90.00"/>', b'<MtBordTVA V="91.00"/>'),
        ["BORD_TOTAL_TVA"],
        [],
    ),
    "BORD_EXERCICE": (_sub(b'<Exer V="2025"/>', b'<Exer V="2023"/>'), [], ["BORD_EXERCICE"]),
    "BORD_DATE": (
        lambda d: d.replace(
            b'<Exer V="2025"/><IdBord V="5"/><DteBordEm V="2025-03-01"/>',
            b'<Exer V="1899"/><IdBord V="5"/><DteBordEm V="1899-12-31"/>',
        ),
        ["BORD_DATE"],
        [],
    ),
    "BORD_DUPLICATE": (_sub(b'<IdBord V="11"/>', b'<IdBord V="10"/>'), ["BORD_DUPLICATE"], []),
    "BORD_SEQUENCE": (_sub(b'<IdBord V="11"/>', b'<IdBord V="12"/>'), [], ["BORD_SEQUENCE"]),
    "PIECE_DUPLICATE": (_sub(b'<IdPce V="2"/>', b'<IdPce V="1"/>'), ["PIECE_DUPLICATE"], []),
    "LINE_DUPLICATE": (_duplicate_first_line, ["BORD_TOTAL_HT", "LINE_DUPLICATE"], []),
    "TIERS_PERSON": (_sub(b'<Civilite V="MME"/>', b""), ["TIERS_PERSON"], []),
    "TIERS_ID_PAIR": (_sub(b'<NatIdTiers V="01"/>', b""), ["TIERS_ID_PAIR"], []),
    "TIERS_ID_KEY": (
        _sub(b'<IdTiers V="37909534200018"/>', b'<IdTiers V="37909534200019"/>'),
        ["TIERS_ID_KEY"],
        [],
    ),
    "ADDRESS_CP": (_sub(b'<CP V="31000"/>', b'<CP V="3100"/>'), ["ADDRESS_CP"], []),
    "ADDRESS_COUNTRY": (_sub(b'<CodRes V="0"/>', b'<CodRes V="1"/>'), ["ADDRESS_COUNTRY"], []),
    "BANK_IBAN": (
        _sub(b'"FR7630003017020002010412521"', b'"FR7630003017020002010412522"'),
        ["BANK_IBAN"],
        [],
    ),
    "BANK_IBAN_lowercase": (
        _sub(b'"FR7630003017020002010412521"', b'"FR76300030170200020104125ab"'),
        ["BANK_IBAN"],
        [],
    ),
    "BANK_RIB": (
        _sub(
            b'<BIC V="SOGEFRPPXXX"/><IBAN V="FR7630003017020002010412521"/>',
            b'<CodeEtab V="30001"/><CodeGuic V="00866"/><IdCpte V="C7850000000"/><CleRib V="68"/>',
        ),
        ["BANK_RIB"],
        [],
    ),
    "BANK_REQUIRED": (
        lambda d: (
            d[: d.index(b"<CpteBancaire>")]
            + d[d.index(b"</CpteBancaire>") + len(b"</CpteBancaire>") :]
        ),
        ["BANK_REQUIRED"],
        [],
    ),
    "BANK_FORBIDDEN": (_sub(b'<ModRegl V="03"/>', b'<ModRegl V="01"/>'), ["BANK_FORBIDDEN"], []),
    "PJREF_SUPPORT": (_sub(b'<Support V="01"/>', b'<Support V="02"/>'), ["PJREF_SUPPORT"], []),
    "PJREF_MISSING": (
        _sub(f'<IdUnique V="{ID_UNIQUE}"/><NomPJ'.encode(), b'<IdUnique V="OTHER1"/><NomPJ'),
        [],
        ["PJREF_MISSING"],
    ),
    "PJ_DUPLICATE": (_duplicate_attachment, ["PJ_DUPLICATE"], []),
    "PJ_EMPTY": (lambda d: _replace_attachment_content(d, b""), ["PJ_EMPTY"], []),
    "PJ_NOT_GZIP": (
        lambda d: _replace_attachment_content(d, base64.b64encode(b"%PDF-1.4 plain")),
        ["PJ_NOT_GZIP"],
        [],
    ),
    "PJ_REFCOMPTA": (_sub(b'<TypePJ V="003"/>', b'<TypePJ V="012"/>'), ["PJ_REFCOMPTA"], []),
    "PJ_DOMAIN": (
        _sub(
            b"</PJ>",
            b'<RefCompta><Domaine V="02"/><Exercice V="2025"/><TypeObjet V="01"/></RefCompta></PJ>',
        ),
        ["PJ_DOMAIN"],
        [],
    ),
    "DOMAIN_MISSING": (_without_domains, ["DOMAIN_MISSING"], []),
}


@pytest.mark.parametrize("case", sorted(RULE_CASES))
def test_read_pes_aller_applies_each_hélios_rule(flow_bytes, case):
    mutate, errors, warnings = RULE_CASES[case]

    assert _outcome(mutate(flow_bytes)) == (errors, warnings)


def test_every_rule_has_a_case_in_these_tests():
    signature_rules = {"DEMAT_UNSIGNED", "DEMAT_SIGNED", "SIG_REFERENCE", "BORD_CUMUL"}
    covered = {code for _m, e, w in RULE_CASES.values() for code in e + w} | signature_rules

    assert covered == set(RULES)


def test_read_pes_aller_warns_of_unsigned_dematerialised_bordereaux_until_sending():
    data = build_pes_aller(flow=make_flow(dematerialised=True), validate=False)

    assert _outcome(data) == ([], ["DEMAT_UNSIGNED"] * 3)
    assert _outcome(data, for_sending=True) == (["DEMAT_UNSIGNED"] * 3, [])


def test_read_pes_aller_requires_mt_cumul_annuel_when_dematerialised():
    data = build_pes_aller(flow=make_flow(dematerialised=True), validate=False)
    data = data.replace(b'<MtCumulAnnuel V="100000.00"/>', b"", 1)

    assert _outcome(data) == (["BORD_CUMUL"], ["DEMAT_UNSIGNED"] * 3)


def test_read_pes_aller_checks_signatures_against_info_dematerialisee(flow_bytes, pki):
    from exports.pes import sign_flow

    signed = sign_flow(flow_bytes, signer=pki.signer())
    undeclared = signed.replace(b'<InfoDematerialisee V="1"/>', b'<InfoDematerialisee V="0"/>')
    misreferenced = signed.replace(b'URI="#BORD_DEP_2025_11"', b'URI="#BORD_DEP_2025_99"')

    assert _outcome(signed) == ([], [])
    assert _outcome(undeclared) == (["DEMAT_SIGNED"] * 3, [])
    assert _outcome(misreferenced) == (["SIG_REFERENCE"], [])
