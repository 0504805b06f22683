"""Demo data: a fictional commune with its council, users for every role, a séance history and
its parapheur (desks, circuits, a delegation and folders in every state of a circuit).

Everything goes through the services (so the journal tells the same story as in production).
``load_demo`` is idempotent: a second run finds the commune and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.text import slugify

from workflow import services as workflow
from workflow.enums import CircuitPhase, StepKind

from . import services
from .enums import (
    ActesNature,
    ActType,
    AssemblyKind,
    AttendanceStatus,
    BallotChoice,
    CollectiviteKind,
    MandateRole,
    Role,
    VoteMode,
    VoteResult,
)
from .models import Act, Assembly, Collectivite, Mandate, Matiere, Seance, User
from .validators import luhn_complete

DEMO_PASSWORD = "demo"
DEMO_SLUG = "saint-exemple"
DATA = Path(__file__).resolve().parent / "demo_data"

#: (username, first name, last name, roles, official index or None)
DEMO_USERS = [
    ("admin", "Alice", "Bernard", [Role.ADMIN], None),
    ("redacteur", "Romain", "Petit", [Role.CLERK], None),
    ("valideur", "Valérie", "Moreau", [Role.VALIDATOR], None),
    ("maire", "Marie", "Dupont", [Role.SIGNER, Role.ORDONNATEUR], 0),
    ("adjointe", "Sophie", "Lefèvre", [Role.SIGNER, Role.ORDONNATEUR], 1),
    ("secretaire", "Jean", "Martin", [Role.SECRETARY], 5),
    ("ordonnateur", "Olivier", "Garnier", [Role.ORDONNATEUR], None),
    ("tresorerie", "Thomas", "Roux", [Role.TREASURY], None),
]

#: The 29 members of the council (a commune of 5,000 to 9,999 inhabitants), mayor first.
COUNCIL = [
    ("Mme", "Marie", "Dupont", MandateRole.MAYOR, "Maire", "Saint-Exemple Ensemble"),
    (
        "Mme",
        "Sophie",
        "Lefèvre",
        MandateRole.DEPUTY_MAYOR,
        "Adjointe déléguée aux finances",
        "Saint-Exemple Ensemble",
    ),
    (
        "M.",
        "Karim",
        "Benali",
        MandateRole.DEPUTY_MAYOR,
        "Adjoint délégué à l'urbanisme",
        "Saint-Exemple Ensemble",
    ),
    (
        "Mme",
        "Claire",
        "Fontaine",
        MandateRole.DEPUTY_MAYOR,
        "Adjointe déléguée à l'éducation",
        "Saint-Exemple Ensemble",
    ),
    (
        "M.",
        "Pierre",
        "Lambert",
        MandateRole.DEPUTY_MAYOR,
        "Adjoint délégué aux travaux",
        "Saint-Exemple Ensemble",
    ),
    (
        "M.",
        "Jean",
        "Martin",
        MandateRole.COUNCILLOR,
        "Conseiller municipal",
        "Saint-Exemple Ensemble",
    ),
    (
        "Mme",
        "Nathalie",
        "Girard",
        MandateRole.DEPUTY_MAYOR,
        "Adjointe déléguée à la culture",
        "Saint-Exemple Ensemble",
    ),
    (
        "M.",
        "Luc",
        "Bonnet",
        MandateRole.DEPUTY_MAYOR,
        "Adjoint délégué aux sports",
        "Saint-Exemple Ensemble",
    ),
    (
        "Mme",
        "Isabelle",
        "Mercier",
        MandateRole.DELEGATE_COUNCILLOR,
        "Conseillère déléguée à la jeunesse",
        "Saint-Exemple Ensemble",
    ),
    (
        "M.",
        "François",
        "Blanc",
        MandateRole.COUNCILLOR,
        "Conseiller municipal",
        "Saint-Exemple Ensemble",
    ),
    (
        "Mme",
        "Émilie",
        "Guérin",
        MandateRole.COUNCILLOR,
        "Conseillère municipale",
        "Saint-Exemple Ensemble",
    ),
    (
        "M.",
        "Antoine",
        "Muller",
        MandateRole.COUNCILLOR,
        "Conseiller municipal",
        "Saint-Exemple Ensemble",
    ),
    (
        "Mme",
        "Camille",
        "Faure",
        MandateRole.COUNCILLOR,
        "Conseillère municipale",
        "Saint-Exemple Ensemble",
    ),
    (
        "M.",
        "Nicolas",
        "André",
        MandateRole.COUNCILLOR,
        "Conseiller municipal",
        "Saint-Exemple Ensemble",
    ),
    (
        "Mme",
        "Julie",
        "Mathieu",
        MandateRole.COUNCILLOR,
        "Conseillère municipale",
        "Saint-Exemple Ensemble",
    ),
    (
        "M.",
        "Thierry",
        "Clément",
        MandateRole.COUNCILLOR,
        "Conseiller municipal",
        "Saint-Exemple Ensemble",
    ),
    (
        "Mme",
        "Sandrine",
        "Gauthier",
        MandateRole.COUNCILLOR,
        "Conseillère municipale",
        "Saint-Exemple Ensemble",
    ),
    (
        "M.",
        "Laurent",
        "Perrin",
        MandateRole.COUNCILLOR,
        "Conseiller municipal",
        "Saint-Exemple Ensemble",
    ),
    (
        "Mme",
        "Aurélie",
        "Robin",
        MandateRole.COUNCILLOR,
        "Conseillère municipale",
        "Saint-Exemple Ensemble",
    ),
    (
        "M.",
        "Sébastien",
        "Masson",
        MandateRole.COUNCILLOR,
        "Conseiller municipal",
        "Saint-Exemple Ensemble",
    ),
    (
        "Mme",
        "Hélène",
        "Sanchez",
        MandateRole.COUNCILLOR,
        "Conseillère municipale",
        "Saint-Exemple Ensemble",
    ),
    (
        "M.",
        "Yves",
        "Chevalier",
        MandateRole.COUNCILLOR,
        "Conseiller municipal",
        "Agir pour Saint-Exemple",
    ),
    (
        "Mme",
        "Céline",
        "Nicolas",
        MandateRole.COUNCILLOR,
        "Conseillère municipale",
        "Agir pour Saint-Exemple",
    ),
    (
        "M.",
        "Olivier",
        "Henry",
        MandateRole.COUNCILLOR,
        "Conseiller municipal",
        "Agir pour Saint-Exemple",
    ),
    (
        "Mme",
        "Laure",
        "Roussel",
        MandateRole.COUNCILLOR,
        "Conseillère municipale",
        "Agir pour Saint-Exemple",
    ),
    (
        "M.",
        "David",
        "Morel",
        MandateRole.COUNCILLOR,
        "Conseiller municipal",
        "Agir pour Saint-Exemple",
    ),
    (
        "Mme",
        "Pauline",
        "Lemoine",
        MandateRole.COUNCILLOR,
        "Conseillère municipale",
        "Saint-Exemple Autrement",
    ),
    (
        "M.",
        "Michel",
        "Duval",
        MandateRole.COUNCILLOR,
        "Conseiller municipal",
        "Saint-Exemple Autrement",
    ),
    (
        "Mme",
        "Anne",
        "Caron",
        MandateRole.COUNCILLOR,
        "Conseillère municipale",
        "Saint-Exemple Autrement",
    ),
]

PROJECTS = [
    {
        "objet": "Attribution des subventions aux associations pour l'année 2026",
        "matiere": "7.5",
        "rapporteur": 1,
        "summary": "Le tissu associatif de la commune contribue à la vie locale. Il est proposé d'attribuer "
        "les subventions annuelles selon le tableau annexé, pour un montant total de 48 500 €.",
        "visas": [
            "Vu le code général des collectivités territoriales, notamment son article L. 2311-7 ;",
            "Vu le budget primitif 2026 adopté le 3 mars 2026 ;",
        ],
        "considerants": [
            "Considérant l'intérêt local des actions menées par les associations bénéficiaires ;"
        ],
        "articles": [
            "Le conseil municipal attribue les subventions aux associations selon le tableau annexé, pour un montant total de 48 500 €.",
            "Les crédits sont inscrits au chapitre 65 du budget principal 2026.",
        ],
        "budget": ("48500.00", 2026, "Budget principal", "65-6574"),
    },
    {
        "objet": "Approbation du règlement intérieur du conseil municipal",
        "matiere": "5.2",
        "rapporteur": 0,
        "summary": "Le règlement intérieur doit être adopté dans les six mois suivant l'installation du conseil.",
        "visas": [
            "Vu le code général des collectivités territoriales, notamment son article L. 2121-8 ;"
        ],
        "considerants": [],
        "articles": [
            "Le règlement intérieur du conseil municipal est approuvé tel qu'annexé à la présente délibération."
        ],
    },
    {
        "objet": "Acquisition de la parcelle cadastrée AB 142 au lieu-dit « Les Prés Hauts » pour l'aménagement d'un jardin partagé",
        "matiere": "3.1",
        "rapporteur": 2,
        "summary": "La parcelle AB 142, d'une surface de 1 250 m², permettrait la création d'un jardin partagé.",
        "visas": [
            "Vu le code général de la propriété des personnes publiques ;",
            "Vu l'avis du service des domaines du 12 janvier 2026 ;",
        ],
        "considerants": [
            "Considérant le projet de jardin partagé porté par le conseil de quartier ;"
        ],
        "articles": [
            "Le conseil municipal décide l'acquisition de la parcelle AB 142 au prix de 18 750 €, frais d'acte en sus.",
            "Le maire est autorisé à signer l'acte authentique et tout document s'y rapportant.",
        ],
        "budget": ("18750.00", 2026, "Budget principal", "21-2111"),
    },
    {
        "objet": "Tarifs de la restauration scolaire à compter du 1er septembre 2026",
        "matiere": "7.1",
        "rapporteur": 3,
        "summary": "Il est proposé une hausse modérée de 2 % des tarifs, avec un tarif social maintenu à 1 €.",
        "visas": ["Vu le code de l'éducation, notamment son article R. 531-52 ;"],
        "considerants": ["Considérant l'évolution du coût des denrées ;"],
        "articles": [
            "Les tarifs de la restauration scolaire sont fixés selon la grille annexée à compter du 1er septembre 2026."
        ],
    },
    {
        "objet": "Création d'un poste d'adjoint technique territorial à temps complet",
        "matiere": "4.1",
        "rapporteur": 0,
        "summary": "Le développement des espaces verts nécessite un agent supplémentaire.",
        "visas": ["Vu le code général de la fonction publique ;"],
        "considerants": [],
        "articles": [
            "Un poste d'adjoint technique territorial à temps complet est créé au tableau des effectifs à compter du 1er juin 2026."
        ],
    },
]


@dataclass
class Demo:
    collectivite: Collectivite
    users: dict[str, User]
    council: Assembly
    mandates: list[Mandate]
    acts: dict[str, Act] = field(default_factory=dict)
    seances: dict[str, Seance] = field(default_factory=dict)
    circuits: dict[str, Any] = field(default_factory=dict)


def _user(
    username: str,
    first: str,
    last: str,
    *,
    superuser: bool = False,
    password: str | None = DEMO_PASSWORD,
) -> User:
    """The demo user (created once); ``password`` None makes a password nobody can log in with."""
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "email": f"{username}@saint-exemple.example",
            "is_superuser": superuser,
            "is_staff": superuser,
        },
    )
    if created:
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save(update_fields=["password"])
    return user


def _matiere(collectivite: Collectivite, code: str) -> Matiere | None:
    return Matiere.objects.filter(
        version__collectivite=collectivite, version__is_current=True, code=code
    ).first()


def build_collectivite(
    *,
    slug: str = DEMO_SLUG,
    name: str = "Commune de Saint-Exemple",
    siren_body: str = "21449999",
    usernames_suffix: str = "",
    creator: User | None = None,
    password: str | None = DEMO_PASSWORD,
    is_training: bool = False,
) -> Demo:
    """Create the fictional commune, its users, council and classification (through services).

    ``creator`` creates the collectivité (default: the platform team's demo superuser);
    ``password`` is given to the users created (None: they cannot log in with a password) —
    the training sandboxes (training.services) pass both, and ``is_training``.
    """
    platform = creator or _user("plateforme", "Équipe", "Plateforme", superuser=True)
    siren = luhn_complete(siren_body)
    collectivite = services.create_collectivite(
        actor=platform,
        name=name,
        slug=slug,
        kind=CollectiviteKind.COMMUNE,
        siren=siren,
        departement="044",
        population=5400,
        is_training=is_training,
        address="1 place de la Mairie",
        postal_code="44999",
        city="Saint-Exemple",
        email="mairie@saint-exemple.example",
        siret=luhn_complete(siren + "0001"),
        prefecture_id="PREF0440",
        pes_id_coll=luhn_complete(siren + "0001"),
        pes_cod_col="999",
        pes_cod_bud="01",
        pes_id_post="044999",
    )
    return furnish_collectivite(collectivite, usernames_suffix=usernames_suffix, password=password)


def furnish_collectivite(
    collectivite: Collectivite, *, usernames_suffix: str = "", password: str | None = DEMO_PASSWORD
) -> Demo:
    """The demo's users and roles, classification, services, council and parapheur, in an
    existing collectivité (a training sandbox is furnished again when it is reset)."""
    users: dict[str, User] = {}
    admin_name = f"admin{usernames_suffix}"
    users["admin"] = _user(admin_name, "Alice", "Bernard", password=password)
    # The platform team seats the first administrator; every later change is the admin's.
    from .models import Membership

    with transaction.atomic():
        Membership.objects.get_or_create(
            user=users["admin"], collectivite=collectivite, role=Role.ADMIN
        )
    admin = users["admin"]
    for username, first, last, roles, _official in DEMO_USERS:
        user = _user(f"{username}{usernames_suffix}", first, last, password=password)
        users[username] = user
        for role in roles:
            services.grant_role(collectivite=collectivite, actor=admin, user=user, role=role)
    services.import_classification(
        collectivite=collectivite,
        actor=admin,
        content=(DATA / "classification.xml").read_bytes(),
        source_name="classification.xml",
    )
    for service_name in ("Direction générale des services", "Finances", "Urbanisme", "Éducation"):
        services.create_service(collectivite=collectivite, actor=admin, name=service_name)
    council = services.create_assembly(
        collectivite=collectivite, actor=admin, name="Conseil municipal", kind=AssemblyKind.COUNCIL
    )
    by_official = {
        official: username for username, *_rest, official in DEMO_USERS if official is not None
    }
    mandates = []
    for rank, (civility, first, last, role, quality, group) in enumerate(COUNCIL):
        account = users.get(by_official[rank]) if rank in by_official else None
        official = services.create_elected_official(
            collectivite=collectivite,
            actor=admin,
            civility=civility,
            first_name=first,
            last_name=last,
            email=f"{slugify(first)}.{slugify(last)}@saint-exemple.example",
            user=account,
        )
        mandates.append(
            services.create_mandate(
                official=official,
                actor=admin,
                assembly=council,
                role=role,
                quality=quality,
                political_group=group,
                start_date=dt.date(2020, 7, 4),
                rank=rank,
            )
        )
    demo = Demo(collectivite=collectivite, users=users, council=council, mandates=mandates)
    configure_parapheur(demo)
    return demo


def configure_parapheur(demo: Demo) -> None:
    """The desks, circuits and delegation of the demo commune (through the workflow services).

    Deliberations: visa of the Direction générale, then of the adjointe aux finances, before the
    séance; after the vote, signature of the Maire then of the secrétaire de séance. Arrêtés:
    visa of the Direction générale, then signature of the Maire, who delegates her signature on
    the arrêtés of matière 7 (finances locales) to the adjointe for the year.
    """
    admin, users = demo.users["admin"], demo.users
    direction = workflow.create_group(
        collectivite=demo.collectivite,
        actor=admin,
        name="Direction générale",
        members=[users["valideur"]],
    )
    visa_dgs = workflow.StepSpec(
        kind=StepKind.VISA, label="Visa du DGS", groups=[direction], deadline_days=3
    )
    signature_maire = workflow.StepSpec(
        kind=StepKind.SIGNATURE,
        label="Signature du Maire",
        users=[users["maire"]],
        deadline_days=5,
        signer_quality="Le Maire",
    )
    demo.circuits["preparation"] = workflow.create_circuit(
        collectivite=demo.collectivite,
        actor=admin,
        name="Préparation des délibérations",
        phase=CircuitPhase.PREPARATION,
        act_types=[ActType.DELIBERATION],
        is_default=True,
        steps=[
            visa_dgs,
            workflow.StepSpec(
                kind=StepKind.VISA,
                label="Visa de l'adjointe aux finances",
                users=[users["adjointe"]],
                deadline_days=5,
            ),
        ],
    )
    demo.circuits["signature"] = workflow.create_circuit(
        collectivite=demo.collectivite,
        actor=admin,
        name="Signature des délibérations",
        phase=CircuitPhase.SIGNATURE,
        act_types=[ActType.DELIBERATION],
        is_default=True,
        steps=[
            signature_maire,
            workflow.StepSpec(
                kind=StepKind.SIGNATURE,
                label="Signature du secrétaire de séance",
                users=[users["secretaire"]],
                deadline_days=5,
                signer_quality="Le secrétaire de séance",
            ),
        ],
    )
    demo.circuits["arretes"] = workflow.create_circuit(
        collectivite=demo.collectivite,
        actor=admin,
        name="Arrêtés du Maire",
        phase=CircuitPhase.PREPARATION,
        act_types=[ActType.ARRETE],
        is_default=True,
        steps=[visa_dgs, signature_maire],
    )
    year = timezone.localdate().year
    demo.circuits["delegation"] = workflow.create_delegation(
        collectivite=demo.collectivite,
        actor=users["maire"],
        delegator=users["maire"],
        delegate=users["adjointe"],
        starts_on=dt.date(year, 1, 1),
        ends_on=dt.date(year, 12, 31),
        act_types=[ActType.ARRETE],
        matiere_codes=["7"],
        quality="Adjointe déléguée aux finances",
        reference=f"Arrêté de délégation de signature n° {year}-004 du 2 janvier {year}",
    )


def through_preparation(demo: Demo, act: Act, *, rejection: str = "") -> Act:
    """Send a project through the preparation circuit: visa of the DGS, then of the adjointe.

    With ``rejection``, the adjointe first returns it with that reason and the drafter sends it
    again, unchanged in substance, in a new run (the history stays).
    """
    clerk, users = demo.users["redacteur"], demo.users
    for attempt in range(2 if rejection else 1):
        run = workflow.start_circuit(act=act, actor=clerk)
        steps = list(run.steps.order_by("position"))
        workflow.approve_step(step_run=steps[0], actor=users["valideur"], comment="Visa favorable.")
        if rejection and attempt == 0:
            workflow.reject_step(step_run=steps[1], actor=users["adjointe"], reason=rejection)
            act = Act.objects.get(pk=act.pk)
            act = services.update_project(
                act=act,
                actor=clerk,
                revision=act.revision,
                summary=act.summary + " L'incidence budgétaire est précisée en annexe.",
            )
            continue
        workflow.approve_step(step_run=steps[1], actor=users["adjointe"])
    return Act.objects.get(pk=act.pk)


def draft(demo: Demo, spec: dict[str, Any], *, key: str) -> Act:
    budget = spec.get("budget")
    act = services.create_project(
        collectivite=demo.collectivite,
        actor=demo.users["redacteur"],
        act_type=ActType.DELIBERATION,
        nature=ActesNature.DELIBERATION,
        objet=spec["objet"],
        matiere=_matiere(demo.collectivite, spec["matiere"]),
        assembly=demo.council,
        rapporteur=demo.mandates[spec["rapporteur"]],
        summary=spec["summary"],
        visas=spec["visas"],
        considerants=spec["considerants"],
        articles=spec["articles"],
        budget_amount=budget[0] if budget else None,
        budget_year=budget[1] if budget else None,
        budget_name=budget[2] if budget else "",
        budget_line=budget[3] if budget else "",
    )
    demo.acts[key] = act
    return act


def hold_seance(demo: Demo, *, when: dt.datetime, keys: list[str], close: bool) -> Seance:
    """Plan, convene, open and vote a séance on the given (validated) projects."""
    clerk = demo.users["redacteur"]
    seance = services.create_seance(
        collectivite=demo.collectivite,
        actor=clerk,
        assembly=demo.council,
        date=when,
        place="Salle du conseil municipal, Hôtel de ville",
        president=demo.mandates[0],
        secretary=demo.mandates[5],
    )
    items = [services.add_to_agenda(seance=seance, actor=clerk, act=demo.acts[key]) for key in keys]
    sent = min(timezone.localdate(), timezone.localtime(when).date() - dt.timedelta(days=8))
    services.convene(seance=seance, actor=clerk, convocation_date=sent)
    entries = [services.AttendanceEntry(m.pk, AttendanceStatus.PRESENT) for m in demo.mandates[:23]]
    entries += [
        services.AttendanceEntry(demo.mandates[23].pk, AttendanceStatus.PROXY, demo.mandates[0].pk),
        services.AttendanceEntry(
            demo.mandates[24].pk, AttendanceStatus.PROXY, demo.mandates[21].pk
        ),
        services.AttendanceEntry(demo.mandates[25].pk, AttendanceStatus.EXCUSED),
        services.AttendanceEntry(
            demo.mandates[26].pk, AttendanceStatus.PROXY, demo.mandates[20].pk
        ),
        services.AttendanceEntry(demo.mandates[27].pk, AttendanceStatus.ABSENT),
        services.AttendanceEntry(demo.mandates[28].pk, AttendanceStatus.REMOTE),
    ]
    services.record_roll_call(seance=seance, actor=clerk, entries=entries)
    if not close:
        return seance
    services.open_seance(seance=seance, actor=clerk)
    opposition = {m.pk: BallotChoice.AGAINST for m in demo.mandates[21:25]}
    for index, item in enumerate(items):
        if index == 0:
            services.record_vote(
                item=item,
                actor=clerk,
                mode=VoteMode.DETAIL,
                choices=opposition,
                default_choice=BallotChoice.FOR,
            )
        elif index == 1:
            services.declare_interest(item=item, actor=clerk, mandate=demo.mandates[9])
            services.record_vote(
                item=item,
                actor=clerk,
                mode=VoteMode.TOTALS,
                counts={"for": 21, "against": 0, "abstention": 5, "not_voting": 0},
            )
        else:
            services.record_vote(
                item=item, actor=clerk, mode=VoteMode.RESULT, result=VoteResult.ADOPTED
            )
    services.close_seance(seance=seance, actor=clerk)
    return seance


@contextmanager
def no_email() -> Iterator[None]:
    """Demo data is not news: its notifications are recorded, nobody is e-mailed about them."""
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        yield


def load_demo() -> tuple[Demo | None, bool]:
    """Load the demo commune once; return (demo, created)."""
    with no_email(), transaction.atomic():
        if Collectivite.objects.filter(slug=DEMO_SLUG).exists():
            return None, False
        return _load(), True


def _load() -> Demo:
    demo = build_collectivite()
    populate(demo)
    return demo


def populate(demo: Demo) -> None:
    """The demo's projects, séances, folders in circuit and treasury flows (through services)."""
    for index, spec in enumerate(PROJECTS):
        draft(demo, spec, key=f"p{index}")
    # Last month's séance: two projects adopted; the Maire's signature is awaited on the first.
    for key in ("p0", "p1"):
        through_preparation(demo, demo.acts[key])
    last_month = timezone.now().replace(hour=19, minute=0, second=0, microsecond=0) - dt.timedelta(
        days=30
    )
    demo.seances["past"] = hold_seance(demo, when=last_month, keys=["p0", "p1"], close=True)
    workflow.start_circuit(act=demo.acts["p0"], actor=demo.users["redacteur"])
    # Next séance: two projects validated by their circuit on the agenda; one draft left.
    through_preparation(demo, demo.acts["p2"])
    through_preparation(
        demo,
        demo.acts["p3"],
        rejection="Le montant total n'est pas chiffré : précisez l'incidence budgétaire.",
    )
    next_month = timezone.now().replace(hour=19, minute=0, second=0, microsecond=0) + dt.timedelta(
        days=12
    )
    demo.seances["next"] = hold_seance(demo, when=next_month, keys=["p2", "p3"], close=False)
    load_parapheur(demo)
    from exports.pes.demo import load_pes_demo  # the treasury flows build on this commune

    load_pes_demo(demo)


#: Projects showing every state of a circuit: (key, type, objet, matière, state).
PARAPHEUR_PROJECTS = [
    (
        "waiting_dgs",
        ActType.DELIBERATION,
        "Convention de mise à disposition de la salle polyvalente à l'association des aînés",
        "3.3",
        "in_circuit",
    ),
    (
        "waiting_adjointe",
        ActType.DELIBERATION,
        "Garantie d'emprunt accordée à l'office public de l'habitat pour la résidence des Tilleuls",
        "7.3",
        "second_step",
    ),
    (
        "returned",
        ActType.DELIBERATION,
        "Tarifs de la piscine municipale pour la saison 2026-2027",
        "7.1",
        "returned",
    ),
    (
        "validated",
        ActType.DELIBERATION,
        "Adhésion au groupement de commandes pour l'achat d'électricité",
        "1.1",
        "validated",
    ),
    (
        "recalled",
        ActType.DELIBERATION,
        "Dénomination de la place de la Fontaine",
        "9.1",
        "recalled",
    ),
    (
        "arrete_signature",
        ActType.ARRETE,
        "Arrêté portant institution d'une régie de recettes pour les droits de place du marché",
        "7.10",
        "second_step",
    ),
    (
        "arrete_visa",
        ActType.ARRETE,
        "Arrêté portant autorisation temporaire d'occupation du domaine public, place du Marché",
        "3.5",
        "in_circuit",
    ),
]


def load_parapheur(demo: Demo) -> None:
    """Projects in every state of a circuit: waiting at each step (an arrêté waits for the
    Maire's signature, which the adjointe may give by delegation), returned with a reason,
    validated, recalled."""
    clerk, users = demo.users["redacteur"], demo.users
    for key, act_type, objet, code, target in PARAPHEUR_PROJECTS:
        act = services.create_project(
            collectivite=demo.collectivite,
            actor=clerk,
            act_type=act_type,
            objet=objet,
            matiere=_matiere(demo.collectivite, code),
            assembly=demo.council if act_type == ActType.DELIBERATION else None,
            articles=["Le projet est présenté pour décision."],
        )
        demo.acts[key] = act
        if target == "validated":
            through_preparation(demo, act)
            continue
        run = workflow.start_circuit(act=act, actor=clerk)
        steps = list(run.steps.order_by("position"))
        if target == "recalled":
            workflow.recall(
                run=run,
                actor=clerk,
                reason="Le nom doit d'abord être soumis au conseil de quartier.",
            )
        elif target in ("second_step", "returned"):
            workflow.approve_step(
                step_run=steps[0], actor=users["valideur"], comment="Visa favorable."
            )
            if target == "returned":
                workflow.reject_step(
                    step_run=steps[1],
                    actor=users["adjointe"],
                    reason="Joindre le comparatif des tarifs des communes voisines.",
                )
