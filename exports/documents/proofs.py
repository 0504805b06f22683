"""The proof sheet (bordereau de signature): a folder's circuit, every decision, and the audit
journal hash that anchors it (schema ``delibre.proof/1``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from .acts import signatures_context
from .context import Customisation, common_context, format_datetime, opt, parse_datetime, req
from .exceptions import InvalidSnapshot
from .renderer import Prepared

_HEX_RE = re.compile(r"^[0-9a-f]{64}$")


def _action_label(action: str) -> str:
    labels = {
        "approved": _("Approved (visa)"),
        "rejected": _("Rejected"),
        "signed": _("Signed"),
        "sealed": _("Sealed"),
        "returned": _("Returned to the drafter"),
        "commented": _("Comment"),
        "started": _("Circuit started"),
        "skipped": _("Step skipped"),
    }
    if action not in labels:
        raise InvalidSnapshot(field="snapshot.circuit.steps.decisions.action")
    return labels[action]


def _step_kind(kind: str) -> str:
    labels = {"visa": _("Visa"), "signature": _("Signature"), "seal": _("Server seal")}
    if kind not in labels:
        raise InvalidSnapshot(field="snapshot.circuit.steps.kind")
    return labels[kind]


def build_proof(
    snapshot: Mapping[str, Any], files: Mapping[str, bytes], custom: Customisation
) -> Prepared:
    folder = req(snapshot, "folder", "snapshot", dict)
    number = opt(folder, "number", "snapshot.folder", str, "")
    objet = req(folder, "objet", "snapshot.folder")
    title = _("Signature proof sheet — %(reference)s") % {"reference": number or objet[:80]}
    context = common_context(snapshot, files, custom, title=title)
    circuit = req(snapshot, "circuit", "snapshot", dict)
    steps = []
    for index, step in enumerate(req(circuit, "steps", "snapshot.circuit", list)):
        here = f"snapshot.circuit.steps[{index}]"
        mode = opt(step, "mode", here, str, "one")
        decisions = []
        for position, decision in enumerate(opt(step, "decisions", here, list, [])):
            there = f"{here}.decisions[{position}]"
            decisions.append(
                {
                    "actor": req(decision, "actor", there),
                    "on_behalf_of": opt(decision, "on_behalf_of", there, str, ""),
                    "action": _action_label(req(decision, "action", there)),
                    "at": format_datetime(
                        parse_datetime(req(decision, "at", there), f"{there}.at")
                    ),
                    "comment": opt(decision, "comment", there, str, ""),
                }
            )
        steps.append(
            {
                "position": opt(step, "position", here, int, index + 1),
                "kind": _step_kind(req(step, "kind", here)),
                "mode": _("any one of") if mode == "one" else _("each of"),
                "assignees": ", ".join(opt(step, "assignees", here, list, [])),
                "decisions": decisions,
            }
        )
    journal = req(snapshot, "journal", "snapshot", dict)
    last_hash = req(journal, "last_event_hash", "snapshot.journal")
    if not _HEX_RE.match(last_hash):
        raise InvalidSnapshot(field="snapshot.journal.last_event_hash")
    document = opt(folder, "document", "snapshot.folder", dict, {})
    started = opt(circuit, "started_at", "snapshot.circuit")
    completed = opt(circuit, "completed_at", "snapshot.circuit")
    context.update(
        {
            "folder": {
                "number": number,
                "objet": objet,
                "type_label": opt(folder, "type_label", "snapshot.folder", str, ""),
                "document_name": opt(document, "filename", "snapshot.folder.document", str, ""),
                "document_sha256": opt(document, "sha256", "snapshot.folder.document", str, ""),
            },
            "circuit": {
                "name": req(circuit, "name", "snapshot.circuit"),
                "status": opt(circuit, "status_label", "snapshot.circuit", str, ""),
                "started_at": format_datetime(
                    parse_datetime(started, "snapshot.circuit.started_at")
                )
                if started
                else "",
                "completed_at": format_datetime(
                    parse_datetime(completed, "snapshot.circuit.completed_at")
                )
                if completed
                else "",
                "steps": steps,
            },
            "journal": {
                "chain": req(journal, "chain", "snapshot.journal"),
                "seq": opt(journal, "last_event_seq", "snapshot.journal", int),
                "hash": last_hash,
                "at": format_datetime(
                    parse_datetime(
                        req(journal, "last_event_at", "snapshot.journal"),
                        "snapshot.journal.last_event_at",
                    )
                ),
            },
            "signatures": signatures_context(
                opt(snapshot, "signatures", "snapshot", list, []), "snapshot.signatures"
            ),
        }
    )
    return Prepared(context=context, family="proof", title=title, header_text=title)
