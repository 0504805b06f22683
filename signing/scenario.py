"""The signing phase of the scenario (deliberations/scenario.py), after ``write_documents``.

``sign_acts(sc)`` gives the scenario's commune a demo PKI served on loopback for the duration
(trusted root, TSA, the élus' certificates), then, through the services the pages use:

- starts the signature circuit of every adopted deliberation and signs each one: the Maire
  (``Sig_President``, PAdES B-LT) then the secrétaire de séance (``Sig_Secretaire``, B-LTA:
  the step's own level);
- signs the arrêté waiting in its circuit: the adjointe, for the Maire by delegation;
- signs the procès-verbal: the president of the séance, then its secretary;

and writes, replacing the unsigned files: ``acts/<number>.pdf`` (the signed version) with
``acts/<number>.validation.json`` (its validation report) and ``acts/<number>-preuve.pdf`` (the
proof sheet, rendered again with the signatures); ``sittings/<date>/proces-verbal.pdf`` with
``proces-verbal.validation.json``; and ``signing/trust-roots.pem``, the demo root, so that the
files can be verified independently (``manage.py verify --trust-roots``, pdfsig).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from core.files import read_bytes
from deliberations.demo import no_email
from deliberations.enums import ActStatus, ActType
from deliberations.selectors import seance_day
from exports.enums import DocumentKind, DocumentStatus
from exports.models import RenderedDocument
from workflow import services as workflow
from workflow.enums import RunStatus, StepKind, StepStatus
from workflow.models import CircuitStep, StepRun

from . import services
from .demo import DEMO_CERTIFICATE_PASSWORD, configure_signing, make_pki
from .enums import Level
from .models import Signature
from .pki import PkiServer, bind_loopback_socket
from .selectors import current_version, latest_report

KEY_CACHE = Path(tempfile.gettempdir()) / "delibre-scenario-pki-keys"


def _replace(sc: Any, relative: str, content: bytes) -> None:
    """Write a file of the scenario, replacing an earlier one at the same path in the list."""
    sc.files[:] = [f for f in sc.files if f["path"] != relative]
    sc.write(relative, content)


def _write_version(sc: Any, stem: str, version: Signature) -> None:
    _replace(sc, f"{stem}.pdf", read_bytes(version.file.name or ""))
    report = latest_report(version)
    assert report is not None
    content = json.dumps(report.report, ensure_ascii=False, indent=2, sort_keys=True)
    _replace(sc, f"{stem}.validation.json", (content + "\n").encode())


def _rendered(document: RenderedDocument) -> RenderedDocument:
    from exports.services import render_document

    document = render_document(document_id=document.pk)
    if document.status != DocumentStatus.READY:
        raise RuntimeError(f"{document} could not be rendered: {document.error}")
    return document


def _waiting(act: Any, kind: str = StepKind.SIGNATURE) -> StepRun:
    return StepRun.objects.get(
        run__act=act, run__status=RunStatus.ACTIVE, status=StepStatus.ACTIVE, kind=kind
    )


def sign_acts(sc: Any, *, key_cache: Path | str | None = KEY_CACHE) -> list[Signature]:
    """Sign every act of the scenario and its procès-verbal; write the signed files.

    Call after ``write_documents(sc)`` (it renders the documents this phase signs and writes
    the unsigned files this phase replaces), before ``write_summary(sc)``.
    """
    from exports.services import request_document

    demo, seance = sc.demo, sc.seance
    assert demo is not None and seance is not None, "play the séance and write its documents first"
    users, clerk = demo.users, demo.users["redacteur"]
    password = DEMO_CERTIFICATE_PASSWORD
    sock = bind_loopback_socket()
    directory = Path(tempfile.mkdtemp(prefix="delibre-scenario-pki-"))
    pki = make_pki(
        directory=directory,
        collectivite=demo.collectivite.name,
        port=sock.getsockname()[1],
        password=password,
        key_cache=key_cache,
    )
    signed: list[Signature] = []
    with no_email(), PkiServer(pki, sock=sock):
        certificates = configure_signing(
            collectivite=demo.collectivite,
            admin=users["admin"],
            pki=pki,
            users=users,
            password=password,
            seal=False,
        )
        _replace(sc, "signing/trust-roots.pem", pki.trust_roots_path.read_bytes())
        # The secrétaire's signature closes the act: it gets the archive level.
        last = CircuitStep.objects.get(circuit=demo.circuits["signature"], position=2)
        services.set_step_policy(step=last, actor=users["admin"], level=Level.B_LTA)

        def sign(act: Any, who: str) -> Signature:
            version = services.sign_step(
                step_run=_waiting(act),
                actor=users[who],
                certificate=certificates[who],
                password=password,
            )
            signed.append(version)
            return version

        deliberations = [
            item.act
            for item in seance.items.select_related("act").order_by("position")
            if item.act.status == ActStatus.ADOPTED and item.act.act_type == ActType.DELIBERATION
        ]
        for act in deliberations:
            workflow.start_circuit(act=act, actor=clerk)
            sign(act, "maire")
            sign(act, "secretaire")
        arretes = [a for a in demo.acts.values() if a.act_type == ActType.ARRETE]
        for act in arretes:
            _rendered(request_document(kind=DocumentKind.ACT, target=act, actor=clerk))
            sign(act, "adjointe")
        for act in [*deliberations, *arretes]:
            act.refresh_from_db()
            document = RenderedDocument.objects.get(act=act, kind=DocumentKind.ACT, is_current=True)
            version = current_version(document)
            assert version is not None
            _write_version(sc, f"acts/{act.number}", version)
            proof = _rendered(request_document(kind=DocumentKind.PROOF, target=act, actor=clerk))
            _replace(sc, f"acts/{act.number}-preuve.pdf", read_bytes(proof.file.name or ""))
        minutes = RenderedDocument.objects.get(
            seance=seance, kind=DocumentKind.MINUTES, is_current=True
        )
        for who in ("maire", "secretaire"):
            version = services.sign_document(
                document=minutes,
                actor=users[who],
                certificate=certificates[who],
                password=password,
            )
            signed.append(version)
        assert version is not None
        folder = f"sittings/{seance_day(seance):%Y-%m-%d}"
        _write_version(sc, f"{folder}/proces-verbal", version)
    sc.step(
        f"{len(deliberations)} deliberations signed by the Maire (B-LT) and the secrétaire de "
        f"séance (B-LTA), {len(arretes)} arrêté signed by the adjointe for the Maire "
        f"(delegation), the procès-verbal signed by the president and the secretary: "
        f"{len(signed)} signatures, each validated (pyHanko, AdES) and written with its report"
    )
    return signed
