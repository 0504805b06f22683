"""Reading what Hélios sends back: PES_ACQUIT (positive and negative) and PES_Retour."""

from __future__ import annotations

import datetime as dt

import pytest

from exports.pes import PesFileRefused, build_pes_aller, read_pes_acquit, read_pes_retour
from exports.pes.acquit import AckError

from .flows import make_flow

KO = "stela/pes-ack-ko/006111_190130123456-ACK-A3020100_A0000"


def test_read_pes_acquit_reads_a_positive_acknowledgement(samples):
    acquit = read_pes_acquit(samples / "pastell/ACQUIT_PESALR2_49101169800000_171227_2045.xml")

    assert acquit.accepted is True
    assert acquit.schema_issues == []
    assert (acquit.envelope.file_type, acquit.envelope.emitter_sigle) == ("PESALR2", "LIBRICIEL")
    assert (acquit.header.dte_str, acquit.header.id_post, acquit.header.cod_col) == (
        dt.date(2015, 12, 10),
        "034000",
        "123",
    )
    assert acquit.id_ver == "2"
    assert [
        (e.domain_label, e.accepted, e.bordereau_number, e.exercice, e.id_unique)
        for e in acquit.elements
    ] == [
        ("expenditure (dépense)", True, "1847", "2015", None),
        ("attachment", True, None, None, "200049104000252015DEPENSE0000087458"),
        ("attachment", True, None, None, "20004904000252015DEPENSE0000087460"),
        ("attachment", True, None, None, "200049104000252015DEPENSE0000087461"),
        ("attachment", True, None, None, "200049104000252015DEPENSE0000087459"),
    ]
    [outcome] = acquit.outcome_for(kind="depense", exercice="2015", id_bord="1847")
    assert (outcome.accepted, outcome.errors, outcome.pieces) == (True, [], [])


def test_read_pes_acquit_reads_rejections_per_piece_and_line(samples):
    acquit = read_pes_acquit(samples / f"{KO}IDL_KO.xml")

    assert acquit.accepted is False
    [bordereau] = acquit.outcome_for(kind="depense", exercice="2019", id_bord="5")
    assert bordereau.accepted is False
    assert [
        (p.number, [(line.number, line.errors) for line in p.lines]) for p in bordereau.pieces
    ] == [
        (
            "20",
            [
                ("1", [AckError("ERREUR_AUTRE", "1971 - Compte fonction présent à tort")]),
                ("2", [AckError("ERREUR_AUTRE", "1971 - Compte fonction présent à tort")]),
                ("3", [AckError("ERREUR_AUTRE", "1971 - Compte fonction présent à tort")]),
            ],
        ),
        (
            "21",
            [
                ("1", [AckError("ERREUR_AUTRE", "1971 - Compte fonction présent à tort")]),
                (
                    "2",
                    [
                        AckError(
                            "ERREUR_AUTRE",
                            "2559 - Le code service de la structure publique destinataire est inconnu ou "
                            "inactif dans Chorus Pro",
                        )
                    ],
                ),
            ],
        ),
        ("22", [("1", [AckError("ERREUR_AUTRE", "1971 - Compte fonction présent à tort")])]),
    ]
    assert acquit.attachment_outcome("2019EC00087654").accepted is True


def test_read_pes_acquit_reads_a_mixed_acknowledgement(samples):
    acquit = read_pes_acquit(samples / f"{KO}MIX_KO.xml")

    [recette] = acquit.outcome_for(kind="recette", exercice="2018", id_bord="258")
    assert [(p.number, p.errors) for p in recette.pieces] == [
        (
            "5432",
            [
                AckError(
                    "ERREUR_AUTRE",
                    "2559 - Le code service de la structure publique destinataire est inconnu ou inactif "
                    "dans Chorus Pro",
                )
            ],
        )
    ]
    duplicate = acquit.attachment_outcome("TI00064567")
    assert (duplicate.accepted, duplicate.errors) == (
        False,
        [
            AckError(
                "ERREUR_DOUBLON_PJ",
                "1984 - L'identifiant unique de la PJ a déjà été intégré dans HELIOS",
            )
        ],
    )
    assert duplicate.errors[0].message == "This attachment was already received."


def test_read_pes_acquit_keeps_one_element_per_rejected_piece(samples):
    acquit = read_pes_acquit(samples / f"{KO}SDP_KO.xml")

    outcomes = acquit.outcome_for(kind="recette", exercice="2018", id_bord="258")

    assert [[p.number for p in o.pieces] for o in outcomes] == [["5432"], ["4321"]]


@pytest.mark.parametrize("suffix", ["IDL", "MIX", "SDP", "SEN"])
def test_read_pes_acquit_reports_the_schema_problems_of_the_ko_samples(samples, suffix):
    acquit = read_pes_acquit(samples / f"{KO}{suffix}_KO.xml")

    assert [i.code for i in acquit.schema_issues] == ["XSD"]
    assert "Element 'CodCol', attribute 'V'" in acquit.schema_issues[0].params["detail"]


def test_read_pes_acquit_refuses_a_pes_aller():
    with pytest.raises(PesFileRefused) as caught:
        read_pes_acquit(build_pes_aller(flow=make_flow()))

    assert [i.code for i in caught.value.issues] == ["FILE_ROOT"]
    assert str(caught.value) == (
        "This is not the expected Hélios return file (the root element is PES_Aller)."
    )


def test_read_pes_acquit_refuses_truncated_files(samples):
    data = (samples / "pastell/pes_acquit.xml").read_bytes()

    with pytest.raises(PesFileRefused) as caught:
        read_pes_acquit(data[: len(data) // 2])

    assert [i.code for i in caught.value.issues] == ["FILE_NOT_XML"]


def test_read_pes_retour_reads_bordereaux_and_pieces(samples):
    retour = read_pes_retour(samples / "pastell/HELIOS_SIMU_RETOUR_1565181244_184723364.xml")

    assert retour.schema_issues == []
    assert (retour.header.id_post, retour.header.cod_col, retour.header.libelle_poste) == (
        "082008",
        "221",
        "CORBARIEU ",
    )
    assert [(b.domain, b.values) for b in retour.bordereaux] == [
        ("PES_DepenseRetour", {"Exer": "2009", "IdBord": "1234567", "TypBord": "01"})
    ]
    assert [p.values for p in retour.bordereaux[0].pieces] == [
        {
            "IdPce": "832",
            "TypPce": "01",
            "NatPce": "01",
            "Obj": "Test accent éÉÈÈêà",
            "DtePcePec": "2008-12-12",
            "EtatPce": "01",
        }
    ]
