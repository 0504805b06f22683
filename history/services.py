"""Importing a collectivité's history (docs/adr/0009-history-import.md, docs/guide/migration.md).

:func:`import_history` checks everything first (``history.checks``: every problem with its
file, line and column) and writes nothing unless there is no error; then it writes the whole
batch in **one transaction** — all or nothing. The acts go through the ordinary services and
lifecycle: ``deliberations.services.create_project`` (``act.created``) and ``add_annex``
(``act.annex.added``), then ``ActFlow.import_signed`` (draft → signed with the act's own number
and decision date, no counter consumed), ``transmit`` and ``acknowledge`` when the prefecture
acknowledged it, ``exports.publication.services.publish_act`` when it was published (with its
original date), ``exports.actes.services.import_prefecture_file`` for its ARActe file, all in
the import's transaction.

Journal: ``act.imported`` on each act's chain (batch, line, status reached, PDF hash, signature
check, vote, acknowledgement), ``seance.imported`` on each séance created, and
``history.batch.imported`` on the collectivité's chain (counts, counters continued); plus the
events of the services called (classification, officials, mandates, annexes, publication…).
A run with nothing new writes nothing at all (no batch, no event).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.files import removed_on_error, store_bytes
from deliberations import services as deliberations
from deliberations.enums import (
    Role,
    VoteMode,
    VoteResult,
)
from deliberations.models import (
    Act,
    AgendaItem,
    Assembly,
    ClassificationVersion,
    Collectivite,
    Counter,
    ElectedOfficial,
    Mandate,
    Matiere,
    Seance,
    User,
    Vote,
)
from deliberations.permissions import require_role
from deliberations.services._common import locked
from workflow.journal import record_event
from workflow.lifecycles import ActFlow, AgendaItemFlow, SeanceFlow

from .checks import ActPlan, Plan, SeancePlan, check_import, fold
from .enums import RowOutcome
from .exceptions import ImportRefused
from .files import FileProblem, FileSource
from .models import ImportBatch, ImportedAct
from .report import IMPORT, ImportReport, Problem

STORAGE_FOLDER = "history"


def import_history(
    *,
    collectivite: Collectivite,
    actor: User,
    manifest: bytes,
    manifest_name: str,
    files: FileSource,
    officials: bytes | None = None,
    officials_name: str = "",
    classification: bytes | None = None,
    classification_name: str = "",
    dry_run: bool = False,
    source: str = "command",
) -> ImportReport:
    """Check the import and, unless ``dry_run``, write it (administrators of the collectivité).

    The dry run returns the report and changes nothing. A real run raises ImportRefused (with
    the report) when the checks found an error, and nothing is written; otherwise it writes the
    batch in one transaction and returns the report with the batch's id. A run whose rows were
    all imported before (same content) writes nothing. Raises ManifestUnreadable when the
    manifest cannot be read at all. Side effects: see the module docstring; stores the PDFs
    through the storage API (removed again if the transaction fails).
    """
    require_role(actor, collectivite, Role.ADMIN)
    started = time.monotonic()
    plan = check_import(
        collectivite=collectivite,
        manifest=manifest,
        manifest_name=manifest_name,
        files=files,
        officials=officials,
        officials_name=officials_name,
        classification=classification,
        classification_name=classification_name,
    )
    report = plan.report
    report.dry_run = dry_run
    if dry_run:
        report.seconds = time.monotonic() - started
        return report
    if not report.ok:
        report.seconds = time.monotonic() - started
        raise ImportRefused(refusal_message(report), report=report)
    if report.has_changes:
        with removed_on_error() as stored, transaction.atomic():
            _write(plan, actor=actor, files=files, stored=stored, source=source)
    report.seconds = time.monotonic() - started
    return report


def refusal_message(report: ImportReport) -> str:
    count = len(report.errors)
    return ngettext(
        "The import was refused: %(count)d problem must be corrected first (nothing was written).",
        "The import was refused: %(count)d problems must be corrected first (nothing was written).",
        count,
    ) % {"count": count}


# -- Writing ------------------------------------------------------------------------------------


@dataclass
class _Writer:
    plan: Plan
    actor: User
    files: FileSource
    stored: list[str]
    source: str
    batch: ImportBatch | None = None
    matieres: dict[str, Matiere] = field(default_factory=dict)
    assemblies: dict[str, Assembly] = field(default_factory=dict)
    mandates: dict[tuple[str, str, dt.date], Mandate] = field(default_factory=dict)
    seances: dict[tuple[str, dt.date], Seance] = field(default_factory=dict)
    positions: dict[int, int] = field(default_factory=dict)

    @property
    def collectivite(self) -> Collectivite:
        return self.plan.collectivite

    def read(self, path: str, sha256: str, *, line: int, column: str) -> bytes:
        """A file again, as it was checked (it may not change between the check and now)."""
        try:
            content = self.files.read(path)
        except FileProblem as exc:
            raise self.refused(line, column, exc.message, exc.code) from exc
        if hashlib.sha256(content).hexdigest() != sha256:
            raise self.refused(
                line,
                column,
                _("%(path)s changed while it was being imported: run the import again.")
                % {"path": path},
                "file_changed",
            )
        return content

    def refused(self, line: int | None, column: str, message: str, code: str) -> ImportRefused:
        report = self.plan.report
        report.add(Problem(line, column, message, code))
        return ImportRefused(refusal_message(report), report=report)


def _write(plan: Plan, *, actor: User, files: FileSource, stored: list[str], source: str) -> None:
    writer = _Writer(plan=plan, actor=actor, files=files, stored=stored, source=source)
    collectivite = locked(Collectivite, plan.collectivite.pk)
    _recheck(writer)
    now = timezone.now()
    writer.batch = ImportBatch.objects.create(
        collectivite=collectivite,
        source_name=plan.report.manifest_name[:255],
        manifest_sha256=plan.report.manifest_sha256,
        created_by=actor,
        created_at=now,
    )
    if plan.classification is not None and plan.classification_new:
        deliberations.import_classification(
            collectivite=collectivite,
            actor=actor,
            content=plan.classification,
            source_name=plan.classification_name,
        )
    _write_officials(writer)
    _load_references(writer)
    for act in plan.new_acts:
        _write_act(writer, act)
    continued = _continue_counters(writer)
    batch = writer.batch
    batch.counts = {k: v for k, v in plan.report.counts.items() if k != "signatures"}
    batch.counts["signatures"] = plan.report.counts.get("signatures", {})
    batch.report = {
        "warnings": [p.as_dict() for p in plan.report.warnings],
        "counters": continued,
    }
    batch.save(update_fields=["counts", "report"])
    plan.report.batch_id = batch.pk
    record_event(
        batch,
        "history.batch.imported",
        actor=actor,
        data={
            "batch": batch.pk,
            "manifest": batch.source_name,
            "sha256": batch.manifest_sha256,
            "counts": batch.counts,
            "counters": continued,
            "warnings": len(plan.report.warnings),
        },
    )


def _recheck(writer: _Writer) -> None:
    """Under the collectivité's lock: another import may have taken a number since the check."""
    numbers = [act.number for act in writer.plan.new_acts]
    taken = set(
        Act.objects.filter(collectivite=writer.collectivite, number__in=numbers).values_list(
            "number", flat=True
        )
    )
    for act in writer.plan.new_acts:
        if act.number in taken:
            raise writer.refused(
                act.line,
                "number",
                _("The number %(number)s was taken while the import was checked: run it again.")
                % {"number": act.number},
                "number_taken",
            )


def _write_officials(writer: _Writer) -> None:
    plan, actor, collectivite = writer.plan, writer.actor, writer.collectivite
    for name, kind in plan.assemblies.items():
        if not Assembly.objects.filter(collectivite=collectivite, name=name).exists():
            deliberations.create_assembly(
                collectivite=collectivite, actor=actor, name=name, kind=kind
            )
    assemblies = {a.name: a for a in Assembly.objects.filter(collectivite=collectivite)}
    created: dict[str, ElectedOfficial] = {}
    for row in plan.officials:
        if row.official_id is not None:
            official = ElectedOfficial.objects.get(pk=row.official_id)
        elif row.key in created:
            official = created[row.key]
        else:
            official = deliberations.create_elected_official(
                collectivite=collectivite,
                actor=actor,
                civility=row.civility,
                first_name=row.first_name,
                last_name=row.last_name,
                email=row.email,
            )
            created[row.key] = official
        if row.new_mandate:
            assert row.start_date is not None
            deliberations.create_mandate(
                official=official,
                actor=actor,
                assembly=assemblies[row.assembly],
                role=row.role,
                start_date=row.start_date,
                end_date=row.end_date,
                quality=row.quality,
                political_group=row.political_group,
                rank=row.rank,
            )


def _load_references(writer: _Writer) -> None:
    collectivite = writer.collectivite
    version = ClassificationVersion.objects.filter(
        collectivite=collectivite, is_current=True
    ).first()
    writer.matieres = (
        {m.code: m for m in Matiere.objects.filter(version=version)} if version else {}
    )
    writer.assemblies = {a.name: a for a in Assembly.objects.filter(collectivite=collectivite)}
    for mandate in Mandate.objects.filter(official__collectivite=collectivite).select_related(
        "official", "assembly"
    ):
        key = fold(f"{mandate.official.first_name} {mandate.official.last_name}")
        writer.mandates[(key, mandate.assembly.name, mandate.start_date)] = mandate


def _seance(writer: _Writer, plan: SeancePlan) -> Seance:
    key = (plan.assembly, plan.day)
    if key in writer.seances:
        return writer.seances[key]
    if plan.existing_id is not None:
        seance = Seance.objects.get(pk=plan.existing_id)
    else:
        seance = Seance.objects.create(
            collectivite=writer.collectivite,
            assembly=writer.assemblies[plan.assembly],
            date=plan.at,
            place="",
            created_by=writer.actor,
        )
        flow = SeanceFlow(seance)
        flow.run("open")
        flow.run("close")
        seance.opened_at = seance.closed_at = plan.at
        seance.save(update_fields=["status", "opened_at", "closed_at"])
        assert writer.batch is not None
        record_event(
            seance,
            "seance.imported",
            actor=writer.actor,
            data={"batch": writer.batch.pk, "assembly": plan.assembly, "date": plan.at},
        )
    writer.seances[key] = seance
    writer.positions[seance.pk] = (
        seance.items.order_by("-position").values_list("position", flat=True).first() or 0
    )
    return seance


def _vote(writer: _Writer, act: ActPlan, record: Act) -> dict[str, Any] | None:
    key = act.seance_key
    if key is None:
        return None
    seance = _seance(writer, writer.plan.seances[key])
    writer.positions[seance.pk] += 1
    item = AgendaItem(seance=seance, act=record, position=writer.positions[seance.pk])
    AgendaItemFlow(item).run("vote")  # planned → voted, through the item's lifecycle
    item.save()
    votes = act.votes
    assert votes is not None  # the checks require the attendance counts
    if act.vote_result == "noted":
        mode, result = VoteMode.NOTED, VoteResult.NOTED
    else:
        mode = VoteMode.TOTALS if votes.has_ballots else VoteMode.RESULT
        result = VoteResult.ADOPTED
    Vote.objects.create(
        item=item,
        mode=mode,
        members_in_office=votes.members_in_office,
        present=votes.present,
        represented=votes.represented,
        for_count=votes.for_count,
        against_count=votes.against_count,
        abstention_count=votes.abstention_count,
        not_voting_count=votes.not_voting_count,
        president_casting_vote=act.casting_vote,
        result=result,
        recorded_by=writer.actor,
        recorded_at=seance.date,
    )
    return {"seance": seance.pk, "item": item.pk, "mode": str(mode), "result": str(result)}


def _write_act(writer: _Writer, act: ActPlan) -> None:
    from exports.actes.services import import_prefecture_file
    from exports.publication.services import publish_act

    actor, collectivite = writer.actor, writer.collectivite
    assert act.pdf is not None and act.decision_date is not None and writer.batch is not None
    rapporteur = writer.mandates.get(act.rapporteur_key) if act.rapporteur_key else None
    record = deliberations.create_project(
        collectivite=collectivite,
        actor=actor,
        act_type=act.act_type,
        objet=act.objet,
        nature=act.nature,
        matiere=writer.matieres[act.matiere],
        assembly=writer.assemblies[act.assembly] if act.is_deliberation else None,
        rapporteur=rapporteur,
        confidential=act.confidential,
        budget_amount=act.budget_amount,
        budget_year=act.budget_year,
        budget_name=act.budget_name,
    )
    for annex in act.annexes:
        assert annex.facts is not None
        content = writer.read(annex.path, annex.facts.sha256, line=act.line, column="annexes")
        added = deliberations.add_annex(
            act=record,
            actor=actor,
            stream=io.BytesIO(content),
            filename=annex.path.rsplit("/", 1)[-1],
            title=annex.title,
            transmitted=annex.transmitted,
            piece_type=annex.piece_type,
        )
        writer.stored.append(added.file.name or "")
    pdf = writer.read(act.pdf_path, act.pdf.sha256, line=act.line, column="pdf")
    name = store_bytes(f"{STORAGE_FOLDER}/{collectivite.pk}", pdf, extension="pdf")
    writer.stored.append(name)
    current = locked(Act, record.pk)
    current.number = act.number
    current.number_year = act.decision_date.year
    current.decision_date = act.decision_date
    flow = ActFlow(current)
    flow.run("import_signed")
    if act.transmitted:
        flow.run("transmit")
    if act.acknowledged:
        flow.run("acknowledge")
    current.save(update_fields=["number", "number_year", "decision_date", "status", "updated_at"])
    signature = act.signature
    imported = ImportedAct.objects.create(
        batch=writer.batch,
        collectivite=collectivite,
        act=current,
        number=act.number,
        line=act.line,
        row_sha256=act.row_sha256,
        data=act.data,
        pdf=name,
        pdf_name=act.pdf_path[:255],
        pdf_sha256=act.pdf.sha256,
        pdf_size=act.pdf.size,
        page_count=act.pdf.pages,
        signature_status=signature.status if signature else "unsigned",
        signature_count=signature.count if signature else 0,
        signature_report=signature.report if signature else {},
        transmitted_on=act.transmitted_on,
        id_acte=act.id_acte,
        ack_date=act.ar_date,
        published_on=act.published_on,
        imported_at=writer.batch.created_at,
    )
    vote = _vote(writer, act, current)
    record_event(
        current,
        "act.imported",
        actor=actor,
        data={
            "batch": writer.batch.pk,
            "imported": imported.pk,
            "line": act.line,
            "number": act.number,
            "decision_date": act.decision_date,
            "status": current.status,
            "row_sha256": act.row_sha256,
            "pdf_sha256": act.pdf.sha256,
            "signatures": imported.signature_status,
            "signature_count": imported.signature_count,
            "transmitted_on": act.transmitted_on,
            "id_acte": act.id_acte,
            "ack_date": act.ar_date,
            "vote": vote,
        },
    )
    if act.ar_path and act.ar_file is not None:
        _acknowledgement_file(writer, act, import_prefecture_file)
    if act.published_on is not None:
        moment = timezone.make_aware(dt.datetime.combine(act.published_on, dt.time(12, 0)))
        publication = publish_act(act=current, actor=actor, published_at=moment)
        writer.stored.append(publication.file.name or "")


def _acknowledgement_file(writer: _Writer, act: ActPlan, import_prefecture_file: Any) -> None:
    """The ARActe as received, kept with the act's prefecture messages (deduplicated)."""
    from exports.actes.models import PrefectureMessage

    assert act.ar_file is not None
    content = writer.read(act.ar_path, act.ar_file.sha256, line=act.line, column="ar_file")
    known = set(
        PrefectureMessage.objects.filter(collectivite=writer.collectivite).values_list(
            "pk", flat=True
        )
    )
    messages = import_prefecture_file(
        collectivite=writer.collectivite,
        actor=writer.actor,
        content=content,
        name=act.ar_path.rsplit("/", 1)[-1],
        source=writer.source,
    )
    writer.stored.extend(m.file.name for m in messages if m.pk not in known and m.file.name)


def _continue_counters(writer: _Writer) -> list[dict[str, Any]]:
    """Raise the counters so that the next numbers follow the highest imported ones."""
    done = []
    for continuation in writer.plan.report.counters:
        counter, _created = Counter.objects.select_for_update().get_or_create(
            collectivite=writer.collectivite, name=continuation.counter, year=continuation.year
        )
        if counter.last_value < continuation.after:
            counter.last_value = continuation.after
            counter.save(update_fields=["last_value"])
        done.append(continuation.as_dict())
    return done


# -- Reads for the pages and the API ------------------------------------------------------------


def problems_table(report: ImportReport) -> list[Problem]:
    """Problems in the order the report shows them (import, classification, officials, acts)."""
    return report.sorted_problems()


def nothing_new_message(report: ImportReport) -> str:
    return _(
        "Nothing new to import: the %(count)d acts of this manifest were already imported, "
        "unchanged."
    ) % {"count": report.counts.get("unchanged", 0)}


__all__ = [
    "IMPORT",
    "STORAGE_FOLDER",
    "RowOutcome",
    "import_history",
    "nothing_new_message",
    "problems_table",
    "refusal_message",
]
