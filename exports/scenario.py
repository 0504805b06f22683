"""The documents phase of the scenario (deliberations/scenario.py): acts, proofs, séance files.

``write_documents(sc)`` is called by ``run_scenario`` once the séance is played. It requests
every document through the services the pages use, renders them in-process (it does not wait
for a worker) and writes:

- ``acts/<number>.pdf`` and ``acts/<number>-preuve.pdf`` for each numbered act;
- ``sittings/<YYYY-MM-DD>/``: ``convocations/convocation-<member>.pdf`` (one per member in
  office), ``ordre-du-jour.pdf``, ``note-de-synthese.pdf``, ``proces-verbal.pdf``,
  ``liste-des-deliberations.pdf`` and ``dossier-de-seance.pdf``.
"""

from __future__ import annotations

from typing import Any

from django.utils.text import slugify

from core.files import read_bytes
from deliberations.selectors import seance_day

from . import services
from .enums import DocumentKind, DocumentStatus
from .models import RenderedDocument

SITTING_FILES = {
    DocumentKind.AGENDA: "ordre-du-jour.pdf",
    DocumentKind.SYNTHESIS: "note-de-synthese.pdf",
    DocumentKind.MINUTES: "proces-verbal.pdf",
    DocumentKind.DELIBERATION_LIST: "liste-des-deliberations.pdf",
    DocumentKind.PACK: "dossier-de-seance.pdf",
}


def _ready(document: RenderedDocument) -> RenderedDocument:
    document = services.render_document(document_id=document.pk)
    if document.status != DocumentStatus.READY:
        raise RuntimeError(f"{document} could not be rendered: {document.error}")
    return document


def write_documents(sc: Any) -> list[str]:
    """Render and write the scenario's documents; return the relative paths written."""
    demo, seance = sc.demo, sc.seance
    assert demo is not None and seance is not None, "play the séance first"
    clerk = demo.users["redacteur"]
    written: list[str] = []

    def write(relative: str, document: RenderedDocument) -> None:
        sc.write(relative, read_bytes(_ready(document).file.name or ""))
        written.append(relative)

    acts = [item.act for item in seance.items.select_related("act").order_by("position")]
    for act in acts:
        if not act.number:
            continue
        write(
            f"acts/{act.number}.pdf",
            services.request_document(kind=DocumentKind.ACT, target=act, actor=clerk),
        )
        write(
            f"acts/{act.number}-preuve.pdf",
            services.request_document(kind=DocumentKind.PROOF, target=act, actor=clerk),
        )

    folder = f"sittings/{seance_day(seance):%Y-%m-%d}"
    documents = services.request_seance_documents(seance=seance, actor=clerk)
    for document in documents:
        if document.kind == DocumentKind.CONVOCATION:
            assert document.recipient is not None
            member = slugify(document.recipient.official.full_name)
            write(f"{folder}/convocations/convocation-{member}.pdf", document)
        else:
            write(f"{folder}/{SITTING_FILES[DocumentKind(document.kind)]}", document)
    sc.step(
        f"{len(written)} documents rendered: {sum(1 for a in acts if a.number)} acts with their "
        "proof sheets, convocations, agenda, explanatory note, minutes, list, séance pack"
    )
    return written
