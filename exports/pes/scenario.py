"""The scenario's treasury phase: the subsidies voted in the séance are paid out.

``play_pes(sc)`` runs after the séance (deliberations.scenario.play_seance): the clerk records
the table of the subsidies deliberation, builds the PES flow, sends it into the PES circuit;
the finance desk gives its visa, the ordonnateur signs every bordereau; the flow is sent through
the folder drop, the treasury acknowledges it (a positive PES_ACQUIT) and verifies its
signatures. The signed flow is written to ``pes/<name>.xml`` and the acknowledgement next to it.

Wire it into ``run_scenario`` after ``play_seance(sc)`` (inside the same transaction). The
delivery task is run in place (the transaction commits at the end of the scenario); the task
queued after commit then finds the transmission sent and does nothing.
"""

from __future__ import annotations

import io
from typing import Any

from django.core.files.storage import default_storage

from deliberations.enums import ActStatus
from deliberations.models import Act
from workflow import services as workflow

from . import services
from .demo import configure_pes, demo_signer, make_acquit
from .enums import TransmissionStatus
from .models import PesSettings

#: The table of the subsidies deliberation (its annex lists them; total 48 500 €).
SUBSIDIES_CSV = (
    "Bénéficiaire;SIRET;IBAN;BIC;Montant;Nature;Fonction;Objet;Adresse;Code postal;Ville\n"
    "COMITE DES FETES;;{iban1};SOGEFRPPXXX;6 500,00;6574;024;Subvention 2026 - fêtes;"
    "2 place du Marché;44999;SAINT-EXEMPLE\n"
    "ASSOCIATION SPORTIVE;;{iban2};SOGEFRPPXXX;12 000,00;6574;40;Subvention 2026 - sport;"
    "Stade municipal;44999;SAINT-EXEMPLE\n"
    "HARMONIE MUNICIPALE;;{iban3};SOGEFRPPXXX;4 000,00;6574;311;Subvention 2026 - musique;"
    "1 rue des Arts;44999;SAINT-EXEMPLE\n"
    "FOYER RURAL;;{iban4};SOGEFRPPXXX;16 000,00;6574;025;Subvention 2026 - animation;"
    "5 route de la Gare;44999;SAINT-EXEMPLE\n"
    "CLUB DES AINES;;{iban5};SOGEFRPPXXX;10 000,00;6574;61;Subvention 2026 - aînés;"
    "8 rue des Tilleuls;44999;SAINT-EXEMPLE\n"
)


def subsidies_table() -> bytes:
    from .demo import demo_iban

    ibans = {f"iban{n}": demo_iban(500 + n)[0] for n in range(1, 6)}
    return SUBSIDIES_CSV.format(**ibans).encode("utf-8")


def _subsidies_act(demo: Any) -> Act:
    act = Act.objects.get(pk=demo.acts["p0"].pk)
    if act.status not in (ActStatus.ADOPTED, ActStatus.SIGNED, ActStatus.TRANSMITTED):
        raise RuntimeError(f"the subsidies deliberation is {act.status}, not adopted")
    return act


def play_pes(sc: Any) -> None:
    """Build, sign, send and acknowledge the flow paying out the subsidies (see the module
    docstring). Writes ``pes/<name>.xml`` and ``pes/<name>-ACQUIT.xml``."""
    demo = sc.demo
    users = demo.users
    clerk, valideur, ordonnateur = users["redacteur"], users["valideur"], users["ordonnateur"]
    configure_pes(demo)
    PesSettings.objects.filter(collectivite=demo.collectivite).update(
        drop_folder=str(sc.out / "pes" / "outbox")
    )
    act = _subsidies_act(demo)
    mandates = services.import_planned_mandates(act=act, actor=clerk, content=subsidies_table())
    flow = services.build_flow(act=act, actor=clerk)
    sc.step(
        f"subsidies deliberation {act.number}: {len(mandates)} mandats recorded; PES flow "
        f"{flow.file_name} built (bordereau {flow.bordereaux.get().id_bord}, "
        f"{flow.piece_count} pièces, {flow.total_ht} €, the deliberation attached)"
    )
    run = workflow.start_flow_circuit(flow=flow, actor=clerk)
    workflow.approve_step(
        step_run=run.steps.get(position=1), actor=valideur, comment="Imputations vérifiées."
    )
    flow = services.sign_flow(flow=flow, actor=ordonnateur, signer=demo_signer("Olivier GARNIER"))
    sc.step(
        f"flow through “{run.circuit_name}”: visa of the finance desk, signed by the ordonnateur"
    )
    transmission = services.send_flow(flow=flow, actor=clerk)
    transmission = services.deliver_transmission(transmission_id=transmission.pk)
    assert transmission.status == TransmissionStatus.SENT, transmission.last_error
    acquit = services.import_acquit(
        collectivite=demo.collectivite,
        actor=clerk,
        source=io.BytesIO(make_acquit(flow)),
        name=f"ACQUIT_{flow.file_name}.xml",
    )
    report = services.verify_for_treasury(flow=flow, actor=users["tresorerie"])
    flow.refresh_from_db()
    sc.step(
        f"flow sent to the drop folder, acknowledged by the treasury ({acquit.flow.status}); "
        f"signatures verified: {'valid' if report.valid else 'INVALID'}"
    )
    with default_storage.open(flow.current_file.name, "rb") as handle:
        sc.write(f"pes/{flow.file_name}.xml", handle.read())
    with default_storage.open(acquit.file.name, "rb") as handle:
        sc.write(f"pes/{flow.file_name}-ACQUIT.xml", handle.read())
