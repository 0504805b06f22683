"""Importing large PES_Aller files in the background, with their progress (issue 8).

A flow of 100,000 pièces takes tens of seconds to check and store: the page and the API hand a
file larger than ``DELIBRE_PES_BACKGROUND_BYTES`` to :func:`start_import`, which keeps the
upload, records a :class:`~exports.pes.models.PesImport` and queues ``pes.import_flow`` after
commit; :func:`run_import` (the task's body) imports it exactly as :func:`import_flow` does —
one transaction, all or nothing — and records the flow made or the problems found. Smaller
files are imported at once, in the request.

The import's rows are invisible until its commit, so the worker publishes the bytes read in the
cache (core.progress); :func:`import_progress` reads them. The import row stays locked during
the whole import: a second delivery of the task (a worker lost, docs/adr/0008) waits for the
first, then finds it finished; a delivery after a killed worker starts again from the upload
(the killed transaction left nothing, and its stored file is an orphan for the purge).

Journal events (collectivité's chain): ``pes.import.queued``, ``pes.import.failed``; the flow's
own ``pes.flow.imported`` on success.
"""

from __future__ import annotations

import logging
from typing import IO, Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import progress
from core.exceptions import DelibreError
from core.files import removed_on_error
from deliberations.models import Collectivite, User
from workflow.journal import record_event

from ..enums import ImportStatus
from ..exceptions import PesDuplicateFile
from ..models import PesImport
from ._common import issue_dicts, require_finance, spooled, store_file, stored_copy
from .importing import import_spooled, refuse_duplicate

log = logging.getLogger("delibre.pes")


def background_threshold() -> int:
    """Files larger than this many bytes are imported in the background."""
    return int(settings.DELIBRE_PES_BACKGROUND_BYTES)


def start_import(
    *, collectivite: Collectivite, actor: User, source: IO[bytes] | bytes, name: str
) -> PesImport:
    """Keep an uploaded PES_Aller and queue its import; return the import to follow.

    Checked now (nothing kept when refused): the actor's role, the size limit, a file already
    imported or being imported. Everything else (schemas, Hélios rules, addressee) is checked
    by the import. Side effects: the upload in storage; the import row; ``pes.import.queued``;
    the task ``pes.import_flow`` queued after commit.
    """
    require_finance(actor, collectivite)
    with spooled(source) as (path, sha256, size):
        refuse_duplicate(collectivite, sha256)
        if (
            PesImport.objects.filter(collectivite=collectivite, sha256=sha256)
            .exclude(status__in=[ImportStatus.DONE, ImportStatus.FAILED])
            .exists()
        ):
            raise PesDuplicateFile(_("This file is being imported already."))
        stored = store_file(f"pes/{collectivite.pk}/incoming", path)
    with removed_on_error(stored), transaction.atomic():
        job = PesImport.objects.create(
            collectivite=collectivite,
            name=name[:255],
            file=stored,
            sha256=sha256,
            size=size,
            created_by=actor,
        )
        record_event(
            collectivite,
            "pes.import.queued",
            actor=actor,
            data={"import": job.pk, "name": job.name, "sha256": sha256, "size": size},
        )
        job_id = job.pk

        def queue() -> None:
            from ..tasks import import_flow_task  # tasks sit above services (STYLE.md §1)

            import_flow_task.delay(import_id=job_id)

        transaction.on_commit(queue)
    return job


def run_import(*, import_id: int) -> PesImport:
    """Import a queued upload; the body of the ``pes.import_flow`` task.

    Idempotent: a finished import is returned as it is. A refused file is recorded as failed
    with its message and problems. Side effects: those of :func:`import_flow`; the import row;
    the upload removed from storage once the import ended; ``pes.import.failed``.
    """
    job = PesImport.objects.select_related("collectivite", "created_by").get(pk=import_id)
    if job.is_finished:
        return job
    PesImport.objects.filter(pk=job.pk, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=timezone.now()
    )
    report = progress.Reporter(job.progress_key, total=job.size)
    try:
        with stored_copy(job.file.name) as path, transaction.atomic():
            locked = PesImport.objects.select_for_update().get(pk=job.pk)
            if locked.is_finished:
                return locked
            flow = import_spooled(
                collectivite=job.collectivite,
                actor=job.created_by,
                path=path,
                sha256=job.sha256,
                size=job.size,
                name=job.name,
                on_progress=report,
            )
            _finish(locked, ImportStatus.DONE, flow=flow)
            return locked
    except DelibreError as exc:
        return _fail(job.pk, str(exc.message), issue_dicts(list(getattr(exc, "issues", []))))
    except IntegrityError:  # the same file committed meanwhile by another import
        return _fail(job.pk, _("This file was imported already."))
    except OSError as exc:
        log.warning("PES import %s: upload unreadable: %s", job.pk, exc)
        return _fail(job.pk, _("The uploaded file could not be read again: upload it again."))
    finally:
        progress.forget(job.progress_key)


def _finish(job: PesImport, status: str, **changes: Any) -> None:
    """Close the (locked) import; its upload is removed once the change commits."""
    name = job.file.name
    job.status, job.finished_at, job.file = status, timezone.now(), ""
    for field, value in changes.items():
        setattr(job, field, value)
    job.save(update_fields=["status", "finished_at", "file", *changes])
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))


def _fail(import_id: int, message: str, issues: list[dict[str, Any]] | None = None) -> PesImport:
    with transaction.atomic():
        job = PesImport.objects.select_for_update().get(pk=import_id)
        if job.is_finished:
            return job
        _finish(job, ImportStatus.FAILED, error=message, issues=issues or [])
        record_event(
            job.collectivite,
            "pes.import.failed",
            actor=job.created_by,
            data={"import": job.pk, "name": job.name, "error": message, "issues": len(job.issues)},
        )
    return job


def import_progress(job: PesImport) -> progress.Progress | None:
    """Bytes of the upload read so far: known when queued and done; published by the worker
    while it runs (None when the cache is not shared with it); None once refused."""
    if job.status == ImportStatus.QUEUED:
        return progress.Progress(done=0, total=job.size)
    if job.status == ImportStatus.DONE:
        return progress.Progress(done=job.size, total=job.size)
    if job.status == ImportStatus.RUNNING:
        return progress.read(job.progress_key)
    return None
