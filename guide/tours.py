"""Guided tours: one per role, walking through that role's daily task on the demo data.

A step names a page (a URL name, or a function finding the object of the demo commune the step
shows: the next séance, a folder waiting in the inbox…), a CSS selector of the element to point
at on that page (the first match of a selector list), and a French text. static/js/tour.js
fetches a tour as JSON (guide.views.tour) and runs it page after page.

A step whose page cannot be found for the user (no séance planned, nothing in the inbox) is left
out of the tour rather than shown on the wrong page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse

from deliberations.enums import Role

#: The order in which a user holding several roles sees the tours (the first starts by itself).
ROLE_ORDER: tuple[str, ...] = (
    Role.CLERK,
    Role.VALIDATOR,
    Role.SIGNER,
    Role.SECRETARY,
    Role.ORDONNATEUR,
    Role.TREASURY,
    Role.ADMIN,
)

#: French names of the roles (the guide and the tours are French content).
ROLE_TITLES: dict[str, str] = {
    Role.CLERK: "Rédacteur",
    Role.VALIDATOR: "Valideur",
    Role.SIGNER: "Élu signataire",
    Role.SECRETARY: "Secrétaire de séance",
    Role.ORDONNATEUR: "Ordonnateur",
    Role.TREASURY: "Trésorerie",
    Role.ADMIN: "Administrateur",
}

Locator = Callable[[Any, Any], str | None]


@dataclass(frozen=True)
class Step:
    #: A URL name without arguments, or a function (user, collectivité) -> path or None.
    page: str | Locator
    selector: str
    title: str
    text: str

    def path(self, user: Any, collectivite: Any) -> str | None:
        if callable(self.page):
            return self.page(user, collectivite)
        try:
            return reverse(self.page)
        except NoReverseMatch:
            return None


# Locators: the object of the user's current collectivité that a step shows -------------------


def _next_seance(user: Any, collectivite: Any) -> str | None:
    from deliberations.enums import SeanceStatus
    from deliberations.models import Seance

    if collectivite is None:
        return None
    seance = (
        Seance.objects.filter(assembly__collectivite=collectivite)
        .exclude(status=SeanceStatus.CLOSED)
        .order_by("date")
        .first()
    )
    return reverse("seance-detail", args=[seance.pk]) if seance else None


def _closed_seance(user: Any, collectivite: Any) -> str | None:
    from deliberations.enums import SeanceStatus
    from deliberations.models import Seance

    if collectivite is None:
        return None
    seance = (
        Seance.objects.filter(assembly__collectivite=collectivite, status=SeanceStatus.CLOSED)
        .order_by("-date")
        .first()
    )
    return reverse("seance-detail", args=[seance.pk]) if seance else None


def _seance_signatures(user: Any, collectivite: Any) -> str | None:
    path = _closed_seance(user, collectivite)
    if path is None:
        return None
    pk = int(path.rstrip("/").rsplit("/", 1)[1])
    return reverse("signing:seance", args=[pk])


def _returned_project(user: Any, collectivite: Any) -> str | None:
    from deliberations.enums import ActStatus
    from deliberations.models import Act

    if collectivite is None:
        return None
    act = (
        Act.objects.filter(collectivite=collectivite, status=ActStatus.RETURNED)
        .order_by("pk")
        .first()
    ) or Act.objects.filter(collectivite=collectivite, status=ActStatus.DRAFT).order_by(
        "pk"
    ).first()
    return reverse("act-detail", args=[act.pk]) if act else None


def _inbox_folder(user: Any, collectivite: Any) -> str | None:
    from workflow.selectors import inbox_for

    if collectivite is None:
        return None
    for item in inbox_for(user, collectivite_id=collectivite.pk):
        if item.act is not None:
            return reverse("act-detail", args=[item.act.pk])
    return None


def _pes_flow_to_sign(user: Any, collectivite: Any) -> str | None:
    from exports.pes.selectors import visible_flows
    from workflow.enums import PesFlowStatus

    if collectivite is None:
        return None
    flows = visible_flows(user, collectivite_id=collectivite.pk).order_by("-pk")
    flow = flows.filter(status=PesFlowStatus.IN_CIRCUIT).first() or flows.first()
    return reverse("pes-flow-detail", args=[flow.pk]) if flow else None


def _pes_flow_received(user: Any, collectivite: Any) -> str | None:
    from exports.pes.selectors import treasury_flows

    if collectivite is None:
        return None
    flow = treasury_flows(user, collectivite.pk).first()
    return reverse("pes-flow-detail", args=[flow.pk]) if flow else None


# The tours ----------------------------------------------------------------------------------

HEADER_HELP = Step(
    "home",
    "#guide-help",
    "L'aide de chaque écran",
    "Sur chaque écran, ce bouton « Aide » explique à quoi sert l'écran, ce qui se passe ensuite "
    "et les règles de droit derrière un refus. Vous pourrez y relancer cette visite.",
)

TOURS: dict[str, list[Step]] = {
    Role.CLERK: [
        Step(
            "home",
            "main h1",
            "Votre tableau de bord",
            "Chaque matin, commencez ici : vos brouillons, les projets renvoyés, les séances à "
            "préparer et les actes prêts à transmettre.",
        ),
        Step(
            "act-list",
            ".page-head .actions .button, main h1",
            "Rédiger un projet",
            "« Nouveau projet » crée un projet de délibération ou d'arrêté. Choisissez la "
            "matière de la classification : elle sera exigée par la préfecture.",
        ),
        Step(
            _returned_project,
            "#circuit, main h1",
            "Un projet renvoyé",
            "Ce projet a été renvoyé par un valideur : son motif est dans le circuit. Corrigez "
            "le projet, puis relancez le circuit depuis ce cadre.",
        ),
        Step(
            _next_seance,
            ".agenda, #h-agenda, main h1",
            "Préparer la séance",
            "Ajoutez les projets validés à l'ordre du jour, enregistrez l'envoi des convocations "
            "(5 jours francs dans les communes de 3 500 habitants et plus, 3 jours en dessous), "
            "puis faites l'appel : sans quorum, la séance ne peut pas s'ouvrir.",
        ),
        Step(
            "actes:desk",
            "main h1",
            "Transmettre à la préfecture",
            "Les actes signés se préparent ici pour le contrôle de légalité. L'accusé de "
            "réception revient par @ctes.",
        ),
        Step(
            "publication-staff:desk",
            "main h1",
            "Publier",
            "Un acte transmis et publié devient exécutoire. Il apparaît alors sur le portail "
            "public et dans les données ouvertes.",
        ),
        HEADER_HELP,
    ],
    Role.VALIDATOR: [
        Step(
            "inbox",
            ".table-wrap, main h1",
            "Votre boîte de réception",
            "Les projets qui attendent votre visa, ceux de votre bureau compris. Les dossiers en "
            "retard viennent d'abord.",
        ),
        Step(
            _inbox_folder,
            "#circuit, main h1",
            "Viser ou renvoyer",
            "Lisez le projet et ses annexes, puis donnez votre visa ou renvoyez-le au rédacteur "
            "avec un motif précis : il saura quoi corriger.",
        ),
        Step(
            "notifications",
            "main h1",
            "Vos notifications",
            "Les nouveaux dossiers et les relances arrivent ici et par courriel.",
        ),
        HEADER_HELP,
    ],
    Role.SIGNER: [
        Step(
            "inbox",
            ".table-wrap, main h1",
            "Ce qui attend votre signature",
            "Les actes à signer, y compris ceux qu'on vous a délégués : la colonne « pour le "
            "compte de » l'indique.",
        ),
        Step(
            _inbox_folder,
            "#signing, #circuit, main h1",
            "Signer un acte",
            "Relisez l'acte, puis signez avec votre certificat : le mot de passe est demandé à "
            "chaque fois et jamais conservé. La signature est vérifiée aussitôt.",
        ),
        Step(
            "signing:batch-new",
            "main h1",
            "Signer par lot",
            "Plusieurs actes à signer ? Signez-les en une fois ; un acte refusé n'empêche pas "
            "les autres.",
        ),
        Step(
            "delegations",
            "main h1",
            "Vos délégations",
            "Déléguez votre signature pendant une absence, pour des types d'actes et des "
            "matières précis : une signature hors de ce périmètre est refusée.",
        ),
        Step(
            "signing:certificates",
            "main h1",
            "Vos certificats",
            "Importez votre certificat et remplacez-le avant son expiration.",
        ),
        HEADER_HELP,
    ],
    Role.SECRETARY: [
        Step(
            _closed_seance,
            "main h1",
            "La séance passée",
            "Vous êtes secrétaire de séance : après la clôture, vous cosignez les délibérations "
            "et le procès-verbal avec le président.",
        ),
        Step(
            "inbox",
            ".table-wrap, main h1",
            "Les délibérations à cosigner",
            "Les délibérations adoptées arrivent ici après la signature du président.",
        ),
        Step(
            _seance_signatures,
            "main h1",
            "Signer le procès-verbal",
            "Le procès-verbal, arrêté à la séance suivante, est signé par le président et le "
            "secrétaire, puis publié dans la semaine.",
        ),
        HEADER_HELP,
    ],
    Role.ORDONNATEUR: [
        Step(
            "pes-flow-list",
            ".table-wrap, main h1",
            "Les flux comptables",
            "Les flux PES de mandats et de titres, importés du logiciel financier, avec leur "
            "état : en circuit, signé, envoyé, acquitté, rejeté.",
        ),
        Step(
            _pes_flow_to_sign,
            "main h1",
            "Un flux à signer",
            "Vérifiez les bordereaux, puis signez : la signature de l'ordonnateur est exigée "
            "par le comptable public sur chaque bordereau.",
        ),
        Step(
            "pes-returns",
            "main h1",
            "Les retours de la trésorerie",
            "Les acquits et les rejets : un rejet dit quel bordereau corriger.",
        ),
        HEADER_HELP,
    ],
    Role.TREASURY: [
        Step(
            "pes-treasury",
            "main h1",
            "Les flux reçus",
            "Les flux signés par l'ordonnateur arrivent ici. Vérifiez leurs signatures avant "
            "de les acquitter.",
        ),
        Step(
            _pes_flow_received,
            "main h1",
            "Vérifier et acquitter",
            "Le rapport de vérification contrôle chaque signature XAdES ; acquittez le flux ou "
            "rejetez-le avec un motif.",
        ),
        HEADER_HELP,
    ],
    Role.ADMIN: [
        Step(
            "settings",
            "main h1",
            "Paramétrer la collectivité",
            "Identité (la population fixe le délai de convocation), assemblées, élus et "
            "mandats, services, numérotation, classification, utilisateurs et rôles.",
        ),
        Step(
            "circuit-settings",
            "main h1",
            "Les circuits de validation",
            "Définissez les étapes de visa et de signature ; un circuit modifié ne change pas "
            "les dossiers en cours.",
        ),
        Step(
            "actes:settings",
            "main h1",
            "La télétransmission",
            "Identifiants @ctes et classification de la préfecture, à tenir à jour.",
        ),
        Step(
            "signing:settings",
            "main h1",
            "Les signatures",
            "Niveau de signature, horodatage, racines de confiance et cachet serveur.",
        ),
        Step(
            "training:list",
            "main h1",
            "Former les agents",
            "Créez un bac à sable de formation rempli des données de démonstration : rien n'en "
            "est jamais transmis.",
        ),
        HEADER_HELP,
    ],
}


def tour_roles(held: frozenset[str] | set[str], *, superuser: bool = False) -> list[str]:
    """The tours a user may take, in order: their roles' (all of them for a superuser)."""
    return [role for role in ROLE_ORDER if superuser or role in held]


def tour_payload(role: str, *, user: Any, collectivite: Any) -> dict[str, Any]:
    """The tour as tour.js reads it: the steps whose page exists for this user."""
    steps = []
    for step in TOURS[role]:
        path = step.path(user, collectivite)
        if path is None:
            continue
        steps.append(
            {"path": path, "selector": step.selector, "title": step.title, "text": step.text}
        )
    return {"role": role, "title": f"Visite guidée : {ROLE_TITLES[role]}", "steps": steps}
