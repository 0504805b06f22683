"""Reads of rendered documents shared by the pages, the API, the commands and the scenario."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.api_fields import visible_collectivite_ids
from core.progress import Progress
from deliberations.models import Act, Mandate, Seance
from deliberations.permissions import collectivite_ids_for

from .enums import ACT_KINDS, SEANCE_KINDS, DocumentKind, DocumentStatus
from .models import RenderedDocument


def visible_documents(user: Any) -> QuerySet[RenderedDocument]:
    """Documents of the user's collectivités (anything else is answered as not found)."""
    return RenderedDocument.objects.filter(collectivite_id__in=collectivite_ids_for(user))


def api_visible_documents(request: Any) -> QuerySet[RenderedDocument]:
    return RenderedDocument.objects.filter(collectivite_id__in=visible_collectivite_ids(request))


def documents_of(target: Act | Seance) -> QuerySet[RenderedDocument]:
    """Every version of every document of an act or séance, newest first."""
    lookup = {"act": target} if isinstance(target, Act) else {"seance": target}
    return (
        RenderedDocument.objects.filter(**lookup)
        .select_related("recipient__official", "requested_by")
        .order_by("kind", "recipient__rank", "-version")
    )


def current_document(
    kind: DocumentKind | str, target: Act | Seance, recipient: Mandate | None = None
) -> RenderedDocument | None:
    """The current version of one document (maybe pending or failed), or None."""
    lookup: dict[str, Any] = {"kind": kind, "is_current": True}
    if isinstance(target, Act):
        lookup["act"] = target
    else:
        lookup.update(seance=target, recipient=recipient)
    return RenderedDocument.objects.filter(**lookup).first()


def latest_ready(
    kind: DocumentKind | str, target: Act | Seance, recipient: Mandate | None = None
) -> RenderedDocument | None:
    """The newest version one can download now (the current one may still be rendering)."""
    lookup: dict[str, Any] = {"kind": kind, "status": DocumentStatus.READY}
    if isinstance(target, Act):
        lookup["act"] = target
    else:
        lookup.update(seance=target, recipient=recipient)
    return RenderedDocument.objects.filter(**lookup).order_by("-version").first()


def download_name(document: RenderedDocument) -> str:
    """A readable file name: ``DEL2026_0042.pdf``, ``convocation-marie-dupont.pdf``…"""
    if document.act is not None:
        act = document.act
        draft = _("draft")
        stem = act.number or f"{draft}-{act.pk}"
        if document.kind == DocumentKind.PROOF:
            proof = slugify(_("proof"))
            stem = f"{stem}-{proof}"
        return f"{stem}.pdf"
    seance = document.seance
    day = seance.date.strftime("%Y-%m-%d") if seance else ""
    label = slugify(str(DocumentKind(document.kind).label))
    if document.recipient is not None:
        return f"{label}-{slugify(document.recipient.official.full_name)}-{day}.pdf"
    return f"{label}-{day}.pdf"


@dataclass
class DocumentLine:
    """One document of a panel: its current version, the one to download, its history."""

    kind: DocumentKind
    current: RenderedDocument | None = None
    ready: RenderedDocument | None = None
    versions: list[RenderedDocument] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(self.kind.label)

    @property
    def pending(self) -> bool:
        return self.current is not None and self.current.status == DocumentStatus.PENDING


@dataclass
class ConvocationSummary:
    total: int = 0
    ready: int = 0
    pending: int = 0
    failed: int = 0
    documents: list[RenderedDocument] = field(default_factory=list)

    @property
    def first_pending(self) -> RenderedDocument | None:
        """The one convocation the panel polls while they render (one request a second)."""
        return next((d for d in self.documents if d.status == DocumentStatus.PENDING), None)


def pack_progress(document: RenderedDocument) -> Progress | None:
    """The parts of a séance pack rendered so far (None for another kind of document).

    Each part is rendered and committed on its own (by the workers, or by the pack's task on
    its way), so the count moves while the pack is pending; one query.
    """
    if document.kind != DocumentKind.PACK:
        return None
    ids = [part["document"] for part in document.snapshot.get("parts", [])]
    ready = RenderedDocument.objects.filter(pk__in=ids, status=DocumentStatus.READY).count()
    return Progress(done=ready, total=len(ids))


@dataclass
class Panel:
    lines: list[DocumentLine]
    convocations: ConvocationSummary | None = None
    pack_progress: Progress | None = None

    @property
    def pending(self) -> bool:
        return any(line.pending for line in self.lines) or bool(
            self.convocations and self.convocations.pending
        )

    def line(self, kind: str) -> DocumentLine | None:
        return next((line for line in self.lines if line.kind == kind), None)


def panel_for(target: Act | Seance) -> Panel:
    """What the documents panel of an act or séance shows, in two queries."""
    kinds = ACT_KINDS if isinstance(target, Act) else SEANCE_KINDS
    lines = {kind: DocumentLine(kind=kind) for kind in kinds}
    convocations = ConvocationSummary() if isinstance(target, Seance) else None
    for document in documents_of(target):
        kind = DocumentKind(document.kind)
        if kind == DocumentKind.CONVOCATION and convocations is not None:
            if document.is_current:
                convocations.total += 1
                convocations.documents.append(document)
                if document.status == DocumentStatus.READY:
                    convocations.ready += 1
                elif document.status == DocumentStatus.PENDING:
                    convocations.pending += 1
                else:
                    convocations.failed += 1
            continue
        line = lines[kind]
        line.versions.append(document)
        if document.is_current:
            line.current = document
        if line.ready is None and document.status == DocumentStatus.READY:
            line.ready = document
    panel = Panel(
        lines=[line for kind, line in lines.items() if kind != DocumentKind.CONVOCATION],
        convocations=convocations,
    )
    pack = lines.get(DocumentKind.PACK)
    if pack is not None and pack.current is not None:
        panel.pack_progress = pack_progress(pack.current)
    return panel
