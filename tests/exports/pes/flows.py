"""Small PES flows built with the library's builder, for the tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from exports.pes.flow import (
    Address,
    Attachment,
    BankAccount,
    Bordereau,
    Emitter,
    Header,
    Ligne,
    PesFlow,
    Piece,
    PjRef,
    Tiers,
)

HEADER = Header(
    id_post="031007",
    id_coll="24310063300011",
    cod_col="100",
    cod_bud="00",
    libelle_poste="TRESORERIE DE TEST",
    libelle_col_bud="Commune de Test",
)
EMITTER = Emitter(sigle="DELIBRE", adresse="Mairie de Test")
ASSOCIATION = Tiers(
    nom="ASSOCIATION LES AMIS",
    id_tiers="37909534200018",
    nat_id_tiers="01",
    ref_tiers="T42",
    address=Address(adr2="1 RUE DE LA MAIRIE", cp="31000", ville="TOULOUSE"),
    bank=BankAccount(
        titulaire="ASSOCIATION LES AMIS",
        iban="FR7630003017020002010412521",
        bic="SOGEFRPPXXX",
    ),
)
PERSON = Tiers(
    nom="DUPONT",
    prenom="Élodie",
    civilite="MME",
    cat_tiers="01",
    nat_jur="01",
    address=Address(adr2="2 place de l'Église", cp="31000", ville="TOULOUSE"),
)
PDF = b"%PDF-1.4\n% test act\n" + b"x" * 500
ID_UNIQUE = "24310063300011DELIBERATION2025000012"


def depense_bordereau(
    id_bord: int, first_piece: int, count: int, *, amount: str = "1250.50", exercice: int = 2025
) -> Bordereau:
    pieces = [
        Piece(
            id_pce=first_piece + n,
            objet=f"Subvention n°{first_piece + n} – été & <culture>",
            lignes=[
                Ligne(
                    nature="6574",
                    fonction="025",
                    montant_ht=Decimal(amount),
                    libelle="SUBVENTION",
                    mod_regl="03",
                    tiers=[ASSOCIATION],
                    pj_refs=[PjRef(id_unique=ID_UNIQUE, nom_pj="deliberation.pdf")]
                    if n == 0
                    else (),
                )
            ],
        )
        for n in range(count)
    ]
    return Bordereau(
        id_bord=id_bord,
        exercice=exercice,
        date_emission=dt.date(exercice, 3, 1),
        mt_cumul_annuel=Decimal("100000.00"),
        pieces=pieces,
    )


def recette_bordereau() -> Bordereau:
    return Bordereau(
        id_bord=5,
        exercice=2025,
        date_emission=dt.date(2025, 3, 1),
        mt_cumul_annuel=Decimal("5000.00"),
        objet="Loyers de mars",
        pieces=[
            Piece(
                id_pce=1,
                objet="Loyer",
                lignes=[
                    Ligne(
                        nature="752",
                        cod_prod_loc="LOY",
                        montant_ht=Decimal("450.00"),
                        montant_tva=Decimal("90.00"),
                        libelle="Loyer mars",
                        tiers=[PERSON],
                    )
                ],
            )
        ],
    )


def make_flow(
    *,
    depense: int = 2,
    pieces: int = 3,
    recette: bool = True,
    attachment: bool = True,
    dematerialised: bool = False,
) -> PesFlow:
    """Dépense bordereaux 10, 11… of ``pieces`` mandats each, a recette bordereau 5 with one
    titre, and the act PDF as attachment."""
    return PesFlow(
        header=HEADER,
        emitter=EMITTER,
        file_name="PESALR2_24310063300011_250302_001",
        date_str=dt.date(2025, 3, 2),
        flow_id="FLUX2025001",
        depense=[depense_bordereau(10 + b, 1 + b * pieces, pieces) for b in range(depense)],
        recette=[recette_bordereau()] if recette else [],
        attachments=[
            Attachment(
                id_unique=ID_UNIQUE,
                nom_pj="deliberation.pdf",
                content=PDF,
                description="Délibération n°2025-12 du 1er mars 2025",
                type_pj="003",
            )
        ]
        if attachment
        else [],
        dematerialised=dematerialised,
    )
