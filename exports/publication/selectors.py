"""Reads of the publication: what the public portal may show, enforceability, appeal windows.

The portal reads only through ``public_publications`` and ``public_seance_documents``: an act
is public when it has a publication not withdrawn and it is not confidential; nothing else of
Délibre is reachable without login.

Enforceability rule (docs/adr/0006): an act **subject to the contrôle de légalité** is
enforceable once the prefecture acknowledged its transmission (the ARActe's DateReception) and
it is published; the others once published. Subject to the contrôle: every ACTES nature 1 to 5
(deliberations, regulatory and individual acts, contracts, budget documents) and nature 6
("others") for orders and decisions; an act of type "other" filed under nature 6 (an internal
act) is not, so publication alone makes it enforceable. The two-month appeal window (recours
contentieux, code de justice administrative R. 421-1) runs from the later of the two dates;
it is a délai franc: the last day to file is the day after the same date two months later,
moved to the next Monday when it falls on a week-end (public holidays are not counted).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from deliberations.enums import ActStatus, ActType
from deliberations.models import Act, Collectivite, Seance
from deliberations.selectors import seance_day
from exports.actes.selectors import acknowledgement, add_months

from .enums import Enforceability, SeanceDocument
from .models import Publication, SeancePublication

#: ACTES natures always subject to the contrôle de légalité.
REVIEWED_NATURES = frozenset({1, 2, 3, 4, 5})
#: The list of deliberations is put online within a week of the séance (L. 2121-25).
LIST_DELAY = dt.timedelta(days=7)


def fold(text: str) -> str:
    """Lower case without accents, typographic apostrophes made plain: how ``search_text`` is
    stored and queries are compared."""
    text = (text or "").lower().replace("\u2019", "'").replace("\u00a0", " ")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(char for char in decomposed if unicodedata.category(char) != "Mn")


def is_subject_to_review(act: Act) -> bool:
    if act.nature in REVIEWED_NATURES:
        return True
    return act.act_type != ActType.OTHER


def appeal_deadline(start: dt.date) -> dt.date:
    """The last day to file an appeal against an act enforceable since ``start``."""
    last = add_months(start, 2) + dt.timedelta(days=1)
    while last.weekday() >= 5:
        last += dt.timedelta(days=1)
    return last


@dataclass(frozen=True)
class ActEnforceability:
    subject_to_review: bool
    acknowledged_on: dt.date | None
    published_on: dt.date | None
    state: Enforceability
    enforceable_on: dt.date | None
    appeal_until: dt.date | None

    @property
    def is_enforceable(self) -> bool:
        return self.state == Enforceability.ENFORCEABLE


def enforceability(
    act: Act, publication: Publication | None = None, acknowledged_on: Any = ...
) -> ActEnforceability:
    """Whether the act is in force, since when, and until when it can be challenged.

    ``publication`` and ``acknowledged_on`` may be given to save queries (lists).
    """
    if publication is None:
        publication = Publication.objects.filter(act=act, unpublished_at__isnull=True).first()
    if acknowledged_on is ...:
        acknowledged = acknowledgement(act)
        acknowledged_on = acknowledged.ack_date if acknowledged else None
    subject = is_subject_to_review(act)
    published_on = (
        timezone.localtime(publication.published_at).date() if publication is not None else None
    )
    if act.status == ActStatus.CANCELLED:
        state = Enforceability.CANCELLED
    elif published_on and (acknowledged_on or not subject):
        state = Enforceability.ENFORCEABLE
    elif published_on:
        state = Enforceability.AWAITING_TRANSMISSION
    elif acknowledged_on or not subject:
        state = Enforceability.AWAITING_PUBLICATION
    else:
        state = Enforceability.AWAITING_BOTH
    enforceable_on = None
    if state == Enforceability.ENFORCEABLE:
        dates = [day for day in (published_on, acknowledged_on if subject else None) if day]
        enforceable_on = max(dates)
    return ActEnforceability(
        subject_to_review=subject,
        acknowledged_on=acknowledged_on,
        published_on=published_on,
        state=state,
        enforceable_on=enforceable_on,
        appeal_until=appeal_deadline(enforceable_on) if enforceable_on else None,
    )


# -- The public portal --------------------------------------------------------------------------


def public_collectivites() -> QuerySet[Collectivite]:
    """Collectivités with at least one act or séance document online (training sandboxes are
    never listed: their portal is reachable by its address only, with its banner)."""
    online = Publication.objects.filter(
        collectivite=OuterRef("pk"), unpublished_at__isnull=True, act__confidential=False
    )
    documents = SeancePublication.objects.filter(
        collectivite=OuterRef("pk"), unpublished_at__isnull=True
    )
    return (
        Collectivite.objects.filter(is_training=False)
        .filter(Q(Exists(online)) | Q(Exists(documents)))
        .order_by("name")
    )


def public_publications(collectivite: Collectivite) -> QuerySet[Publication]:
    """Every act online for this collectivité: published, not withdrawn, not confidential."""
    return (
        Publication.objects.filter(
            collectivite=collectivite, unpublished_at__isnull=True, act__confidential=False
        )
        .select_related("act__matiere")
        .order_by("-act__decision_date", "-published_at", "-pk")
    )


def search_publications(
    publications: QuerySet[Publication],
    *,
    q: str = "",
    year: int | None = None,
    act_type: str = "",
    matiere: str = "",
) -> QuerySet[Publication]:
    """Filters of the portal. The search folds case and accents (works the same on SQLite)."""
    for word in fold(q).split()[:8]:
        publications = publications.filter(search_text__contains=word)
    if year:
        publications = publications.filter(act__decision_date__year=year)
    if act_type:
        publications = publications.filter(act__act_type=act_type)
    if matiere:
        publications = publications.filter(
            Q(act__matiere__code=matiere) | Q(act__matiere__code__startswith=f"{matiere}.")
        )
    return publications


def public_seance_documents(collectivite: Collectivite) -> QuerySet[SeancePublication]:
    return SeancePublication.objects.filter(
        collectivite=collectivite, unpublished_at__isnull=True
    ).select_related("seance__assembly")


def public_seances(collectivite: Collectivite) -> QuerySet[Seance]:
    """Séances with a document online, or an act online voted at them."""
    documents = SeancePublication.objects.filter(seance=OuterRef("pk"), unpublished_at__isnull=True)
    acts = Publication.objects.filter(
        act__agenda_items__seance=OuterRef("pk"),
        unpublished_at__isnull=True,
        act__confidential=False,
    )
    return (
        Seance.objects.filter(collectivite=collectivite)
        .filter(Q(Exists(documents)) | Q(Exists(acts)))
        .select_related("assembly")
        .order_by("-date")
    )


def seance_acts(seance: Seance) -> QuerySet[Publication]:
    """The acts online voted at this séance, in agenda order."""
    return (
        Publication.objects.filter(
            act__agenda_items__seance=seance, unpublished_at__isnull=True, act__confidential=False
        )
        .select_related("act")
        .order_by("act__agenda_items__position")
    )


# -- Staff pages --------------------------------------------------------------------------------


def list_deadline(seance: Seance) -> dt.date:
    """The last day to put the list of deliberations online (a week after the séance)."""
    return seance_day(seance) + LIST_DELAY


@dataclass
class SeanceDocumentLine:
    kind: SeanceDocument
    publication: SeancePublication | None
    deadline: dt.date | None

    @property
    def late(self) -> bool:
        if self.deadline is None:
            return False
        if self.publication is not None:
            return timezone.localtime(self.publication.published_at).date() > self.deadline
        return timezone.localdate() > self.deadline


def seance_lines(seance: Seance) -> list[SeanceDocumentLine]:
    online = {
        p.kind: p
        for p in SeancePublication.objects.filter(seance=seance, unpublished_at__isnull=True)
    }
    return [
        SeanceDocumentLine(
            kind=kind,
            publication=online.get(kind),
            deadline=list_deadline(seance) if kind == SeanceDocument.DELIBERATION_LIST else None,
        )
        for kind in SeanceDocument
    ]


def act_publication(act: Act) -> Publication | None:
    return Publication.objects.filter(act=act).select_related("published_by").first()
