"""Document actions: request a render, render it (in a task), freeze it, prove it, customise.

Rendering never runs in a web request: :func:`request_document` stores a *pending* version and
queues :func:`render_document` after commit (exports.tasks; in-process when no broker is
configured, DESIGN.md decision 10). A document is identified by its inputs — the engine hash
(templates, stylesheets, fonts, code, library versions) and the hash of its snapshot,
customisation and signature fields — so unchanged data is never rendered twice, and the same
inputs always give the same bytes (:func:`verify_rerender` proves it).

Versions: a request whose inputs differ from the current version's makes a new version that
supersedes it. A version referenced by a signature is frozen (:func:`freeze_document`, called by
signing/ when the first signature is applied): it is never re-rendered nor superseded.

Journal events (on the chain of the act or séance, see RenderedDocument.journal_chain_key):
``document.requested``, ``document.rendered``, ``document.failed``, ``document.frozen``;
``documents.settings.updated`` on the collectivité's chain.
"""

from __future__ import annotations

import hashlib
import io
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from core.files import read_bytes, removed_on_error, store_bytes
from deliberations.enums import AgendaItemStatus, Role, SeanceStatus
from deliberations.models import Act, Collectivite, Mandate, Seance, User
from deliberations.permissions import require_role
from deliberations.services._common import validation_message
from exports.documents import SignatureFieldSpec, assemble_pack, render_html, render_pdf
from exports.documents.context import parse_customisation
from exports.documents.exceptions import DocumentError
from exports.documents.hashing import canonical_json, sha256_hex, template_sha256
from workflow.journal import record_event

from .enums import ACT_KINDS, SEANCE_KINDS, TEMPLATES, AnnexMode, DocumentKind, DocumentStatus
from .exceptions import (
    DocumentFrozen,
    DocumentNotReady,
    DocumentUnavailable,
    InvalidDocumentSettings,
    UnknownDocumentRequest,
)
from .models import DocumentSettings, RenderedDocument
from .snapshots import LANGUAGE, DocumentInputs, build_inputs, customisation_for, files_for
from .snapshots.acts import is_draft, voted_item
from .snapshots.common import customisation_of, office_of
from .snapshots.seances import pack_cover_snapshot

log = logging.getLogger("delibre.exports")

Target = Act | Seance
T = TypeVar("T", bound=Act | Seance)


# Permissions -------------------------------------------------------------------------------


def require_reader(actor: Any, collectivite: Collectivite) -> None:
    """Every member of the collectivité may read its documents."""
    require_role(actor, collectivite)


def require_renderer(actor: Any, collectivite: Collectivite) -> None:
    """Only clerks and administrators may have documents rendered."""
    require_role(actor, collectivite, Role.CLERK, Role.ADMIN)


# Inputs and identity -----------------------------------------------------------------------


def inputs_sha256(inputs: DocumentInputs) -> str:
    """The hash render_pdf computes for the same inputs (SNAPSHOTS.md, "Reproducibility").

    For the pack, ``snapshot`` is ``{"cover", "parts"}`` where each part names a stored
    document by its own pair of hashes, so equal hashes still mean equal bytes.
    """
    return sha256_hex(
        canonical_json(
            {
                "snapshot": inputs.snapshot,
                "customisation": inputs.customisation,
                "signature_fields": [
                    [f["name"], f.get("label", "")] for f in inputs.signature_fields
                ],
            }
        )
    )


def _target_lookup(
    kind: DocumentKind, target: Target, recipient: Mandate | None = None
) -> dict[str, Any]:
    if isinstance(target, Act):
        return {"kind": kind, "act": target}
    return {"kind": kind, "seance": target, "recipient": recipient}


def _check_kind(
    kind: DocumentKind | str, target: Target, recipient: Mandate | None
) -> DocumentKind:
    try:
        kind = DocumentKind(kind)
    except ValueError as exc:
        raise UnknownDocumentRequest(field="kind") from exc
    allowed = ACT_KINDS if isinstance(target, Act) else SEANCE_KINDS
    if kind not in allowed:
        raise UnknownDocumentRequest(field="kind")
    if (kind == DocumentKind.CONVOCATION) != (recipient is not None):
        raise UnknownDocumentRequest(
            _("A convocation is addressed to one member: choose the member."), field="recipient"
        )
    return kind


def _verification_token(act: Act) -> str:
    """The token of the act's public verification URL, the same for all its versions."""
    existing = (
        RenderedDocument.objects.filter(act=act, kind=DocumentKind.ACT)
        .exclude(verification_token="")
        .values_list("verification_token", flat=True)
        .first()
    )
    return existing or secrets.token_hex(10)


def _seance_items(seance: Seance):
    return seance.items.exclude(status=AgendaItemStatus.WITHDRAWN)


def _check_available(kind: DocumentKind, target: Target, recipient: Mandate | None) -> None:
    if isinstance(target, Act):
        return
    if kind in (DocumentKind.MINUTES, DocumentKind.DELIBERATION_LIST):
        if target.status != SeanceStatus.CLOSED or target.closed_at is None:
            raise DocumentUnavailable(
                _(
                    "The minutes and the list of deliberations are rendered once the séance "
                    "is closed."
                )
            )
        return
    if not _seance_items(target).exists():
        raise DocumentUnavailable(_("The agenda is empty: put projects on it first."))
    if recipient is not None and recipient.pk not in {m.pk for m in office_of(target)}:
        raise UnknownDocumentRequest(
            _("This member does not sit in the assembly on the day of the séance."),
            field="recipient",
        )


def _inputs(
    kind: DocumentKind,
    target: Target,
    recipient: Mandate | None,
    annex_mode: str,
    signers: Mapping[str, Mapping[str, str]] | None = None,
) -> tuple[DocumentInputs, str]:
    if isinstance(target, Act):
        token = _verification_token(target) if kind == DocumentKind.ACT else ""
        if kind == DocumentKind.ACT and signers is None:
            # Signers given by signing/ stick to the act's next versions until changed.
            current = current_version(DocumentKind.ACT, target)
            signers = current.signers if current is not None and current.signers else None
        act_document = None
        if kind == DocumentKind.PROOF:
            act_document = (
                RenderedDocument.objects.filter(
                    act=target, kind=DocumentKind.ACT, status=DocumentStatus.READY
                )
                .order_by("-is_current", "-created_at", "-pk")
                .first()
            )
        inputs = build_inputs(
            kind,
            act=target,
            annex_mode=annex_mode,
            verification_token=token,
            act_document=act_document,
            signers=signers,
        )
        return inputs, token
    return build_inputs(kind, seance=target, recipient=recipient), ""


def current_version(
    kind: DocumentKind, target: Target, recipient: Mandate | None = None
) -> RenderedDocument | None:
    return RenderedDocument.objects.filter(
        **_target_lookup(kind, target, recipient), is_current=True
    ).first()


def _queue(document: RenderedDocument) -> None:
    from .tasks import render_document_task

    document_id = document.pk
    transaction.on_commit(lambda: render_document_task.delay(document_id=document_id))


def _store_request(
    inputs: DocumentInputs,
    *,
    target: Target,
    recipient: Mandate | None,
    actor: Any,
    token: str = "",
) -> RenderedDocument:
    """Reuse the version with the same inputs, or create the next one (inside the lock)."""
    kind = inputs.kind
    lookup = _target_lookup(kind, target, recipient)
    engine = template_sha256()
    digest = inputs_sha256(inputs)
    versions = RenderedDocument.objects.filter(**lookup)
    current = versions.select_for_update().filter(is_current=True).first()
    frozen = versions.filter(frozen_at__isnull=False).first()
    same = versions.filter(template_sha256=engine, snapshot_sha256=digest).first()
    if same is not None:
        if current is not None and current.pk != same.pk:
            if frozen is not None:
                raise DocumentFrozen()
            current.is_current = False
            current.save(update_fields=["is_current"])
            same.is_current = True
            same.save(update_fields=["is_current"])
            _journal_request(same, actor, reused=True)
        if same.status == DocumentStatus.FAILED:
            same.status, same.error = DocumentStatus.PENDING, ""
            same.save(update_fields=["status", "error"])
            _journal_request(same, actor, retry=True)
        if same.status == DocumentStatus.PENDING:
            _queue(same)
        return same
    if frozen is not None:
        raise DocumentFrozen()
    version = (versions.aggregate(last=Max("version"))["last"] or 0) + 1
    if current is not None:
        current.is_current = False
        current.save(update_fields=["is_current"])
    document = RenderedDocument.objects.create(
        collectivite=target.collectivite,
        kind=kind,
        act=target if isinstance(target, Act) else None,
        seance=target if isinstance(target, Seance) else None,
        recipient=recipient,
        version=version,
        template_name=inputs.template_name,
        template_sha256=engine,
        snapshot=inputs.snapshot,
        customisation=inputs.customisation,
        snapshot_sha256=digest,
        signature_fields=inputs.signature_fields,
        signers=inputs.signers,
        requested_by=actor if getattr(actor, "pk", None) else None,
        supersedes=current,
        verification_token=token,
    )
    _journal_request(document, actor)
    _queue(document)
    return document


def _journal_request(
    document: RenderedDocument, actor: Any, *, retry: bool = False, reused: bool = False
) -> None:
    """``document.requested``: a new version, a failed one tried again (``retry``), or an
    earlier version that is current again because the data went back to it (``reused``)."""
    record_event(
        document,
        "document.requested",
        actor=actor,
        data={
            "document": document.pk,
            "kind": document.kind,
            "version": document.version,
            "recipient": document.recipient_id,
            "template_sha256": document.template_sha256,
            "snapshot_sha256": document.snapshot_sha256,
            "retry": retry,
            "reused": reused,
        },
    )


def _locked(target: T) -> T:
    """The act or séance again, locked: concurrent requests for its documents queue here."""
    model = type(target)
    # of=("self",): lock the act or séance only, not the collectivité joined by select_related
    # (PostgreSQL locks every joined row; other transactions insert rows that reference it).
    locked = model.objects.select_for_update(of=("self",)).select_related("collectivite")
    return cast(T, locked.get(pk=target.pk))


# Requests ---------------------------------------------------------------------------------------


def request_document(
    *,
    kind: DocumentKind | str,
    target: Target,
    actor: User,
    recipient: Mandate | None = None,
    annex_mode: AnnexMode | str = AnnexMode.APPENDED,
    signers: Mapping[str, Mapping[str, str]] | None = None,
) -> RenderedDocument:
    """Ask for the current version of one document of an act or séance; return its row.

    ``signers`` (acts, used by signing/ before the first signature) names who signs a block,
    possibly by delegation (exports.snapshots.acts.act_snapshot).
    Returns the existing version when nothing changed (ready: nothing is rendered again;
    failed: rendered again); otherwise a new pending version superseding the current one.
    Refused: for members who are not clerk or admin (DocumentNotAllowed), for a frozen
    document whose inputs changed (DocumentFrozen), for minutes before closing
    (DocumentUnavailable). Side effects: ``document.requested`` event; the render is queued
    after commit.
    """
    kind = _check_kind(kind, target, recipient)
    if annex_mode not in AnnexMode.values:
        raise UnknownDocumentRequest(_("Choose how annexes are joined."), field="annex_mode")
    require_renderer(actor, target.collectivite)
    if kind == DocumentKind.PACK:
        return _request_pack(seance=target, actor=actor)  # type: ignore[arg-type]
    with transaction.atomic():
        current = _locked(target)
        _check_available(kind, current, recipient)
        inputs, token = _inputs(kind, current, recipient, str(annex_mode), signers)
        return _store_request(inputs, target=current, recipient=recipient, actor=actor, token=token)


def request_seance_documents(
    *, seance: Seance, actor: User, kinds: Sequence[DocumentKind | str] | None = None
) -> list[RenderedDocument]:
    """Every séance document available now (one convocation per member in office).

    Minutes and the list of deliberations are only requested once the séance is closed, the
    pack last (it assembles the others). Side effects: as request_document, per document.
    """
    require_renderer(actor, seance.collectivite)
    wanted = [DocumentKind(k) for k in kinds] if kinds else list(SEANCE_KINDS)
    documents: list[RenderedDocument] = []
    with transaction.atomic():
        current = _locked(seance)
        for kind in wanted:
            if kind == DocumentKind.PACK:
                continue
            if kind in (DocumentKind.MINUTES, DocumentKind.DELIBERATION_LIST) and (
                current.status != SeanceStatus.CLOSED
            ):
                continue
            if kind == DocumentKind.CONVOCATION:
                _check_available(kind, current, None)
                for member in office_of(current):
                    inputs, _token = _inputs(kind, current, member, AnnexMode.APPENDED)
                    documents.append(
                        _store_request(inputs, target=current, recipient=member, actor=actor)
                    )
                continue
            _check_available(kind, current, None)
            inputs, _token = _inputs(kind, current, None, AnnexMode.APPENDED)
            documents.append(_store_request(inputs, target=current, recipient=None, actor=actor))
    if DocumentKind.PACK in wanted:
        documents.append(_request_pack(seance=seance, actor=actor))
    return documents


def _act_part(act: Act, actor: Any) -> RenderedDocument:
    """The act's document for a pack: its frozen (signed) version if any, else the current."""
    frozen = (
        RenderedDocument.objects.filter(act=act, kind=DocumentKind.ACT, frozen_at__isnull=False)
        .order_by("-version")
        .first()
    )
    if frozen is not None:
        return frozen
    locked = _locked(act)
    inputs, token = _inputs(DocumentKind.ACT, locked, None, AnnexMode.APPENDED)
    return _store_request(inputs, target=locked, recipient=None, actor=actor, token=token)


def _signed_version(document: RenderedDocument) -> Any:
    # The signing app builds on this one (it signs what was rendered): imported late.
    from signing.selectors import current_version

    return current_version(document) if document.is_frozen else None


def _signed_sha256(document: RenderedDocument) -> str:
    version = _signed_version(document)
    return version.output_sha256 if version is not None else ""


def _part_title(act: Act, *, draft: bool) -> str:
    """The pack's bookmark and table-of-contents entry of an act (the pack numbers them)."""
    label = _("Draft deliberation") if draft else act.number
    return f"{label} — {Truncator(act.objet).chars(120)}"


def _request_pack(*, seance: Seance, actor: Any) -> RenderedDocument:
    """The séance pack: agenda, note de synthèse, then each item's act (project or adopted
    deliberation) with its annexes appended, assembled from the stored PDFs."""
    with transaction.atomic():
        current = _locked(seance)
        _check_available(DocumentKind.PACK, current, None)
        parts: list[tuple[str, RenderedDocument]] = []
        with translation.override(LANGUAGE):  # titles and cover are part of the document
            titles = {
                DocumentKind.AGENDA: _("Agenda"),
                DocumentKind.SYNTHESIS: _("Explanatory note"),
            }
        for kind, title in titles.items():
            inputs, _token = _inputs(kind, current, None, AnnexMode.APPENDED)
            parts.append(
                (title, _store_request(inputs, target=current, recipient=None, actor=actor))
            )
        items = _seance_items(current).select_related("act").order_by("position")
        for item in items:
            act = item.act
            with translation.override(LANGUAGE):
                title = _part_title(act, draft=is_draft(act, voted_item(act)))
            parts.append((title, _act_part(act, actor)))
        with translation.override(LANGUAGE):
            cover = pack_cover_snapshot(
                current,
                rendered_at=max(document.snapshot["rendered_at"] for _t, document in parts),
            )
        snapshot = {
            "cover": cover,
            "parts": [
                {
                    "title": title,
                    "document": document.pk,
                    "template_sha256": document.template_sha256,
                    "snapshot_sha256": document.snapshot_sha256,
                    # A signed act is assembled in its signed version: a new signature makes a
                    # new pack, and the same signatures give the same bytes.
                    "signed_sha256": _signed_sha256(document),
                }
                for title, document in parts
            ],
        }
        inputs = DocumentInputs(
            kind=DocumentKind.PACK,
            template_name=TEMPLATES[DocumentKind.PACK],
            snapshot=snapshot,
            customisation=customisation_for(current.collectivite),
        )
        return _store_request(inputs, target=current, recipient=None, actor=actor)


# Rendering -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    content: bytes
    page_count: int
    signature_fields: list[dict[str, Any]]
    template_sha256: str


def _render(document: RenderedDocument) -> Rendered:
    """Render a stored version from its stored inputs (pure apart from reading files)."""
    if document.kind == DocumentKind.PACK:
        return _assemble(document)
    rendered = render_pdf(
        template_name=document.template_name,
        snapshot=document.snapshot,
        signature_fields=[
            SignatureFieldSpec(name=f["name"], label=f.get("label", ""))
            for f in document.signature_fields
        ],
        customisation=document.customisation,
        files=files_for(document.snapshot, collectivite=document.collectivite, act=document.act),
    )
    if rendered.snapshot_sha256 != document.snapshot_sha256:
        raise DocumentUnavailable(_("The stored data of this document is inconsistent."))
    return Rendered(
        content=rendered.content,
        page_count=rendered.page_count,
        signature_fields=[
            {"name": f.name, "label": f.label, "page": f.page, "box": list(f.box)}
            for f in rendered.signature_fields
        ],
        template_sha256=rendered.template_sha256,
    )


def _assemble(document: RenderedDocument) -> Rendered:
    from pypdf import PdfReader

    parts = []
    for part in document.snapshot["parts"]:
        stored = RenderedDocument.objects.get(pk=part["document"])
        if stored.status == DocumentStatus.PENDING:
            stored = render_document(document_id=stored.pk)
        if stored.status != DocumentStatus.READY:
            raise DocumentUnavailable(
                _("A part of the pack could not be rendered: %(title)s (%(error)s)")
                % {"title": part["title"], "error": stored.error}
            )
        version = _signed_version(stored) if part.get("signed_sha256") else None
        if version is not None and version.output_sha256 != part["signed_sha256"]:
            raise DocumentUnavailable(
                _(
                    "A part of the pack was signed again since it was requested: request the pack again."
                )
            )
        name = version.file.name if version is not None else stored.file.name
        parts.append((part["title"], read_bytes(name or "")))
    cover = document.snapshot["cover"]
    content = assemble_pack(
        cover_snapshot=cover,
        parts=parts,
        customisation=document.customisation,
        files=files_for(cover, collectivite=document.collectivite),
    )
    return Rendered(
        content=content,
        page_count=len(PdfReader(io.BytesIO(content)).pages),
        signature_fields=[],
        template_sha256=template_sha256(),
    )


def render_document(*, document_id: int) -> RenderedDocument:
    """Render a pending version and store its PDF; the body of the rendering task.

    Idempotent: a version that is ready (or failed) is returned as it is — a ready document is
    never rendered again. A refusal of the renderer (bad data, missing file, engine changed
    since the request) is stored as *failed* with its message; no file is left behind.
    Side effects: the PDF in private storage; ``document.rendered`` or ``document.failed``.
    """
    document = RenderedDocument.objects.select_related("collectivite", "act", "seance").get(
        pk=document_id
    )
    if document.status != DocumentStatus.PENDING:
        return document
    try:
        rendered = _render(document)
        if rendered.template_sha256 != document.template_sha256:
            raise DocumentUnavailable(
                _("The document templates changed since the request: request the document again.")
            )
    except (DocumentError, DocumentUnavailable) as exc:
        return _fail(document, str(exc.message))
    name = store_bytes(
        f"documents/{document.collectivite_id}/{document.kind}", rendered.content, extension="pdf"
    )
    with removed_on_error(name), transaction.atomic():
        current = RenderedDocument.objects.select_for_update().get(pk=document.pk)
        if current.status != DocumentStatus.PENDING:
            default_storage.delete(name)  # rendered meanwhile by another worker
            return current
        current.file.name = name
        current.status = DocumentStatus.READY
        current.content_sha256 = hashlib.sha256(rendered.content).hexdigest()
        current.page_count = rendered.page_count
        current.signature_fields = rendered.signature_fields or current.signature_fields
        current.rendered_at = timezone.now()
        current.error = ""
        current.save(
            update_fields=[
                "file",
                "status",
                "content_sha256",
                "page_count",
                "signature_fields",
                "rendered_at",
                "error",
            ]
        )
        record_event(
            current,
            "document.rendered",
            actor=current.requested_by,
            data={
                "document": current.pk,
                "kind": current.kind,
                "version": current.version,
                "content_sha256": current.content_sha256,
                "page_count": current.page_count,
            },
        )
    return current


def _fail(document: RenderedDocument, message: str) -> RenderedDocument:
    log.warning("document %s could not be rendered: %s", document.pk, message)
    with transaction.atomic():
        current = RenderedDocument.objects.select_for_update().get(pk=document.pk)
        if current.status != DocumentStatus.PENDING:
            return current
        current.status, current.error = DocumentStatus.FAILED, message
        current.save(update_fields=["status", "error"])
        record_event(
            current,
            "document.failed",
            actor=current.requested_by,
            data={"document": current.pk, "kind": current.kind, "error": message},
        )
    return current


# Proofs, freezing, previews ---------------------------------------------------------------


@dataclass(frozen=True)
class RerenderCheck:
    identical: bool
    stored_sha256: str
    rerendered_sha256: str
    reason: str = ""


def verify_rerender(*, document: RenderedDocument, actor: Any = None) -> RerenderCheck:
    """Render a stored version again from its stored inputs and compare the bytes.

    Changes nothing. The stored file is hashed again too, so a file altered in storage is
    reported as different. ``actor`` (interfaces) must be a clerk or an administrator; the
    ``rerender`` command runs without one.
    """
    if actor is not None:
        require_renderer(actor, document.collectivite)
    if document.status != DocumentStatus.READY:
        raise DocumentNotReady()
    stored = read_bytes(document.file.name or "")
    stored_sha256 = hashlib.sha256(stored).hexdigest()
    try:
        rendered = _render(document)
    except (DocumentError, DocumentUnavailable) as exc:
        return RerenderCheck(False, stored_sha256, "", str(exc.message))
    again = hashlib.sha256(rendered.content).hexdigest()
    reason = ""
    if rendered.template_sha256 != document.template_sha256:
        reason = _("The rendering engine changed since this version was rendered.")
    return RerenderCheck(
        identical=again == stored_sha256 == document.content_sha256,
        stored_sha256=stored_sha256,
        rerendered_sha256=again,
        reason=reason,
    )


def freeze_document(*, document: RenderedDocument, actor: Any) -> RenderedDocument:
    """Mark a version as referenced by a signature: it is never rendered again nor replaced.

    Called by signing/ when the first signature is applied to it; idempotent. Refused if the
    document is not ready. Side effects: ``frozen_at``; ``document.frozen`` event.
    """
    require_reader(actor, document.collectivite)
    with transaction.atomic():
        current = RenderedDocument.objects.select_for_update().get(pk=document.pk)
        if current.status != DocumentStatus.READY:
            raise DocumentNotReady()
        if current.frozen_at is not None:
            return current
        current.frozen_at = timezone.now()
        current.save(update_fields=["frozen_at"])
        record_event(
            current,
            "document.frozen",
            actor=actor,
            data={"document": current.pk, "content_sha256": current.content_sha256},
        )
    return current


def preview_html(
    *, act: Act, actor: Any, annex_mode: AnnexMode | str = AnnexMode.APPENDED
) -> tuple[str, str]:
    """The act as it would be rendered now, as HTML (no PDF, nothing stored): its text and
    its document family (for the preview stylesheet). Readable by every member."""
    require_reader(actor, act.collectivite)
    inputs, _token = _inputs(DocumentKind.ACT, act, None, str(annex_mode))
    return render_html(
        template_name=inputs.template_name,
        snapshot=inputs.snapshot,
        customisation=inputs.customisation,
        files=files_for(inputs.snapshot, collectivite=act.collectivite, act=act),
    )


# Settings --------------------------------------------------------------------------------------

SETTINGS_FIELDS = (
    "header_lines",
    "footer_text",
    "primary_colour",
    "show_logo",
    "wording",
    "portal_url",
    "appeal_court",
    "publication_seal",
)


def update_document_settings(
    *, collectivite: Collectivite, actor: User, **changes: Any
) -> DocumentSettings:
    """Change how the collectivité's documents look and read (administrators only).

    The values are checked as the renderer will read them; the next requests render new
    versions (signed ones stay). Side effects: ``documents.settings.updated`` event.
    """
    require_role(actor, collectivite, Role.ADMIN)
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise InvalidDocumentSettings(field=sorted(unknown)[0])
    with transaction.atomic():
        options, _created = DocumentSettings.objects.select_for_update().get_or_create(
            collectivite=collectivite
        )
        changed = [name for name, value in changes.items() if getattr(options, name) != value]
        for name in changed:
            setattr(options, name, changes[name])
        try:
            options.full_clean(exclude=["collectivite", "updated_by"])
        except ValidationError as exc:
            message, field = validation_message(exc)
            raise InvalidDocumentSettings(message, field=field) from exc
        parse_customisation(customisation_of(options))
        if not changed and not _created:
            return options
        options.updated_by = actor
        options.save()
        record_event(
            collectivite,
            "documents.settings.updated",
            actor=actor,
            data={name: getattr(options, name) for name in changed},
        )
    return options
