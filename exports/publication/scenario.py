"""The prefecture and publication phase of the scenario (deliberations/scenario.py).

``transmit_and_publish(sc)`` is meant to run after the acts are signed (signing's
``sign_acts(sc)``), in run_scenario's transaction. Through the services the pages use, it:

1. configures the folder-drop connector (a temporary drop folder and returns folder);
2. for each signed act (the séance's deliberations, the arrêté): prepares the transmission,
   sends it (the archive lands in the drop folder, written once, atomically) and writes the
   archive to ``actes/<archive name>``;
3. plays the prefecture: for each archive, an ARActe built from the archive itself (as the
   stand-in S2LOW does), wrapped in a prefecture package, put in the returns folder and imported
   by polling (``actes/retours/<name>``): the acts become acknowledged;
4. publishes the acts (not the confidential ones) and the séance's list of deliberations and
   procès-verbal;
5. writes ``opendata/deliberations.csv`` (SCDL, validated) and ``opendata/deliberations.json``.

Expectation: acts that are not signed (deliberations only adopted) and acts decided after today
(a séance played in the future) are skipped and listed in the scenario's steps: nothing is ever
sent or published unsigned, nor before its decision.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils import timezone
from lxml import etree

from core.files import read_bytes
from deliberations.enums import ActStatus, SeanceStatus
from deliberations.models import Act
from exports.actes import services as actes
from exports.actes.archive import read_tar, write_tar_gz
from exports.actes.builder import acte_element, new_root, serialize, sub
from exports.actes.codes import ACTES_NS, INSEE_NS, NSMAP, nature_abbreviation
from exports.actes.connectors import acte_from_archive, scope
from exports.actes.enums import TdtConnector, TransmissionStatus
from exports.actes.models import Transmission
from exports.enums import DocumentKind, DocumentStatus
from exports.models import RenderedDocument

from . import opendata
from . import services as publication
from .enums import SeanceDocument

_DOCUMENTS = {
    SeanceDocument.DELIBERATION_LIST: DocumentKind.DELIBERATION_LIST,
    SeanceDocument.MINUTES: DocumentKind.MINUTES,
}


def aracte_package(
    transmission: Transmission, *, received_on: dt.date, classification_date: dt.date
) -> tuple[str, bytes]:
    """The prefecture's acknowledgement of a transmission, as a package (name, tar.gz bytes).

    Built from the archive itself, like the stand-in S2LOW builds its ARActe: the IDActe, the
    reception date, the echo of the act (ActeRecu) and the current classification date.
    """
    collectivite = transmission.collectivite
    archive = read_bytes(transmission.archive.name or "")
    acte = acte_from_archive(archive)
    names = [name for name, _content in read_tar(content=archive)[2:]]
    id_acte = (
        f"{collectivite.departement}-{collectivite.siren}-{acte.decision_date:%Y%m%d}-"
        f"{acte.number}-{nature_abbreviation(acte.nature)}"
    )
    root = new_root("ARActe", IDActe=id_acte, DateReception=received_on.isoformat())
    root.append(acte_element("ActeRecu", acte, objet=acte.objet, names=names))
    sub(root, "ClassificationDateVersionEnCours", classification_date.isoformat())
    message_name = f"{id_acte}-1-2_1.xml"
    envelope = etree.Element(f"{{{ACTES_NS}}}EnveloppeMISILLCL", nsmap=NSMAP)
    sub(sub(envelope, "Emetteur"), "IDPref", Departement=collectivite.departement)
    sub(sub(sub(envelope, "FormulairesEnvoyes"), "Formulaire"), "NomFichier", message_name)
    sub(envelope, "Destinataire").set(f"{{{INSEE_NS}}}SIREN", collectivite.siren)
    stem = f"TACT--PREF{collectivite.departement}-{collectivite.siren}-{received_on:%Y%m%d}-{transmission.pk}"
    members = [(f"{stem}.xml", serialize(envelope)), (message_name, serialize(root))]
    return f"{stem}.tar.gz", write_tar_gz(members=members, mtime=0)


def _ready(kind: DocumentKind, seance: Any, actor: Any) -> RenderedDocument | None:
    from exports import services as documents

    found = (
        RenderedDocument.objects.filter(seance=seance, kind=kind, status=DocumentStatus.READY)
        .order_by("-version")
        .first()
    )
    if found is not None:
        return found
    requested = documents.request_document(kind=kind, target=seance, actor=actor)
    rendered = documents.render_document(document_id=requested.pk)
    return rendered if rendered.status == DocumentStatus.READY else None


@dataclass
class Delivery:
    """What ``deliver_through_folder`` sent and what the prefecture answered."""

    signed: list[tuple[Act, Transmission]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    #: (archive name, bytes) of each archive dropped, then of each ARActe package returned.
    archives: list[tuple[str, bytes]] = field(default_factory=list)
    returns: list[tuple[str, bytes]] = field(default_factory=list)
    imported: int = 0


def deliver_through_folder(
    *, collectivite: Any, clerk: Any, admin: Any, acts: list[Act], folder: Path
) -> Delivery:
    """Send the signed ``acts`` with the folder-drop connector in ``folder`` (``depot/`` and
    ``retours/``, created) and play the prefecture: an ARActe for each archive, imported by
    polling. Acts not signed or decided after today are skipped. Through the services the pages
    use; leaves the connector configured on ``folder``.
    """
    drop, returns = folder / "depot", folder / "retours"
    drop.mkdir(parents=True, exist_ok=True)
    returns.mkdir(exist_ok=True)
    actes.update_tdt_settings(
        collectivite=collectivite,
        actor=admin,
        connector=TdtConnector.FOLDER,
        folder_path=str(drop),
        return_folder_path=str(returns),
        # The demo's addresses end in .example, longer than the ACTES e-mail pattern allows.
        return_emails=["actes@saint-exemple.test"],
        referent_name="Service des assemblées",
    )
    delivery = Delivery()
    today = timezone.localdate()
    for act in acts:
        act = Act.objects.get(pk=act.pk)
        if act.status != ActStatus.SIGNED:
            if act.number:
                delivery.skipped.append(f"{act.number} ({act.status})")
            continue
        if act.decision_date is not None and act.decision_date > today:
            # The prefecture refuses a decision dated in the future (and it is not public
            # yet): a séance played ahead of today keeps its acts here.
            delivery.skipped.append(f"{act.number} (decided on {act.decision_date:%Y-%m-%d})")
            continue
        transmission = actes.prepare_transmission(act=act, actor=clerk)
        actes.transmit(transmission=transmission, actor=clerk)
        # The callers may hold one transaction: deliver now instead of after the commit (the
        # queued task then finds the transmission sent and does nothing).
        transmission = actes.send_transmission(transmission_id=transmission.pk).transmission
        assert transmission.status == TransmissionStatus.SENT, transmission.last_error
        content = read_bytes(transmission.archive.name or "")
        assert (drop / transmission.archive_name).read_bytes() == content
        delivery.archives.append((transmission.archive_name, content))
        delivery.signed.append((act, transmission))
    classification = collectivite.classification_versions.get(is_current=True)
    for _act, transmission in delivery.signed:
        name, package = aracte_package(
            transmission, received_on=today, classification_date=classification.version_date
        )
        (returns / name).write_bytes(package)
        delivery.returns.append((name, package))
    report = actes.poll_collectivite(collectivite=collectivite)
    assert not report.errors, report.errors
    delivery.imported = report.imported
    return delivery


def transmit_and_publish(sc: Any) -> list[str]:
    """Transmit, acknowledge and publish the scenario's signed acts; write the archives and the
    open data. Returns the relative paths written (see the module docstring)."""
    demo, seance = sc.demo, sc.seance
    assert demo is not None and seance is not None, "play the séance first"
    collectivite = demo.collectivite
    clerk, admin = demo.users["redacteur"], demo.users["admin"]
    written: list[str] = []
    own_root, _prefix = scope(collectivite)  # the settings may only name the collectivité's own
    own_root.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="scenario-tdt-", dir=own_root))
    try:
        candidates = [item.act for item in seance.items.select_related("act").order_by("position")]
        candidates += [act for key, act in sorted(demo.acts.items()) if key == "arrete"]
        delivery = deliver_through_folder(
            collectivite=collectivite, clerk=clerk, admin=admin, acts=candidates, folder=workdir
        )
        signed, skipped = delivery.signed, delivery.skipped
        for name, content in delivery.archives:
            sc.write(f"actes/{name}", content)
            written.append(f"actes/{name}")
        for name, package in delivery.returns:
            sc.write(f"actes/retours/{name}", package)
            written.append(f"actes/retours/{name}")
        published = []
        for act, _transmission in signed:
            act = Act.objects.get(pk=act.pk)
            if act.confidential:
                continue
            publication.publish_act(act=act, actor=clerk)
            published.append(act.number)
        seance_documents = []
        seance.refresh_from_db()
        if seance.status == SeanceStatus.CLOSED:
            for kind, document_kind in _DOCUMENTS.items():
                if _ready(document_kind, seance, clerk) is not None:
                    publication.publish_seance_document(seance=seance, kind=kind, actor=clerk)
                    seance_documents.append(str(kind.label))
        csv = opendata.export_csv([collectivite])
        sc.write("opendata/deliberations.csv", csv)
        sc.write("opendata/deliberations.json", opendata.export_json(collectivite))
        written += ["opendata/deliberations.csv", "opendata/deliberations.json"]
        rows = csv.count(b"\n") - 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    sc.step(
        f"{len(signed)} signed acts transmitted through the folder drop and acknowledged "
        f"({delivery.imported} ARActe imported); published: {', '.join(published) or 'none'}; "
        f"séance documents online: {', '.join(seance_documents) or 'none'}; open data: "
        f"{rows} deliberations" + (f"; skipped: {', '.join(skipped)}" if skipped else "")
    )
    return written
