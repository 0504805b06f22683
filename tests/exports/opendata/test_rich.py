import dataclasses
import datetime as dt
import json

import jsonschema
import pytest

from exports.opendata.exceptions import InvalidOpenData
from exports.opendata.rich import (
    MemberVote,
    RichDeliberation,
    json_schema,
    write_deliberations_json,
)
from exports.opendata.scdl import DeliberationRow

GENERATED_AT = dt.datetime(2024, 3, 8, 9, 30, tzinfo=dt.UTC)
ROW = DeliberationRow(
    coll_nom="Commune de Saint-Exemple",
    coll_siret="21340172200011",
    delib_id="2024_DE_012",
    delib_date=dt.date(2024, 3, 5),
    delib_matiere_code="7.1",
    delib_matiere_nom="finances locales/décisions budgétaires",
    delib_objet="Budget primitif 2024",
    pref_id="PREF034",
    pref_date=dt.date(2024, 3, 7),
    vote_effectif=5,
    vote_reel=3,
    vote_pour=2,
    vote_contre=1,
    vote_abstention=0,
    delib_url="https://actes.example.fr/actes/2024_DE_012.pdf",
)
VOTES = (
    MemberVote(member="Anne Martin", role="Maire", vote="pour"),
    MemberVote(member="Bruno Petit", vote="pour", proxy_holder="Anne Martin"),
    MemberVote(member="Chloé Roux", role="Conseillère municipale", vote="contre"),
    MemberVote(member="David Leroy", vote="ne_prend_pas_part"),
)
ITEM = RichDeliberation(
    scdl=ROW,
    rapporteur="Élise Garnier",
    rapporteur_role="Adjointe aux finances",
    seance_date=dt.date(2024, 3, 5),
    published_on=dt.date(2024, 3, 8),
    page_url="https://actes.example.fr/actes/2024_DE_012",
    verification_url="https://actes.example.fr/verifier/2024_DE_012",
    votes=VOTES,
)


def export(*items):
    return write_deliberations_json(
        collectivite_name="Commune de Saint-Exemple",
        collectivite_siret="21340172200011",
        deliberations=items,
        generated_at=GENERATED_AT,
    )


def test_rich_json_document():
    document = json.loads(export(ITEM))

    assert (
        document["$schema"]
        == "https://delibre.example/schemas/delibre-deliberations-1.0.schema.json"
    )
    assert (document["version"], document["generated_at"]) == ("1.0", "2024-03-08T09:30:00Z")
    assert document["collectivite"] == {
        "nom": "Commune de Saint-Exemple",
        "siret": "21340172200011",
    }
    (deliberation,) = document["deliberations"]
    assert deliberation == {
        "COLL_NOM": "Commune de Saint-Exemple",
        "COLL_SIRET": "21340172200011",
        "DELIB_ID": "2024_DE_012",
        "DELIB_DATE": "2024-03-05",
        "DELIB_MATIERE_CODE": "7.1",
        "DELIB_MATIERE_NOM": "finances locales/décisions budgétaires",
        "DELIB_OBJET": "Budget primitif 2024",
        "BUDGET_ANNEE": None,
        "BUDGET_NOM": None,
        "PREF_ID": "PREF034",
        "PREF_DATE": "2024-03-07",
        "VOTE_EFFECTIF": 5,
        "VOTE_REEL": 3,
        "VOTE_POUR": 2,
        "VOTE_CONTRE": 1,
        "VOTE_ABSTENTION": 0,
        "DELIB_URL": "https://actes.example.fr/actes/2024_DE_012.pdf",
        "rapporteur": {"nom": "Élise Garnier", "qualite": "Adjointe aux finances"},
        "date_seance": "2024-03-05",
        "date_mise_en_ligne": "2024-03-08",
        "liens": {
            "document": "https://actes.example.fr/actes/2024_DE_012.pdf",
            "page": "https://actes.example.fr/actes/2024_DE_012",
            "verification": "https://actes.example.fr/verifier/2024_DE_012",
        },
        "votes": [
            {
                "elu": "Anne Martin",
                "qualite": "Maire",
                "vote": "pour",
                "procuration_donnee_a": None,
            },
            {
                "elu": "Bruno Petit",
                "qualite": "",
                "vote": "pour",
                "procuration_donnee_a": "Anne Martin",
            },
            {
                "elu": "Chloé Roux",
                "qualite": "Conseillère municipale",
                "vote": "contre",
                "procuration_donnee_a": None,
            },
            {
                "elu": "David Leroy",
                "qualite": "",
                "vote": "ne_prend_pas_part",
                "procuration_donnee_a": None,
            },
        ],
    }


def test_rich_json_matches_its_published_schema():
    minimal = RichDeliberation(
        scdl=dataclasses.replace(
            ROW,
            vote_effectif=None,
            vote_reel=None,
            vote_pour=None,
            vote_contre=None,
            vote_abstention=None,
        )
    )

    document = json.loads(export(ITEM, minimal))

    jsonschema.Draft202012Validator.check_schema(json_schema())
    assert list(jsonschema.Draft202012Validator(json_schema()).iter_errors(document)) == []
    assert document["deliberations"][1]["rapporteur"] is None
    assert document["deliberations"][1]["votes"] == []


def test_rich_json_is_utf8_and_stable():
    first = export(ITEM)

    assert first == export(ITEM)
    assert "Élise".encode() in first
    assert first.endswith(b"}\n")


def test_rich_json_refuses_votes_that_do_not_add_up():
    short = dataclasses.replace(ITEM, votes=VOTES[:2])

    with pytest.raises(InvalidOpenData) as info:
        export(short)

    assert [(error.row, error.column, error.check) for error in info.value.errors] == [
        (1, "VOTE_CONTRE", "votes-total")
    ]
    assert info.value.errors[0].message == "VOTE_CONTRE is 1 but 0 members voted so."


def test_rich_json_refuses_unknown_vote_and_scdl_errors():
    odd = dataclasses.replace(
        ITEM,
        scdl=dataclasses.replace(ROW, vote_reel=4),
        votes=(*VOTES, MemberVote(member="Eve", vote="blanc")),
    )

    with pytest.raises(InvalidOpenData) as info:
        export(odd)

    assert [(error.column, error.check) for error in info.value.errors] == [
        ("VOTE_REEL", "sum-columns-value"),
        ("votes", "vote-choice"),
    ]
