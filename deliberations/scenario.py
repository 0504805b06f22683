"""The scenario: a whole séance played on fresh demo data through the services the UI uses.

``manage.py scenario --out DIR`` writes what it produced and a ``summary.json`` listing every act
(number, status) and every file with its SHA-256. Later capabilities add their phases (signed
PDFs in acts/, séance documents in sittings/, ACTES archives in actes/, PES flows in pes/, open
data in opendata/) by extending :class:`Scenario`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.simplepdf import text_pdf
from workflow import services as workflow
from workflow.journal import export_jsonl
from workflow.models import AuditEvent, CircuitRun

from . import services
from .demo import PROJECTS, Demo, build_collectivite, draft, no_email, through_preparation
from .enums import ActType, AttendanceStatus, BallotChoice, VoteMode, VoteResult
from .models import Act, Collectivite, Matiere, Seance


@dataclass
class Scenario:
    out: Path
    demo: Demo | None = None
    seance: Seance | None = None
    next_seance: Seance | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)

    def write(self, relative: str, content: bytes) -> Path:
        path = self.out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        self.files.append(
            {"path": relative, "sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}
        )
        return path

    def step(self, text: str) -> None:
        self.steps.append(text)


def _fresh_demo() -> Demo:
    serial = Collectivite.objects.count() + 1
    return build_collectivite(
        slug=f"scenario-{serial}",
        name=f"Commune de Saint-Exemple (scénario {serial})",
        siren_body=f"2{serial:07d}",
        usernames_suffix=f"-s{serial}",
    )


def play_seance(sc: Scenario) -> None:
    """Draft, validate, schedule, convene, hold and close a séance with every kind of vote."""
    demo = sc.demo = _fresh_demo()
    clerk = demo.users["redacteur"]
    for index, spec in enumerate(PROJECTS):
        draft(demo, spec, key=f"p{index}")
    sc.step(f"{len(PROJECTS)} projects drafted by {clerk.username}")
    annex = text_pdf(
        [
            [
                "Tableau des subventions aux associations 2026",
                "",
                "Comité des fêtes : 6 500 €",
                "Association sportive de Saint-Exemple : 12 000 €",
                "Harmonie municipale : 4 000 €",
                "Total : 48 500 €",
            ]
        ],
        title="Annexe - subventions 2026",
    )
    services.add_annex(
        act=demo.acts["p0"],
        actor=clerk,
        stream=io.BytesIO(annex),
        filename="subventions-2026.pdf",
        title="Tableau des subventions 2026",
    )
    play_circuits(sc)

    # The séance took place three days ago, so that its acts can be transmitted today (the
    # prefecture refuses decisions dated in the future).
    when = timezone.now().replace(hour=18, minute=30, second=0, microsecond=0) - dt.timedelta(
        days=3
    )
    seance = sc.seance = services.create_seance(
        collectivite=demo.collectivite,
        actor=clerk,
        assembly=demo.council,
        date=when,
        place="Salle du conseil municipal, Hôtel de ville",
        president=demo.mandates[0],
        secretary=demo.mandates[5],
    )
    items = [
        services.add_to_agenda(seance=seance, actor=clerk, act=demo.acts[f"p{i}"])
        for i in range(len(PROJECTS))
    ]
    services.convene(
        seance=seance,
        actor=clerk,
        convocation_date=timezone.localtime(when).date() - dt.timedelta(days=8),
    )
    m = demo.mandates
    entries = [services.AttendanceEntry(x.pk, AttendanceStatus.PRESENT) for x in m[:20]]
    entries += [
        services.AttendanceEntry(m[20].pk, AttendanceStatus.REMOTE),
        services.AttendanceEntry(m[21].pk, AttendanceStatus.PROXY, m[0].pk),
        services.AttendanceEntry(m[22].pk, AttendanceStatus.PROXY, m[23].pk),
        services.AttendanceEntry(m[23].pk, AttendanceStatus.PRESENT),
        services.AttendanceEntry(m[24].pk, AttendanceStatus.EXCUSED),
        services.AttendanceEntry(m[25].pk, AttendanceStatus.ABSENT),
        services.AttendanceEntry(m[26].pk, AttendanceStatus.ABSENT),
        services.AttendanceEntry(m[27].pk, AttendanceStatus.PROXY, m[1].pk),
        services.AttendanceEntry(m[28].pk, AttendanceStatus.ABSENT),
    ]
    services.record_roll_call(seance=seance, actor=clerk, entries=entries)
    services.open_seance(seance=seance, actor=clerk)
    sc.step("séance convened and opened: 22 present, 3 proxies")

    opposition = {x.pk: BallotChoice.AGAINST for x in (m[22], m[23])}
    opposition[m[19].pk] = BallotChoice.ABSTENTION
    services.record_vote(
        item=items[0],
        actor=clerk,
        mode=VoteMode.DETAIL,
        choices=opposition,
        default_choice=BallotChoice.FOR,
    )
    services.declare_interest(item=items[1], actor=clerk, mandate=m[9])
    services.record_movement(
        item=items[1], actor=clerk, mandate=m[25], status=AttendanceStatus.PRESENT
    )
    services.record_vote(
        item=items[1],
        actor=clerk,
        mode=VoteMode.TOTALS,
        counts={"for": 23, "against": 2, "abstention": 0, "not_voting": 0},
    )
    services.record_movement(
        item=items[2], actor=clerk, mandate=m[7], status=AttendanceStatus.PROXY, proxy_holder=m[8]
    )
    services.record_vote(
        item=items[2],
        actor=clerk,
        mode=VoteMode.TOTALS,
        secret=False,
        counts={"for": 13, "against": 13, "abstention": 0, "not_voting": 0},
        president_choice=BallotChoice.FOR,
    )
    services.record_vote(
        item=items[3], actor=clerk, mode=VoteMode.RESULT, result=VoteResult.ADOPTED
    )
    sc.next_seance = services.create_seance(
        collectivite=demo.collectivite,
        actor=clerk,
        assembly=demo.council,
        date=when + dt.timedelta(days=35),
        place="Salle du conseil municipal, Hôtel de ville",
        president=m[0],
        secretary=m[5],
    )
    services.postpone_item(
        item=items[4],
        actor=clerk,
        to_seance=sc.next_seance,
        reason="Avis du comité technique attendu",
    )
    services.close_seance(seance=seance, actor=clerk)
    sc.step(
        "4 items voted (per member, totals, tie decided by the president, result), 1 postponed; séance closed"
    )


def play_circuits(sc: Scenario) -> None:
    """Before the séance, every project goes through the two-visa preparation circuit (the DGS's
    desk, then the adjointe aux finances); the first is rejected once, fixed and sent again. An
    arrêté goes through its visa-then-signature circuit: rejected at the signature, fixed, sent
    again and numbered at its signature step, where it waits (signing.scenario signs it)."""
    demo = sc.demo
    assert demo is not None
    clerk, users = demo.users["redacteur"], demo.users
    first = demo.acts["p0"]
    run = workflow.start_circuit(act=first, actor=clerk)
    dgs_step, finances_step = run.steps.order_by("position")
    workflow.approve_step(step_run=dgs_step, actor=users["valideur"], comment="Visa favorable.")
    workflow.reject_step(
        step_run=finances_step,
        actor=users["adjointe"],
        reason="Préciser l'imputation budgétaire des subventions (chapitre et article).",
    )
    sc.step(
        "project 1 sent into “Préparation des délibérations”: visa of the DGS, "
        "rejected by the adjointe aux finances (imputation budgétaire missing)"
    )
    first = Act.objects.get(pk=first.pk)
    services.update_project(
        act=first,
        actor=clerk,
        revision=first.revision,
        budget_line="65-6574",
        considerants=[*first.considerants, "Considérant les crédits inscrits à l'article 6574 ;"],
    )
    for key in sorted(demo.acts):
        through_preparation(demo, demo.acts[key])
    runs = CircuitRun.objects.filter(act__collectivite=demo.collectivite)
    sc.step(
        f"project 1 fixed and sent again in a new run; {len(demo.acts)} projects validated by "
        f"the circuit ({runs.count()} runs, {runs.filter(status='returned').count()} returned)"
    )

    arrete = services.create_project(
        collectivite=demo.collectivite,
        actor=clerk,
        act_type=ActType.ARRETE,
        objet="Arrêté portant institution d'une régie de recettes pour les droits de place",
        matiere=Matiere.objects.get(
            version__collectivite=demo.collectivite, version__is_current=True, code="7.10"
        ),
        visas=[
            "Vu le code général des collectivités territoriales, notamment son article L. 2122-22 ;"
        ],
        articles=[
            "Il est institué une régie de recettes pour l'encaissement des droits de place du marché.",
        ],
    )
    run = workflow.start_circuit(act=arrete, actor=clerk)
    visa_step, signing_step = run.steps.order_by("position")
    workflow.approve_step(step_run=visa_step, actor=users["valideur"])
    workflow.reject_step(
        step_run=signing_step,
        actor=users["maire"],
        reason="Indiquer le montant maximal de l'encaisse du régisseur.",
    )
    arrete = Act.objects.get(pk=arrete.pk)
    arrete = services.update_project(
        act=arrete,
        actor=clerk,
        revision=arrete.revision,
        articles=[
            *arrete.articles,
            "Le montant maximal de l'encaisse que le régisseur est autorisé à conserver est fixé à 1 200 €.",
        ],
    )
    run = workflow.start_circuit(act=arrete, actor=clerk)
    workflow.approve_step(step_run=run.steps.get(position=1), actor=users["valideur"])
    arrete = Act.objects.get(pk=arrete.pk)
    demo.acts["arrete"] = arrete
    # Its signature (the adjointe for the Maire, by delegation) is applied by the signing
    # phase (signing.scenario.sign_acts) on its rendered document: a signature step is only
    # approved with a signature (docs/adr/0003).
    sc.step(
        f"arrêté through “Arrêtés du Maire” (visa then signature): rejected by the Maire, fixed, "
        f"sent again and numbered {arrete.number}; it waits for the Maire's signature"
    )


def write_summary(sc: Scenario) -> dict[str, Any]:
    demo = sc.demo
    assert demo is not None
    events = AuditEvent.objects.filter(collectivite=demo.collectivite).order_by("chain__key", "seq")
    journal = "".join(export_jsonl(events)).encode("utf-8")
    sc.write("journal.jsonl", journal)
    acts = Act.objects.filter(collectivite=demo.collectivite).order_by("pk")
    summary = {
        "collectivite": {
            "name": demo.collectivite.name,
            "siren": demo.collectivite.siren,
            "slug": demo.collectivite.slug,
        },
        "seance": {
            "id": sc.seance.pk,
            "date": sc.seance.date.isoformat(),
            "status": sc.seance.status,
        }
        if sc.seance
        else None,
        "acts": [
            {
                "id": a.pk,
                "number": a.number,
                "status": a.status,
                "objet": a.objet,
                "decision_date": a.decision_date.isoformat() if a.decision_date else None,
                "files": [
                    f for f in sc.files if f["path"].startswith(f"acts/{a.number}") and a.number
                ],
            }
            for a in acts
        ],
        "steps": sc.steps,
        "journal_events": events.count(),
        "files": sc.files,
    }
    content = json.dumps(summary, ensure_ascii=False, indent=2).encode("utf-8")
    (sc.out / "summary.json").write_bytes(content)
    return summary


def run_scenario(out: Path) -> dict[str, Any]:
    """Play the scenario in one transaction (all or nothing) and write its outputs to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    sc = Scenario(out=out)
    from exports.pes.scenario import play_pes
    from exports.publication.scenario import transmit_and_publish
    from exports.scenario import write_documents
    from signing.scenario import sign_acts

    with no_email(), transaction.atomic():
        play_seance(sc)
        play_pes(sc)
    write_documents(sc)
    sign_acts(sc)
    transmit_and_publish(sc)
    return write_summary(sc)
