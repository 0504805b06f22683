"""Open data of the published deliberations: the SCDL « Délibérations » CSV and Délibre's JSON.

Rows come from deliberations that are online (published, not withdrawn, not confidential) and
whose vote adopted them. Mapping (standards/README.md §3.2):

COLL_NOM, COLL_SIRET      the collectivité's name and SIRET
DELIB_ID, DELIB_DATE      the act's number and decision date
DELIB_MATIERE_CODE/NOM    level 2 of the act's matière; the name is « level 1/level 2 » with the
                          national level-1 label and the classification's level-2 label
                          (exports.opendata.checks.matiere_nom)
DELIB_OBJET               the objet
BUDGET_ANNEE/NOM          when the act has a budget impact: its budget year and budget name
                          (« Budget principal » when the name is not filled in)
PREF_ID, PREF_DATE        the prefecture's identifier and the ARActe's DateReception, when the
                          prefecture acknowledged the act
VOTE_*                    members in office, voters (for + against + abstention) and the counts;
                          empty when only the result was recorded
DELIB_URL                 the portal's permanent link to the PDF

The writers of exports.opendata check every rule before a byte is returned (DESIGN.md
decision 8); the scenario, the command, the portal and the API all go through these functions.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone

from deliberations.enums import ActType, AgendaItemStatus, BallotChoice, VoteResult
from deliberations.models import AgendaItem, Ballot, Collectivite
from deliberations.selectors import seance_day
from exports.actes.enums import TransmissionKind, TransmissionStatus
from exports.actes.models import Transmission
from exports.actes.selectors import HISTORY_ACCESSOR, past_acknowledgement
from exports.opendata.checks import ACTES_LEVEL1, matiere_nom
from exports.opendata.rich import MemberVote, RichDeliberation, write_deliberations_json
from exports.opendata.scdl import DeliberationRow, write_scdl_csv
from exports.snapshots.acts import verification_url

from .models import Publication

DEFAULT_BUDGET_NAME = "Budget principal"
_CHOICES = {
    BallotChoice.FOR: "pour",
    BallotChoice.AGAINST: "contre",
    BallotChoice.ABSTENTION: "abstention",
    BallotChoice.NOT_VOTING: "ne_prend_pas_part",
}


def absolute(path: str) -> str:
    return settings.PUBLIC_URL + path


def open_publications(
    collectivites: Iterable[Collectivite] | None = None, *, year: int | None = None
) -> QuerySet[Publication]:
    """Deliberations online, with what the rows need prefetched (a constant number of queries)."""
    publications = Publication.objects.filter(
        unpublished_at__isnull=True,
        act__confidential=False,
        act__act_type=ActType.DELIBERATION,
    )
    if collectivites is not None:
        publications = publications.filter(collectivite__in=list(collectivites))
    else:  # the instance's open data never carries a training sandbox's fictitious acts
        publications = publications.filter(collectivite__is_training=False)
    if year:
        publications = publications.filter(act__decision_date__year=year)
    voted = AgendaItem.objects.filter(status=AgendaItemStatus.VOTED, vote__isnull=False)
    return (
        publications.select_related(
            "collectivite",
            "act__matiere__parent",
            "act__rapporteur__official",
            # an imported act's acknowledgement received before Délibre (docs/adr/0009)
            f"act__{HISTORY_ACCESSOR}",
        )
        .prefetch_related(
            Prefetch(
                "act__agenda_items",
                queryset=voted.select_related("vote", "seance").order_by("-seance__date"),
                to_attr="voted_items",
            ),
            Prefetch(
                "act__transmissions",
                queryset=Transmission.objects.filter(
                    kind=TransmissionKind.ACTE, status=TransmissionStatus.ACKNOWLEDGED
                ).order_by("-pk"),
                to_attr="acknowledged",
            ),
        )
        .order_by("collectivite__name", "act__decision_date", "act__number")
    )


def _item(publication: Publication) -> AgendaItem | None:
    items = getattr(publication.act, "voted_items", [])
    return items[0] if items else None


def _matiere(publication: Publication) -> tuple[str, str]:
    matiere = publication.act.matiere
    if matiere is None:
        return "", ""
    parts = matiere.code.split(".")
    level2 = matiere
    while level2.level > 2 and level2.parent is not None:
        level2 = level2.parent
    level1 = ACTES_LEVEL1.get(int(parts[0]), "")
    return ".".join(parts[:2]), matiere_nom(level1=level1, level2=level2.label)


def scdl_row(publication: Publication) -> DeliberationRow | None:
    """The SCDL row of a published deliberation, or None when its vote did not adopt it."""
    act = publication.act
    item = _item(publication)
    if item is None or item.vote.result != VoteResult.ADOPTED:
        return None
    vote = item.vote
    code, name = _matiere(publication)
    acknowledged = getattr(act, "acknowledged", [])
    ack = acknowledged[0] if acknowledged else past_acknowledgement(act)
    counts = (vote.for_count, vote.against_count, vote.abstention_count)
    with_counts = all(value is not None for value in counts)
    budget = act.budget_amount is not None and act.budget_year is not None
    collectivite = publication.collectivite
    return DeliberationRow(
        coll_nom=collectivite.name,
        coll_siret=collectivite.siret,
        delib_id=act.number,
        delib_date=act.decision_date or seance_day(item.seance),
        delib_matiere_code=code,
        delib_matiere_nom=name,
        delib_objet=act.objet,
        budget_annee=str(act.budget_year) if budget else None,
        budget_nom=(act.budget_name or DEFAULT_BUDGET_NAME) if budget else None,
        pref_id=(collectivite.prefecture_id or None) if ack else None,
        pref_date=ack.ack_date if ack else None,
        vote_effectif=vote.members_in_office if with_counts else None,
        vote_reel=vote.voters if with_counts else None,
        vote_pour=vote.for_count if with_counts else None,
        vote_contre=vote.against_count if with_counts else None,
        vote_abstention=vote.abstention_count if with_counts else None,
        delib_url=absolute(
            reverse(
                "publication:act-pdf",
                kwargs={"slug": collectivite.slug, "identifier": publication.identifier},
            )
        ),
    )


def scdl_rows(publications: Iterable[Publication]) -> list[DeliberationRow]:
    return [row for row in (scdl_row(p) for p in publications) if row is not None]


def export_csv(
    collectivites: Iterable[Collectivite] | None = None, *, year: int | None = None
) -> bytes:
    """The SCDL CSV of the deliberations online (all collectivités when None). Raises
    InvalidOpenData when a row breaks the schema; nothing is returned then."""
    return write_scdl_csv(rows=scdl_rows(open_publications(collectivites, year=year)))


def _member_votes(item: AgendaItem) -> tuple[MemberVote, ...]:
    ballots = (
        Ballot.objects.filter(vote=item.vote)
        .select_related("mandate__official", "cast_by__official")
        .order_by("mandate__rank", "mandate__official__last_name")
    )
    return tuple(
        MemberVote(
            member=ballot.mandate.official.full_name,
            role=ballot.mandate.printed_quality,
            vote=_CHOICES[BallotChoice(ballot.choice)],
            proxy_holder=(
                ballot.cast_by.official.full_name
                if ballot.cast_by_id != ballot.mandate_id
                else None
            ),
        )
        for ballot in ballots
    )


def export_json(collectivite: Collectivite, *, year: int | None = None) -> bytes:
    """Délibre's JSON of one collectivité's deliberations online, with the votes per member."""
    items = []
    for publication in open_publications([collectivite], year=year):
        row = scdl_row(publication)
        if row is None:
            continue
        item = _item(publication)
        assert item is not None
        act = publication.act
        rapporteur = act.rapporteur
        page = reverse(
            "publication:act",
            kwargs={"slug": collectivite.slug, "identifier": publication.identifier},
        )
        verification = (
            verification_url(publication.verification_token)
            if publication.verification_token
            else None
        )
        items.append(
            RichDeliberation(
                scdl=row,
                rapporteur=rapporteur.official.full_name if rapporteur else None,
                rapporteur_role=rapporteur.printed_quality if rapporteur else "",
                seance_date=seance_day(item.seance),
                published_on=timezone.localtime(publication.published_at).date(),
                page_url=absolute(page),
                verification_url=verification,
                votes=_member_votes(item),
            )
        )
    return write_deliberations_json(
        collectivite_name=collectivite.name,
        collectivite_siret=collectivite.siret,
        deliberations=items,
        generated_at=timezone.now(),
    )


def file_name(collectivite: Collectivite | None, year: int | None, extension: str) -> str:
    stem = f"deliberations-{collectivite.slug}" if collectivite else "deliberations"
    return f"{stem}-{year}.{extension}" if year else f"{stem}.{extension}"
