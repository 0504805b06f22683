"""Treasury flows in the demo commune: its PES circuit and flows in the states a user meets.

``load_pes_demo`` (called by deliberations.demo when the demo commune is loaded) creates, through
the services, the PES circuit — visa of the finance service (the "Service des finances" desk),
then the ordonnateur's signature — and two flows built like the finance software would: one
waiting for the ordonnateur's signature (the visa given), one signed with a demo key, which the
treasury sees. Keys to sign in the pages: ``manage.py pes_demo_keys`` writes the ordonnateur's
and the adjointe's PKCS#12 (demo PKI, password "demo").
"""

from __future__ import annotations

import datetime as dt
import io
import random
import string
from decimal import Decimal
from typing import Any

from django.utils import timezone

from core.simplepdf import text_pdf
from deliberations.validators import luhn_complete
from workflow import services as workflow
from workflow.enums import CircuitPhase, StepKind

from . import services
from .builder import build_pes_aller, new_id_unique
from .flow import (
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
from .models import PesFlow as StoredFlow
from .signers import PesSigner, signer_from_private_key

ASSOCIATIONS = [
    "COMITE DES FETES",
    "ASSOCIATION SPORTIVE",
    "HARMONIE MUNICIPALE",
    "CLUB DES AINES",
    "FOYER RURAL",
    "AMICALE LAIQUE",
    "TENNIS CLUB",
    "ECOLE DE MUSIQUE",
    "JUDO CLUB",
    "BIBLIOTHEQUE POUR TOUS",
    "RESTOS DU COEUR",
    "CROIX ROUGE LOCALE",
]
SUPPLIERS = [
    ("BUREAU PLUS", "6064", "Fournitures de bureau"),
    ("ELEC OUEST", "60612", "Électricité des bâtiments"),
    ("EAUX DU LITTORAL", "60611", "Eau et assainissement"),
    ("GARAGE CENTRAL", "61551", "Entretien des véhicules"),
    ("PAPETERIE DU PORT", "6067", "Fournitures scolaires"),
    ("BATI SERVICES", "615221", "Entretien des bâtiments"),
    ("RESTO COLLECTIF", "6042", "Repas de la cantine"),
    ("TELECOM OUEST", "6262", "Téléphonie et internet"),
]
_IBAN_LETTERS = {ord(c): str(n) for n, c in enumerate(string.ascii_uppercase, 10)}


def demo_iban(seed: int) -> tuple[str, str]:
    """A valid French IBAN (mod 97) and a BIC, made up from ``seed``."""
    bban = f"30003{seed % 100000:05d}{seed:011d}{seed % 97:02d}"
    check = 98 - int((bban + "FR00").translate(_IBAN_LETTERS)) % 97
    return f"FR{check:02d}{bban}", "SOGEFRPPXXX"


def demo_siret(seed: int) -> str:
    return luhn_complete(f"{784000000 + seed * 7:09d}00012"[:13])


def _tiers(name: str, seed: int, city: str, postal_code: str) -> Tiers:
    iban, bic = demo_iban(seed)
    return Tiers(
        nom=name[:38],
        id_tiers=demo_siret(seed),
        nat_id_tiers="01",
        cat_tiers="50",
        nat_jur="06" if "ASSOC" in name or "CLUB" in name else "03",
        address=Address(adr2=f"{seed % 90 + 1} rue du Port", cp=postal_code, ville=city[:38]),
        bank=BankAccount(titulaire=name[:32], iban=iban, bic=bic),
    )


def demo_flow(
    collectivite: Any, *, exercice: int, first_bordereau: int, first_piece: int, name: str
) -> PesFlow:
    """A flow as a finance software exports it: subsidies, supplies (with VAT) and revenues."""
    rng = random.Random(first_bordereau)
    day = timezone.localdate()
    city, postal_code = (
        (collectivite.city or "Saint-Exemple"),
        (collectivite.postal_code or "44999"),
    )
    id_coll = collectivite.pes_id_coll or collectivite.siret
    pdf = text_pdf(
        [
            [
                f"Délibération — {collectivite.name}",
                "",
                "Attribution des subventions aux associations",
                *[f"{n} : {1000 + 250 * i} €" for i, n in enumerate(ASSOCIATIONS)],
            ]
        ],
        title="Subventions",
    )
    attachment = Attachment(
        id_unique=new_id_unique(id_coll=id_coll),
        nom_pj="deliberation-subventions.pdf",
        content=pdf,
        description="Délibération attribuant les subventions aux associations",
        type_pj="003",
    )
    reference = PjRef(id_unique=attachment.id_unique, nom_pj=attachment.nom_pj, type_pj="003")
    piece_number = first_piece
    subsidies = []
    for index, association in enumerate(ASSOCIATIONS):
        subsidies.append(
            Piece(
                id_pce=piece_number,
                objet=f"Subvention {exercice} – {association.title()}"[:100],
                lignes=[
                    Ligne(
                        nature="6574",
                        fonction="025",
                        montant_ht=Decimal(1000 + 250 * index),
                        libelle=f"SUBVENTION {exercice}",
                        mod_regl="03",
                        tiers=[_tiers(association, 10 + index, city, postal_code)],
                    )
                ],
                pj_refs=[reference],
            )
        )
        piece_number += 1
    supplies = []
    for index in range(40):
        supplier, nature, label = SUPPLIERS[index % len(SUPPLIERS)]
        amount = Decimal(rng.randint(8000, 250000)) / 100
        supplies.append(
            Piece(
                id_pce=piece_number,
                objet=f"{label} – facture {exercice}-{1000 + index}"[:100],
                lignes=[
                    Ligne(
                        nature=nature,
                        fonction="020",
                        montant_ht=amount,
                        montant_tva=(amount * Decimal("0.20")).quantize(Decimal("0.01")),
                        libelle=f"FACTURE {1000 + index}",
                        mod_regl="03",
                        tiers=[_tiers(supplier, 100 + index % len(SUPPLIERS), city, postal_code)],
                    )
                ],
            )
        )
        piece_number += 1
    revenues = [
        Piece(
            id_pce=first_piece + index,
            objet=f"Location de la salle polyvalente n° {index + 1}",
            lignes=[
                Ligne(
                    nature="752",
                    cod_prod_loc="LOC",
                    montant_ht=Decimal(150 + 25 * index),
                    libelle="Location salle",
                    tiers=[
                        Tiers(
                            nom=f"LOCATAIRE {index + 1}",
                            prenom="Camille",
                            civilite="MME",
                            cat_tiers="01",
                            nat_jur="01",
                            address=Address(
                                adr2=f"{index + 3} allée des Tilleuls",
                                cp=postal_code,
                                ville=city[:38],
                            ),
                        )
                    ],
                )
            ],
        )
        for index in range(8)
    ]
    return PesFlow(
        header=Header(
            id_post=collectivite.pes_id_post,
            id_coll=id_coll,
            cod_col=collectivite.pes_cod_col,
            cod_bud=collectivite.pes_cod_bud,
            libelle_poste="TRESORERIE DE SAINT-EXEMPLE",
            libelle_col_bud=collectivite.name[:100],
        ),
        emitter=Emitter(sigle="LOGICIEL FINANCES", adresse="Service des finances"),
        file_name=name,
        date_str=day,
        depense=[
            Bordereau(
                id_bord=first_bordereau,
                exercice=exercice,
                date_emission=day,
                mt_cumul_annuel=Decimal("250000.00"),
                pieces=subsidies,
            ),
            Bordereau(
                id_bord=first_bordereau + 1,
                exercice=exercice,
                date_emission=day,
                mt_cumul_annuel=Decimal("310000.00"),
                pieces=supplies,
            ),
        ],
        recette=[
            Bordereau(
                id_bord=first_bordereau,
                exercice=exercice,
                date_emission=day,
                mt_cumul_annuel=Decimal("12000.00"),
                objet="Locations de salles",
                pieces=revenues,
            )
        ],
        attachments=[attachment],
    )


def demo_signer(common_name: str) -> PesSigner:
    """A throw-away signing key and certificate (demo only: never trusted for real flows)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Délibre Démo"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=730))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return signer_from_private_key(private_key=key, certificate=certificate)


def make_acquit(flow: StoredFlow, *, rejected: tuple[tuple[str, int], ...] = ()) -> bytes:
    """A PES_ACQUIT as Hélios answers ``flow``: every bordereau accepted, except those named in
    ``rejected`` as (kind, IdBord), rejected with an anomaly on their first pièce; every
    attachment accepted. For the demo, the scenario and the tests (the treasury's side)."""
    from xml.sax.saxutils import quoteattr

    def v(tag: str, value: object) -> str:
        return f"<{tag} V={quoteattr(str(value))}/>"

    elements = []
    for bordereau in flow.bordereaux.order_by("position"):
        refused = (bordereau.kind, bordereau.id_bord) in rejected
        detail = ""
        if refused:
            first = bordereau.pieces.order_by("position").first()
            detail = (
                f"<DetailPiece>{v('NumPiece', first.id_pce if first else 1)}<Erreur>"
                f"{v('NumAnoAck', 'ERREUR_AUTRE')}"
                f"{v('LibelleAnoAck', '1971 - Compte fonction présent à tort')}"
                "</Erreur></DetailPiece>"
            )
        elements.append(
            "<ElementACQUIT>"
            f"{v('DomaineAck', '5' if bordereau.kind == 'depense' else '6')}"
            f"{v('EtatAck', 0 if refused else 1)}{v('NumBord', bordereau.id_bord)}"
            f"{v('ExerciceBord', bordereau.exercice)}{detail}</ElementACQUIT>"
        )
    for attachment in flow.attachments.order_by("position"):
        elements.append(
            f"<ElementACQUIT>{v('DomaineAck', 4)}{v('EtatAck', 1)}"
            f"{v('IdUnique', attachment.id_unique)}</ElementACQUIT>"
        )
    text = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
        '<n:PES_ACQUIT xmlns:n="http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/retour/v2">'
        f"<Enveloppe><Parametres>{v('Version', 2)}{v('TypFic', flow.file_type or 'PESALR2')}"
        f"{v('NomFic', flow.file_name or flow.name)}</Parametres>"
        f"<Emetteur>{v('Sigle', 'HELIOS')}{v('Adresse', 'DGFIP')}</Emetteur></Enveloppe>"
        f"<EnTetePES>{v('DteStr', timezone.localdate().isoformat())}{v('IdPost', flow.id_post)}"
        f"{v('IdColl', flow.id_coll)}{v('CodCol', flow.cod_col)}{v('CodBud', flow.cod_bud)}"
        "</EnTetePES>"
        f"<ACQUIT><EnTeteAcquit>{v('IdVer', 2)}</EnTeteAcquit>{''.join(elements)}</ACQUIT>"
        "</n:PES_ACQUIT>\n"
    )
    return text.encode("iso-8859-1", "xmlcharrefreplace")


def configure_pes(demo: Any) -> None:
    """The PES circuit of a demo commune (visa of the finance desk, then the ordonnateur) and
    its exchange settings (folder drop; the clerk imports the incoming folder)."""
    collectivite, users = demo.collectivite, demo.users
    admin, clerk = users["admin"], users["redacteur"]
    desk = workflow.create_group(
        collectivite=collectivite,
        actor=admin,
        name="Service des finances",
        members=[users["valideur"]],
    )
    demo.circuits["pes"] = workflow.create_circuit(
        collectivite=collectivite,
        actor=admin,
        name="Flux comptables (PES)",
        phase=CircuitPhase.PES,
        is_default=True,
        steps=[
            workflow.StepSpec(
                kind=StepKind.VISA,
                label="Visa du service des finances",
                groups=[desk],
                deadline_days=2,
            ),
            workflow.StepSpec(
                kind=StepKind.SIGNATURE,
                label="Signature de l'ordonnateur",
                users=[users["ordonnateur"]],
                signer_quality="Ordonnateur",
                deadline_days=3,
            ),
        ],
    )
    services.update_settings(
        collectivite=collectivite, actor=admin, connector="folder", inbox_user=clerk
    )


def load_pes_demo(demo: Any) -> dict[str, StoredFlow]:
    """The demo commune's PES circuit and two flows (see the module docstring)."""
    configure_pes(demo)
    collectivite, users = demo.collectivite, demo.users
    clerk = users["redacteur"]
    exercice = timezone.localdate().year
    id_coll = collectivite.pes_id_coll
    flows: dict[str, StoredFlow] = {}
    for key, first_bordereau, first_piece in (("signed", 41, 1001), ("waiting", 43, 2001)):
        name = f"PESALR2_{id_coll}_{timezone.localdate():%y%m%d}_{first_bordereau:03d}"
        content = build_pes_aller(
            flow=demo_flow(
                collectivite,
                exercice=exercice,
                first_bordereau=first_bordereau,
                first_piece=first_piece,
                name=name,
            )
        )
        flow = services.import_flow(
            collectivite=collectivite, actor=clerk, source=io.BytesIO(content), name=f"{name}.xml"
        )
        run = workflow.start_flow_circuit(flow=flow, actor=clerk)
        workflow.approve_step(
            step_run=run.steps.get(position=1),
            actor=users["valideur"],
            comment="Pièces justificatives contrôlées.",
        )
        if key == "signed":
            flow = services.sign_flow(
                flow=flow, actor=users["ordonnateur"], signer=demo_signer("Olivier GARNIER")
            )
        flow.refresh_from_db()
        flows[key] = flow
    return flows
