"""Snapshot builders: pure reads of the models into the JSON dicts of exports/documents/SNAPSHOTS.md.

:func:`build_inputs` gives everything :func:`exports.documents.render_pdf` needs for one document
except the files, which :func:`files_for` reads back from storage by their SHA-256 when the
document is rendered (or rendered again to prove it). The séance pack is assembled from stored
documents, so its inputs are made by exports.services.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation

from core.files import read_bytes
from deliberations.models import Act, Annex, Collectivite, Mandate, Seance

from ..enums import TEMPLATES, DocumentKind
from .acts import act_signature_fields, act_snapshot, proof_snapshot, verification_url
from .common import LANGUAGE, customisation_of, document_settings, logo_bytes
from .seances import (
    agenda_snapshot,
    convocation_snapshot,
    deliberation_list_snapshot,
    minutes_snapshot,
    pack_cover_snapshot,
    synthesis_snapshot,
)

__all__ = [
    "LANGUAGE",
    "DocumentInputs",
    "build_inputs",
    "customisation_for",
    "files_for",
    "pack_cover_snapshot",
    "verification_url",
]


@dataclass(frozen=True)
class DocumentInputs:
    """The inputs of one render: stored with the document so that it can be rendered again."""

    kind: DocumentKind
    template_name: str
    snapshot: dict[str, Any]
    customisation: dict[str, Any] = field(default_factory=dict)
    #: [{"name", "label"}], the empty signature fields to create.
    signature_fields: list[dict[str, str]] = field(default_factory=list)
    #: Acts: the signers given for some blocks (see act_snapshot), stored with the version.
    signers: dict[str, Any] = field(default_factory=dict)


def customisation_for(collectivite: Collectivite) -> dict[str, Any]:
    return customisation_of(document_settings(collectivite))


def build_inputs(
    kind: DocumentKind | str,
    *,
    act: Act | None = None,
    seance: Seance | None = None,
    recipient: Mandate | None = None,
    annex_mode: str = "appended",
    verification_token: str = "",
    act_document: Any = None,
    signers: Mapping[str, Mapping[str, str]] | None = None,
) -> DocumentInputs:
    """Snapshot, customisation and signature fields of one document (not the pack).

    Wording generated here (signature roles…) is French like the documents, whatever the
    language of the request.
    """
    kind = DocumentKind(kind)
    collectivite = act.collectivite if act is not None else seance.collectivite  # type: ignore[union-attr]
    with translation.override(LANGUAGE):
        if kind == DocumentKind.ACT:
            assert act is not None
            snapshot = act_snapshot(
                act,
                annex_mode=annex_mode,
                verification_token=verification_token,
                signers=signers,
            )
            fields = act_signature_fields(snapshot)
        elif kind == DocumentKind.PROOF:
            assert act is not None
            snapshot, fields = proof_snapshot(act, document=act_document), []
        else:
            assert seance is not None
            builders = {
                DocumentKind.AGENDA: agenda_snapshot,
                DocumentKind.SYNTHESIS: synthesis_snapshot,
                DocumentKind.MINUTES: minutes_snapshot,
                DocumentKind.DELIBERATION_LIST: deliberation_list_snapshot,
            }
            if kind == DocumentKind.CONVOCATION:
                assert recipient is not None
                snapshot = convocation_snapshot(seance, recipient)
            else:
                snapshot = builders[kind](seance)
            fields = [
                {"name": block["field"], "label": f"{block['role']} — {block['name']}"}
                for block in snapshot.get("signatures", [])
            ]
        return DocumentInputs(
            kind=kind,
            template_name=TEMPLATES[kind],
            snapshot=snapshot,
            customisation=customisation_for(collectivite),
            signature_fields=fields,
            signers={k: dict(v) for k, v in (signers or {}).items()},
        )


def files_for(
    snapshot: dict[str, Any], *, collectivite: Collectivite, act: Act | None = None
) -> dict[str, bytes]:
    """The files a snapshot names by SHA-256 (logo, annexes), read back from storage.

    A file that changed or disappeared since is simply missing: the renderer then refuses with
    ``MissingFile`` rather than print something else.
    """
    files: dict[str, bytes] = {}
    logo = (snapshot.get("collectivite") or {}).get("logo")
    if logo:
        data = logo_bytes(collectivite)
        if data is not None:
            files[hashlib.sha256(data).hexdigest()] = data
    wanted = {annex["sha256"] for annex in (snapshot.get("act") or {}).get("annexes", [])}
    if wanted and act is not None:
        for annex in Annex.objects.filter(act=act, sha256__in=wanted):
            try:
                files[annex.sha256] = read_bytes(annex.file.name or "")
            except OSError:
                continue
    return files
