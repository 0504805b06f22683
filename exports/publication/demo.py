"""A published act in the demo: what a citizen finds on the portal after ``make run``.

``publish_adopted(keys=…)`` runs at the end of ``manage.py demo --pki`` (signing.demo
``load_demo_keys``). The demo's adopted deliberations that no signature circuit has taken yet
(the second act of last month's séance; the first one waits for the Maire's signature, for the
signer's inbox) are, through the services the pages use: sent into their signature circuit, signed by the
Maire and the secrétaire de séance with the demo PKI (served on its loopback port for the
duration), transmitted with the folder-drop connector (``DELIBRE_ACTES_DIR/<slug>/demo-tdt``,
left configured so that a clerk can try a transmission), acknowledged by a played prefecture and
published. Idempotent: an act a signature circuit has taken is left alone.
"""

from __future__ import annotations

import logging
from typing import Any

from deliberations.demo import no_email
from deliberations.enums import ActStatus, ActType
from deliberations.models import Act, Collectivite, User
from exports.actes.connectors import scope
from exports.enums import DocumentKind, DocumentStatus
from workflow import services as workflow
from workflow.enums import CircuitPhase, RunStatus, StepKind, StepStatus
from workflow.models import StepRun

from . import services as publication
from .scenario import deliver_through_folder

log = logging.getLogger(__name__)


def adopted_outside_circuits(collectivite: Collectivite) -> list[Act]:
    """Adopted deliberations no signature circuit has taken, oldest number first."""
    return list(
        Act.objects.filter(collectivite=collectivite, status=ActStatus.ADOPTED)
        .filter(act_type=ActType.DELIBERATION)
        .exclude(circuit_runs__phase=CircuitPhase.SIGNATURE)
        .order_by("number")
    )


def publish_adopted(*, keys: Any, collectivite: Collectivite, users: dict[str, User]) -> list[str]:
    """Sign, transmit, acknowledge and publish the adopted acts; returns their numbers.

    ``keys`` are the demo's signing keys (signing.demo.DemoKeys). Raises what the services
    raise: the demo command reports it.
    """
    from signing.pki import PkiServer, bind_loopback_socket

    acts = adopted_outside_circuits(collectivite)
    if not acts:
        return []
    try:
        sock = bind_loopback_socket(port=keys.pki.port)
    except OSError:  # ``make run`` already serves this PKI on its port
        sock = None
    server = PkiServer(keys.pki, sock=sock) if sock is not None else None
    # pyHanko logs the steps of its AdES point-in-time validation as warnings with tracebacks;
    # the validation report keeps them, the demo's console does not need them.
    pyhanko_log = logging.getLogger("pyhanko")
    level = pyhanko_log.level
    pyhanko_log.setLevel(logging.ERROR)
    try:
        return _publish(acts, keys=keys, server=server, collectivite=collectivite, users=users)
    finally:
        pyhanko_log.setLevel(level)


def _publish(
    acts: list[Act], *, keys: Any, server: Any, collectivite: Collectivite, users: dict[str, User]
) -> list[str]:
    from exports.services import render_document, request_document
    from signing import services as signing

    clerk, admin = users["redacteur"], users["admin"]
    with no_email():
        if server is not None:
            server.start()
        try:
            for act in acts:
                workflow.start_circuit(act=act, actor=clerk)
                document = request_document(kind=DocumentKind.ACT, target=act, actor=clerk)
                document = render_document(document_id=document.pk)
                if document.status != DocumentStatus.READY:
                    raise RuntimeError(f"{act.number} could not be rendered: {document.error}")
                for who in ("maire", "secretaire"):
                    step = StepRun.objects.get(
                        run__act=act,
                        run__status=RunStatus.ACTIVE,
                        status=StepStatus.ACTIVE,
                        kind=StepKind.SIGNATURE,
                    )
                    signing.sign_step(
                        step_run=step,
                        actor=users[who],
                        certificate=keys.certificates[who],
                        password=keys.password,
                    )
        finally:
            if server is not None:
                server.stop()
        own_root, _prefix = scope(collectivite)
        delivery = deliver_through_folder(
            collectivite=collectivite,
            clerk=clerk,
            admin=admin,
            acts=acts,
            folder=own_root / "demo-tdt",
        )
    published = []
    for act, _transmission in delivery.signed:
        publication.publish_act(act=act, actor=clerk)
        published.append(act.number)
    log.info("demo: published %s", ", ".join(published))
    return published
