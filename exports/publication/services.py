"""Publishing acts and séance documents on the public portal (a step of the act's lifecycle).

Rules (CGCT R. 2131-1, L. 2121-15, L. 2121-25; standards/README.md §4; docs/adr/0002, 0005):

* clerks and administrators publish; a confidential act is never published;
* ``publish_act`` runs ActFlow.publish (signed, transmitted or acknowledged → published) and
  records the date put online, the author's name and quality as printed on the act, and a copy
  of the PDF (selectors.act_pdf_for_transmission: the signed version when signing/ provides it)
  with its SHA-256: the public file never changes afterwards;
* withdrawing from the portal keeps the act published in law (it was put online on that date):
  only administrators do it, with a reason, and not before the two months the act must stay
  online, unless the act was cancelled;
* the list of deliberations (within a week of the séance) and the procès-verbal are published
  from their rendered documents.

Journal codes: ``act.published``, ``act.unpublished`` (act's chain),
``seance.document.published``, ``seance.document.unpublished`` (séance's chain).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.files import read_bytes, removed_on_error, store_bytes
from deliberations.enums import ActStatus, Role, SeanceStatus
from deliberations.models import Act, Seance, User
from deliberations.permissions import require_role
from deliberations.services._common import locked
from exports.actes.selectors import act_pdf_for_transmission, add_months, signed_version_pdf
from exports.enums import DocumentKind, DocumentStatus
from exports.models import RenderedDocument
from workflow.journal import record_event
from workflow.lifecycles import ActFlow

from .enums import SeanceDocument
from .exceptions import ConfidentialAct, PublicationRefused
from .models import Publication, SeancePublication
from .selectors import fold, list_deadline

PUBLISHERS = (Role.CLERK, Role.ADMIN)
FOLDER = "publication"
#: How long a published act must stay online at least (R. 2131-1).
MINIMUM_ONLINE_MONTHS = 2


def _author(act: Act, given: dict[str, str]) -> tuple[str, str]:
    """The author as printed on the act (ADR 0002), else the head of the executive."""
    if given.get("name"):
        return given["name"], given.get("quality", "")
    from exports.snapshots.common import head_of_executive

    head = head_of_executive(act.collectivite, act.decision_date or timezone.localdate())
    if head is not None:
        return head.official.full_name, head.printed_quality
    return act.collectivite.name, ""


def _search_text(act: Act) -> str:
    parts = [act.number, act.objet]
    if act.matiere is not None:
        parts += [act.matiere.code, act.matiere.label]
    return fold(" ".join(parts))


def publish_act(
    *, act: Act, actor: User | None, published_at: dt.datetime | None = None
) -> Publication:
    """Put a signed act online and record the date (lifecycle step ``publish``).

    ``actor`` None is Délibre itself (the scenario). ``published_at`` is given only by the
    history import (docs/adr/0009): the date a past act was put online by the software the
    collectivité used before; otherwise it is now. Refused, changing nothing, for a
    confidential act, an act already published, an act without number or PDF, or an act whose
    status does not allow publishing. Side effects: status → published; stores the copy of the
    PDF; journal ``act.published``.
    """
    if actor is not None:
        require_role(actor, act.collectivite, *PUBLISHERS)
    with transaction.atomic():
        current = locked(Act, act.pk)
        if current.confidential:
            raise ConfidentialAct(
                _(
                    "This act is marked “not to be published” (personal data): it is "
                    "transmitted to the prefecture but never put online."
                )
            )
        if Publication.objects.filter(act=current).exists():
            raise PublicationRefused(_("This act is already published."))
        if not current.number:
            raise PublicationRefused(_("The act has no number yet: it cannot be published."))
        ActFlow(current).run("publish")
        pdf = act_pdf_for_transmission(current)
        if pdf is None:
            raise PublicationRefused(
                _("The act has no PDF yet: render its document before publishing it.")
            )
        name, quality = _author(current, pdf.author)
        stored = store_bytes(f"{FOLDER}/acts", pdf.content, extension="pdf")
        with removed_on_error(stored):
            publication = Publication.objects.create(
                collectivite=current.collectivite,
                act=current,
                identifier=current.number,
                published_at=published_at or timezone.now(),
                published_by=actor if getattr(actor, "pk", None) else None,
                author_name=name[:200],
                author_quality=quality[:200],
                file=stored,
                file_sha256=pdf.sha256,
                file_size=len(pdf.content),
                pdf_source=pdf.source,
                source_document_id=pdf.document_id,
                verification_token=pdf.verification_token,
                search_text=_search_text(current),
            )
            current.save(update_fields=["status", "updated_at"])
            record_event(
                publication,
                "act.published",
                actor=actor,
                data={
                    "publication": publication.pk,
                    "identifier": publication.identifier,
                    "published_at": publication.published_at,
                    "author": {"name": name, "quality": quality},
                    "sha256": publication.file_sha256,
                    "pdf": pdf.source,
                },
            )
    return publication


def unpublish_act(*, publication: Publication, actor: User, reason: str) -> Publication:
    """Withdraw an act from the portal (administrators, with a reason).

    Refused within the two months an act must stay online, unless the act was cancelled.
    The act stays published in law. Side effects: journal ``act.unpublished``.
    """
    require_role(actor, publication.collectivite, Role.ADMIN)
    if not reason.strip():
        raise PublicationRefused(_("Give the reason for withdrawing the act."), field="reason")
    with transaction.atomic():
        act = locked(Act, publication.act_id)
        current = locked(Publication, publication.pk)
        if current.unpublished_at is not None:
            raise PublicationRefused(_("This act is already withdrawn from the portal."))
        online_since = timezone.localtime(current.published_at).date()
        until = add_months(online_since, MINIMUM_ONLINE_MONTHS)
        if act.status != ActStatus.CANCELLED and timezone.localdate() < until:
            raise PublicationRefused(
                _(
                    "An act stays online at least two months (CGCT R. 2131-1): this one can be "
                    "withdrawn from %(date)s, unless it is cancelled."
                )
                % {"date": until.strftime("%d/%m/%Y")}
            )
        current.unpublished_at = timezone.now()
        current.unpublished_by = actor
        current.unpublish_reason = reason
        current.save(update_fields=["unpublished_at", "unpublished_by", "unpublish_reason"])
        record_event(
            current,
            "act.unpublished",
            actor=actor,
            data={"publication": current.pk, "reason": reason},
        )
    return current


_DOCUMENT_KINDS = {
    SeanceDocument.DELIBERATION_LIST: DocumentKind.DELIBERATION_LIST,
    SeanceDocument.MINUTES: DocumentKind.MINUTES,
}


def publish_seance_document(*, seance: Seance, kind: str, actor: User | None) -> SeancePublication:
    """Put the list of deliberations or the procès-verbal of a closed séance online.

    The document published is the newest ready version rendered by exports (render it first).
    Side effects: stores the copy of the PDF; journal ``seance.document.published``.
    """
    if actor is not None:
        require_role(actor, seance.collectivite, *PUBLISHERS)
    if kind not in SeanceDocument.values:
        raise PublicationRefused(
            _("Choose the list of deliberations or the minutes."), field="kind"
        )
    with transaction.atomic():
        current = locked(Seance, seance.pk)
        if current.status != SeanceStatus.CLOSED:
            raise PublicationRefused(
                _("The séance is not closed yet: its list and minutes are published after it.")
            )
        if SeancePublication.objects.filter(
            seance=current, kind=kind, unpublished_at__isnull=True
        ).exists():
            raise PublicationRefused(_("This document of the séance is already online."))
        document = (
            RenderedDocument.objects.filter(
                seance=current,
                kind=_DOCUMENT_KINDS[SeanceDocument(kind)],
                status=DocumentStatus.READY,
                recipient__isnull=True,
            )
            .order_by("-version")
            .first()
        )
        if document is None or not document.file:
            raise PublicationRefused(
                _("Render the document first (Documents of the séance), then publish it.")
            )
        signed = signed_version_pdf("current_version", document)
        if signed is not None:
            content, digest = signed[0], signed[1]
        else:
            content, digest = read_bytes(document.file.name or ""), document.content_sha256
        stored = store_bytes(f"{FOLDER}/seances", content, extension="pdf")
        with removed_on_error(stored):
            now = timezone.now()
            result = SeancePublication.objects.create(
                collectivite=current.collectivite,
                seance=current,
                kind=kind,
                published_at=now,
                published_by=actor if getattr(actor, "pk", None) else None,
                file=stored,
                file_sha256=digest,
                file_size=len(content),
                source_document_id=document.pk,
            )
            deadline: dt.date | None = (
                list_deadline(current) if kind == SeanceDocument.DELIBERATION_LIST else None
            )
            record_event(
                result,
                "seance.document.published",
                actor=actor,
                data={
                    "kind": kind,
                    "publication": result.pk,
                    "published_at": now,
                    "deadline": deadline,
                    "late": bool(deadline and timezone.localtime(now).date() > deadline),
                    "sha256": result.file_sha256,
                },
            )
    return result


def unpublish_seance_document(
    *, publication: SeancePublication, actor: User, reason: str
) -> SeancePublication:
    """Withdraw a séance document from the portal (administrators, with a reason).

    Side effects: journal ``seance.document.unpublished``.
    """
    require_role(actor, publication.collectivite, Role.ADMIN)
    if not reason.strip():
        raise PublicationRefused(_("Give the reason for withdrawing the document."), field="reason")
    with transaction.atomic():
        locked(Seance, publication.seance_id)
        current = locked(SeancePublication, publication.pk)
        if current.unpublished_at is not None:
            raise PublicationRefused(_("This document is already withdrawn from the portal."))
        current.unpublished_at = timezone.now()
        current.unpublished_by = actor
        current.unpublish_reason = reason
        current.save(update_fields=["unpublished_at", "unpublished_by", "unpublish_reason"])
        record_event(
            current,
            "seance.document.unpublished",
            actor=actor,
            data={"kind": current.kind, "publication": current.pk, "reason": reason},
        )
    return current
