"""What the treasury sends back: PES_ACQUIT (accepted or rejected, per bordereau) and
PES_Retour (kept as received), from an upload, the command line or the watched folder.

An acknowledgement is matched to the sent flow it answers: by the file name it echoes
(Enveloppe/NomFic), else by the bordereaux it names (domain, exercise, IdBord). Each bordereau
it names moves to acknowledged or rejected through its lifecycle, with Hélios' anomalies kept;
the flow's summary follows once none of its bordereaux waits any more.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.files import removed_on_error
from deliberations.models import Collectivite, User
from workflow.journal import record_event
from workflow.lifecycles import BordereauFlow, PesFlowFlow

from ..acquit import KIND_DOMAINS, AckElement, PesAcquit, read_pes_acquit, read_pes_retour
from ..connectors import default_folder
from ..enums import BordereauStatus, PesFlowStatus, ReturnSource
from ..exceptions import (
    PesDuplicateFile,
    PesError,
    PesFileRefused,
    PesNotConfigured,
    PesStateRefused,
)
from ..models import Bordereau, PesFlow, PesRetour
from ..models import PesAcquit as AcquitRow
from ._common import issue_dicts, lock_flow, require_finance, spooled, store_file
from .importing import import_flow

log = logging.getLogger("delibre.pes")

MAX_RETURN_BYTES = 50 * 1024 * 1024
#: Domains whose rejection without a bordereau number rejects the whole file.
GLOBAL_DOMAINS = {"0", "1", "2"}
SIGNATURE_DOMAIN = "3"


def _errors(element: AckElement) -> list[dict[str, Any]]:
    found = [{"code": e.code, "label": e.label, "message": e.message} for e in element.errors]
    for piece in element.pieces:
        found += [
            {"piece": piece.number, "code": e.code, "label": e.label, "message": e.message}
            for e in piece.errors
        ]
        for line in piece.lines:
            found += [
                {
                    "piece": piece.number,
                    "line": line.number,
                    "code": e.code,
                    "label": e.label,
                    "message": e.message,
                }
                for e in line.errors
            ]
    return found


def _element_dict(element: AckElement) -> dict[str, Any]:
    return {
        "domain": element.domain,
        "domain_label": element.domain_label,
        "accepted": element.accepted,
        "bordereau": element.bordereau_number,
        "exercice": element.exercice,
        "id_unique": element.id_unique,
        "errors": _errors(element),
    }


def _about(acquit: PesAcquit, row: Bordereau) -> list[AckElement]:
    """The elements of the acknowledgement about one bordereau (its domain, or its signature)."""
    exercice, number = str(row.exercice), str(row.id_bord)
    found = acquit.outcome_for(kind=row.kind, exercice=exercice, id_bord=number)
    found += [
        e
        for e in acquit.elements
        if e.domain == SIGNATURE_DOMAIN
        and e.bordereau_number == number
        and e.exercice in (None, exercice)
    ]
    return found


def _match(collectivite: Collectivite, acquit: PesAcquit) -> PesFlow | None:
    """The sent flow an acknowledgement answers (None when no flow fits)."""
    sent = PesFlow.objects.filter(collectivite=collectivite, status=PesFlowStatus.SENT).order_by(
        "-sent_at", "-pk"
    )
    name = (acquit.envelope.file_name or "").removesuffix(".xml")
    if name:
        by_name = sent.filter(Q(file_name=name) | Q(file_name=f"{name}.xml")).first()
        if by_name is not None:
            return by_name
    wanted = {
        (kind, e.exercice, e.bordereau_number)
        for e in acquit.elements
        for kind, domain in KIND_DOMAINS.items()
        if e.domain == domain and e.bordereau_number
    }
    best, best_count = None, 0
    for flow in sent.prefetch_related("bordereaux")[:200]:
        count = sum(
            (b.kind, str(b.exercice), str(b.id_bord)) in wanted for b in flow.bordereaux.all()
        )
        if count > best_count:
            best, best_count = flow, count
    return best


def _settle(flow: PesFlow, rows: list[Bordereau]) -> None:
    """Move the flow's summary once none of its bordereaux waits for an answer."""
    live = [r for r in rows if r.status != BordereauStatus.WITHDRAWN]
    if not live or any(r.status == BordereauStatus.SENT for r in live):
        return
    accepted = {r.status == BordereauStatus.ACKNOWLEDGED for r in live}
    transition = (
        "acknowledge"
        if accepted == {True}
        else "reject"
        if accepted == {False}
        else "acknowledge_partly"
    )
    PesFlowFlow(flow).run(transition)
    flow.save(update_fields=["status", "updated_at"])


def import_acquit(
    *,
    collectivite: Collectivite,
    actor: User,
    source: IO[bytes] | bytes | str | Path,
    name: str,
    flow: PesFlow | None = None,
    origin: str = ReturnSource.UPLOAD,
) -> AcquitRow:
    """Import a PES_ACQUIT, positive or negative, and record the outcome per bordereau.

    ``flow``: the sent flow it answers; found from the file otherwise. Who: the finance
    service, the ordonnateur, an administrator. Refused: not an acknowledgement, already
    imported, or no sent flow it answers (nothing changes). Side effects: the file kept; the
    bordereaux it names acknowledged or rejected (with Hélios' anomalies), the flow's summary;
    journal event ``pes.acquit.imported`` on the flow's chain.
    """
    require_finance(actor, collectivite)
    with spooled(source, limit=MAX_RETURN_BYTES) as (path, sha256, _size):
        acquit = read_pes_acquit(path)
        if AcquitRow.objects.filter(collectivite=collectivite, sha256=sha256).exists():
            raise PesDuplicateFile(_("This acknowledgement was already imported."))
        with transaction.atomic(), removed_on_error() as stored:
            target = flow if flow is not None else _match(collectivite, acquit)
            if target is None or target.collectivite_id != collectivite.pk:
                raise PesStateRefused(
                    _(
                        "No flow sent by this collectivité has the bordereaux this "
                        "acknowledgement is about."
                    )
                )
            target = lock_flow(target.pk)
            if target.status not in (
                PesFlowStatus.SENT,
                PesFlowStatus.ACKNOWLEDGED,
                PesFlowStatus.PARTLY_ACCEPTED,
                PesFlowStatus.REJECTED,
            ):
                raise PesStateRefused(
                    _("This flow has not been sent: an acknowledgement cannot answer it.")
                )
            now = timezone.now()
            rows = list(target.bordereaux.select_for_update().order_by("position"))
            global_rejection = any(
                e.domain in GLOBAL_DOMAINS and not e.accepted and not e.bordereau_number
                for e in acquit.elements
            )
            outcome = []
            for row in rows:
                elements = _about(acquit, row)
                if not elements and not global_rejection:
                    continue
                accepted = bool(elements) and all(e.accepted for e in elements)
                accepted = accepted and not global_rejection
                errors = [err for e in elements for err in _errors(e)]
                if global_rejection:
                    errors += [
                        err
                        for e in acquit.elements
                        if e.domain in GLOBAL_DOMAINS and not e.accepted
                        for err in _errors(e)
                    ]
                moved = False
                lifecycle = BordereauFlow(row)
                transition = "acknowledge" if accepted else "reject"
                if lifecycle.can(transition):
                    lifecycle.run(transition)
                    row.ack_accepted = accepted
                    row.ack_errors = errors
                    row.acknowledged_at = now
                    moved = True
                outcome.append(
                    {
                        "bordereau": row.pk,
                        "kind": row.kind,
                        "exercice": row.exercice,
                        "id_bord": row.id_bord,
                        "accepted": accepted,
                        "errors": len(errors),
                        "status": row.status,
                        "changed": moved,
                    }
                )
            Bordereau.objects.bulk_update(
                rows, ["status", "ack_accepted", "ack_errors", "acknowledged_at"]
            )
            if target.status == PesFlowStatus.SENT:
                _settle(target, rows)
            file_name = store_file(f"pes/{collectivite.pk}/returns", path)
            stored.append(file_name)
            row = AcquitRow.objects.create(
                collectivite=collectivite,
                flow=target,
                name=name[:255],
                file=file_name,
                sha256=sha256,
                accepted=acquit.accepted and not global_rejection,
                elements=[_element_dict(e) for e in acquit.elements],
                schema_issues=issue_dicts(acquit.schema_issues),
                source=origin,
                imported_by=actor,
                imported_at=now,
            )
            record_event(
                target,
                "pes.acquit.imported",
                actor=actor,
                data={
                    "flow": target.pk,
                    "acquit": row.pk,
                    "name": row.name,
                    "sha256": sha256,
                    "accepted": row.accepted,
                    "bordereaux": outcome,
                    "flow_status": target.status,
                },
            )
    return row


def import_retour(
    *,
    collectivite: Collectivite,
    actor: User,
    source: IO[bytes] | bytes | str | Path,
    name: str,
    origin: str = ReturnSource.UPLOAD,
) -> PesRetour:
    """Keep a PES_Retour (prise en charge, rejets, paiements) with its bordereaux summarised,
    tied to the flow whose bordereaux it names when there is one.

    Who: the finance service, the ordonnateur, an administrator. Side effects: the file kept;
    journal event ``pes.retour.imported`` on the flow's chain (or the collectivité's).
    """
    require_finance(actor, collectivite)
    with spooled(source, limit=MAX_RETURN_BYTES) as (path, sha256, _size):
        retour = read_pes_retour(path)
        if PesRetour.objects.filter(collectivite=collectivite, sha256=sha256).exists():
            raise PesDuplicateFile(_("This return was already imported."))
        summary = [
            {
                "domain": b.domain,
                "exercice": b.values.get("Exer"),
                "id_bord": b.values.get("IdBord"),
                "pieces": [{k: v for k, v in p.values.items() if v is not None} for p in b.pieces],
            }
            for b in retour.bordereaux
        ]
        numbers = {(s["exercice"], s["id_bord"]) for s in summary}
        flow = None
        for candidate in (
            PesFlow.objects.filter(collectivite=collectivite)
            .exclude(status__in=[PesFlowStatus.WITHDRAWN])
            .prefetch_related("bordereaux")
            .order_by("-created_at")[:200]
        ):
            if any(
                (str(b.exercice), str(b.id_bord)) in numbers for b in candidate.bordereaux.all()
            ):
                flow = candidate
                break
        with transaction.atomic(), removed_on_error() as stored:
            file_name = store_file(f"pes/{collectivite.pk}/returns", path)
            stored.append(file_name)
            row = PesRetour.objects.create(
                collectivite=collectivite,
                flow=flow,
                name=name[:255],
                file=file_name,
                sha256=sha256,
                bordereaux=summary,
                schema_issues=issue_dicts(retour.schema_issues),
                source=origin,
                imported_by=actor,
                imported_at=timezone.now(),
            )
            record_event(
                flow if flow is not None else collectivite,
                "pes.retour.imported",
                actor=actor,
                data={
                    "retour": row.pk,
                    "name": row.name,
                    "sha256": sha256,
                    "flow": flow and flow.pk,
                },
            )
    return row


# --- the watched folder ----------------------------------------------------------------------


@dataclass
class WatchReport:
    imported: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)


def inbox_folder_of(collectivite: Collectivite) -> Path:
    from .sending import settings_of

    chosen = settings_of(collectivite).inbox_folder
    return Path(chosen) if chosen else default_folder("inbox", collectivite.slug)


def _kind_of(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(8192)
    for kind in ("PES_ACQUIT", "PES_Retour", "PES_Aller"):
        if f":{kind}".encode() in head or f"<{kind}".encode() in head:
            return kind
    return ""


def _explain(error: PesError) -> str:
    lines = [str(error.message)]
    for issue in getattr(error, "issues", []) or []:
        lines.append(str(issue))
    return "\n".join(lines) + "\n"


def watch_folder(
    *,
    collectivite: Collectivite,
    actor: User | None = None,
    folder: Path | None = None,
    min_age_seconds: float = 5.0,
) -> WatchReport:
    """Import every new file of the collectivité's incoming folder, once: PES_Aller flows from
    the finance software, PES_ACQUIT and PES_Retour from the platform. Each file is moved to
    ``processed/`` once imported (or found already imported), or to ``rejected/`` with a
    ``.errors.txt`` listing its problems; files younger than ``min_age_seconds`` may still be
    being written and wait for the next pass.

    ``actor`` defaults to the person named in the exchange settings. Side effects: those of the
    imports; files moved.
    """
    import time

    from .sending import settings_of

    actor = actor or settings_of(collectivite).inbox_user
    if actor is None:
        raise PesNotConfigured(
            _("Name the person the watched folder's imports are made for (exchange settings).")
        )
    require_finance(actor, collectivite)
    folder = folder or inbox_folder_of(collectivite)
    report = WatchReport()
    if not folder.is_dir():
        return report
    processed, rejected = folder / "processed", folder / "rejected"
    now = time.time()
    files = sorted(
        (p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")),
        key=lambda p: (p.stat().st_mtime, p.name),
    )
    for path in files:
        if now - path.stat().st_mtime < min_age_seconds:
            continue
        kind = _kind_of(path)
        try:
            if kind == "PES_Aller":
                import_flow(collectivite=collectivite, actor=actor, source=path, name=path.name)
            elif kind == "PES_ACQUIT":
                import_acquit(
                    collectivite=collectivite,
                    actor=actor,
                    source=path,
                    name=path.name,
                    origin=ReturnSource.FOLDER,
                )
            elif kind == "PES_Retour":
                import_retour(
                    collectivite=collectivite,
                    actor=actor,
                    source=path,
                    name=path.name,
                    origin=ReturnSource.FOLDER,
                )
            else:
                raise PesFileRefused(
                    _("This file is neither a PES_Aller, a PES_ACQUIT nor a PES_Retour.")
                )
        except PesDuplicateFile:
            _move(path, processed)
            report.imported.append(path.name)
        except PesError as exc:
            target = _move(path, rejected)
            target.with_name(target.name + ".errors.txt").write_text(_explain(exc))
            report.rejected.append((path.name, str(exc.message)))
            log.info("PES file %s rejected: %s", path.name, exc.message)
        else:
            _move(path, processed)
            report.imported.append(path.name)
    return report


def _move(path: Path, folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    if target.exists():
        target = folder / f"{path.stem}-{timezone.now():%Y%m%d%H%M%S%f}{path.suffix}"
    shutil.move(str(path), target)
    return target
