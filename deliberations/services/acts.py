"""Projects and acts: drafting, annexes, validation without circuit, numbering."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.files import removed_on_error, store_bytes
from core.uploads import inspect_pdf
from workflow.journal import record_event
from workflow.lifecycles import ActFlow

from ..enums import DEFAULT_NATURE, EDITABLE_STATUSES, ActesNature, ActStatus, ActType, Role
from ..exceptions import InvalidData, NumberingError, StaleRevision, StateConflict
from ..models import (
    Act,
    Annex,
    Assembly,
    Collectivite,
    Counter,
    Mandate,
    Matiere,
    NumberingScheme,
    Service,
    User,
)
from ..numbering import parse_pattern
from ..permissions import has_role, require_role, same_collectivite
from ._common import apply_changes, full_clean, journal_value, locked

PROJECT_FIELDS = (
    "act_type",
    "nature",
    "matiere",
    "objet",
    "summary",
    "visas",
    "considerants",
    "articles",
    "assembly",
    "rapporteur",
    "service",
    "budget_amount",
    "budget_year",
    "budget_name",
    "budget_line",
    "confidential",
)
_TEXT_LISTS = ("visas", "considerants", "articles")


def _clean_text_list(name: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not all(isinstance(v, str) for v in value):
        raise InvalidData(
            _("%(field)s must be a list of paragraphs.") % {"field": name}, field=name
        )
    return [v.strip() for v in value if v.strip()]


def _check_references(act: Act) -> None:
    """Refuse references to another collectivité, an outdated matière or a stray rapporteur."""
    collectivite = act.collectivite
    same_collectivite(collectivite, act.assembly, act.service, act.rapporteur, act.matiere)
    if act.matiere is not None:
        if not act.matiere.version.is_current:
            raise InvalidData(
                _("This matière belongs to an outdated classification: choose it again."),
                field="matiere",
            )
        if act.matiere.level < 2:
            raise InvalidData(
                _(
                    "Choose a matière of level 2 or deeper (for example 7.1): the prefecture requires it."
                ),
                field="matiere",
            )
    if (
        act.rapporteur is not None
        and act.assembly is not None
        and act.rapporteur.assembly_id != act.assembly_id
    ):
        raise InvalidData(
            _("The rapporteur must sit in the assembly that votes the project."),
            field="rapporteur",
        )


def _may_edit(actor: User, act: Act) -> bool:
    return act.drafter_id == actor.pk or has_role(actor, act.collectivite, Role.CLERK, Role.ADMIN)


def create_project(
    *,
    collectivite: Collectivite,
    actor: User,
    act_type: ActType | str,
    objet: str,
    nature: ActesNature | int | None = None,
    matiere: Matiere | None = None,
    assembly: Assembly | None = None,
    rapporteur: Mandate | None = None,
    service: Service | None = None,
    summary: str = "",
    visas: list[str] | None = None,
    considerants: list[str] | None = None,
    articles: list[str] | None = None,
    budget_amount: Decimal | None = None,
    budget_year: int | None = None,
    budget_name: str = "",
    budget_line: str = "",
    confidential: bool = False,
) -> Act:
    """Draft a new project; ``actor`` becomes its drafter.

    Side effects: journal event ``act.created``.
    """
    require_role(actor, collectivite, Role.CLERK, Role.ADMIN)
    if act_type not in ActType.values:
        raise InvalidData(_("Unknown act type: %(type)s.") % {"type": act_type}, field="act_type")
    act = Act(
        collectivite=collectivite,
        act_type=act_type,
        nature=int(nature) if nature else int(DEFAULT_NATURE[ActType(act_type)]),
        matiere=matiere,
        objet=objet,
        assembly=assembly,
        rapporteur=rapporteur,
        service=service,
        summary=summary,
        visas=_clean_text_list("visas", visas),
        considerants=_clean_text_list("considerants", considerants),
        articles=_clean_text_list("articles", articles),
        budget_amount=budget_amount,
        budget_year=budget_year,
        budget_name=budget_name,
        budget_line=budget_line,
        confidential=confidential,
        drafter=actor,
    )
    full_clean(act, exclude=["drafter"])
    _check_references(act)
    with transaction.atomic():
        act.save()
        record_event(
            act,
            "act.created",
            actor=actor,
            data={"type": str(act_type), "objet": act.objet, "nature": act.nature},
        )
    return act


def update_project(*, act: Act, actor: User, revision: int, **changes: Any) -> Act:
    """Change the content of a project still in the drafter's hands.

    ``revision`` is the revision the user edited; if someone saved in between, the change is
    refused (no lost update). Side effects: revision + 1; journal event ``act.updated``.
    """
    with transaction.atomic():
        current = locked(Act, act.pk)
        if not _may_edit(actor, current):
            require_role(actor, current.collectivite, Role.CLERK, Role.ADMIN)
        if current.status not in EDITABLE_STATUSES:
            raise StateConflict(
                _("The project can only be edited while it is a draft or returned to its drafter.")
            )
        if current.revision != revision:
            raise StaleRevision(
                _(
                    "Someone else saved this project in the meantime (revision %(current)d, you "
                    "edited %(yours)d). Reload the page, then apply your changes again."
                )
                % {"current": current.revision, "yours": revision}
            )
        for name in _TEXT_LISTS:
            if name in changes:
                changes[name] = _clean_text_list(name, changes[name])
        changed = apply_changes(current, changes, PROJECT_FIELDS)
        if not changed:
            return current
        full_clean(current, exclude=["drafter"])
        _check_references(current)
        current.revision += 1
        current.save(update_fields=[*changed, "revision", "updated_at"])
        record_event(
            current,
            "act.updated",
            actor=actor,
            data={
                "revision": current.revision,
                "changes": {
                    name: journal_value(getattr(current, name))
                    for name in changed
                    if name not in _TEXT_LISTS and name != "summary"
                },
                "content_changed": sorted(set(changed) & {*_TEXT_LISTS, "summary"}),
            },
        )
    return current


def add_annex(
    *,
    act: Act,
    actor: User,
    stream: IO[bytes],
    filename: str,
    title: str = "",
    transmitted: bool = True,
    piece_type: str = "",
) -> Annex:
    """Attach a PDF to a project after checking it (see core.uploads.inspect_pdf).

    Side effects: stores the file; journal event ``act.annex.added``.
    """
    facts = inspect_pdf(stream)
    with transaction.atomic():
        current = locked(Act, act.pk)
        if not _may_edit(actor, current):
            require_role(actor, current.collectivite, Role.CLERK, Role.ADMIN)
        if current.status not in EDITABLE_STATUSES:
            raise StateConflict(
                _(
                    "Annexes can only be added while the project is a draft or returned to its drafter."
                )
            )
        name = store_bytes(f"annexes/{current.collectivite_id}", facts.content, extension="pdf")
        with removed_on_error(name):
            position = (
                current.annexes.order_by("-position").values_list("position", flat=True).first()
                or 0
            ) + 1
            annex = Annex(
                act=current,
                title=(title or filename)[:255],
                original_name=filename[:255],
                sha256=facts.sha256,
                size=facts.size,
                page_count=facts.page_count,
                position=position,
                transmitted=transmitted,
                piece_type=piece_type,
                uploaded_by=actor,
            )
            annex.file.name = name
            annex.save()
            record_event(
                current,
                "act.annex.added",
                actor=actor,
                data={
                    "annex": annex.pk,
                    "title": annex.title,
                    "sha256": facts.sha256,
                    "pages": facts.page_count,
                    "size": facts.size,
                },
            )
    return annex


def remove_annex(*, annex: Annex, actor: User) -> None:
    """Side effects: deletes the stored file after commit; journal event ``act.annex.removed``."""
    with transaction.atomic():
        current = locked(Act, annex.act_id)
        if not _may_edit(actor, current):
            require_role(actor, current.collectivite, Role.CLERK, Role.ADMIN)
        if current.status not in EDITABLE_STATUSES:
            raise StateConflict(
                _(
                    "Annexes can only be removed while the project is a draft or returned to its drafter."
                )
            )
        name = annex.file.name
        record_event(
            current,
            "act.annex.removed",
            actor=actor,
            data={"annex": annex.pk, "title": annex.title, "sha256": annex.sha256},
        )
        annex.delete()
        transaction.on_commit(lambda: annex.file.storage.delete(name))


def validate_project(*, act: Act, actor: User, comment: str = "") -> Act:
    """Validate a project directly, when no approval circuit applies to it.

    A project in a circuit is validated by its circuit (workflow.services.approve_step); it is
    refused here so that no run is left waiting on a validated act.
    Side effects: status → validated; journal event ``act.validated``.
    """
    with transaction.atomic():
        current = locked(Act, act.pk)
        require_role(actor, current.collectivite, Role.VALIDATOR, Role.ADMIN)
        if current.status == ActStatus.IN_CIRCUIT:
            raise StateConflict(
                _(
                    "This project is in an approval circuit: it is validated when its circuit "
                    "completes. Its sender can recall it while nobody has acted on it."
                )
            )
        ActFlow(current).run("validate")
        current.save(update_fields=["status", "updated_at"])
        record_event(current, "act.validated", actor=actor, data={"comment": comment})
    return current


def withdraw_project(*, act: Act, actor: User, reason: str) -> Act:
    """Abandon a project that has not been voted or signed.

    Side effects: status → withdrawn; journal event ``act.withdrawn``.
    """
    if not reason.strip():
        raise InvalidData(_("Give the reason for withdrawing the project."), field="reason")
    with transaction.atomic():
        current = locked(Act, act.pk)
        if not _may_edit(actor, current):
            require_role(actor, current.collectivite, Role.CLERK, Role.ADMIN)
        ActFlow(current).run("withdraw")
        current.save(update_fields=["status", "updated_at"])
        record_event(current, "act.withdrawn", actor=actor, data={"reason": reason})
    return current


def set_numbering_scheme(
    *,
    collectivite: Collectivite,
    actor: User,
    act_type: ActType | str,
    pattern: str,
    counter_name: str = "acts",
    yearly_reset: bool = True,
) -> NumberingScheme:
    """Configure how acts of one type are numbered; a pattern that can produce an illegal
    ACTES number is refused. Side effects: journal event ``collectivite.numbering.set``."""
    require_role(actor, collectivite, Role.ADMIN)
    parse_pattern(pattern)
    if act_type not in ActType.values:
        raise InvalidData(_("Unknown act type: %(type)s.") % {"type": act_type}, field="act_type")
    with transaction.atomic():
        scheme, _created = NumberingScheme.objects.update_or_create(
            collectivite=collectivite,
            act_type=act_type,
            defaults={
                "pattern": pattern,
                "counter_name": counter_name,
                "yearly_reset": yearly_reset,
            },
        )
        full_clean(scheme)
        record_event(
            collectivite,
            "collectivite.numbering.set",
            actor=actor,
            data={
                "type": str(act_type),
                "pattern": pattern,
                "counter": counter_name,
                "yearly_reset": yearly_reset,
            },
        )
    return scheme


def _locked_counter(collectivite_id: int, name: str, year: int) -> Counter:
    counter = (
        Counter.objects.select_for_update()
        .filter(collectivite_id=collectivite_id, name=name, year=year)
        .first()
    )
    if counter is not None:
        return counter
    try:
        with transaction.atomic():
            Counter.objects.create(collectivite_id=collectivite_id, name=name, year=year)
    except IntegrityError:
        pass  # created concurrently; the lock below waits for that transaction
    return Counter.objects.select_for_update().get(
        collectivite_id=collectivite_id, name=name, year=year
    )


def number_act(*, act: Act, actor: User, on: dt.date | None = None) -> Act:
    """Give ``act`` the next number of its counter; gap-free and unique under concurrency.

    Call inside the transaction that makes the act official (vote, signature): if it rolls
    back, the counter rolls back with it. Idempotent: a numbered act keeps its number.
    Side effects: bumps the counter; journal event ``act.numbered``.
    """
    with transaction.atomic():
        current = locked(Act, act.pk)
        if current.number:
            return current
        scheme = NumberingScheme.objects.filter(
            collectivite_id=current.collectivite_id, act_type=current.act_type
        ).first()
        if scheme is None:
            raise NumberingError(
                _(
                    "No numbering pattern is configured for the type “%(type)s”: an "
                    "administrator must set one in the collectivité's settings."
                )
                % {"type": ActType(current.act_type).label}
            )
        pattern = parse_pattern(scheme.pattern)
        day = on or timezone.localdate()
        counter = _locked_counter(
            current.collectivite_id, scheme.counter_name, day.year if scheme.yearly_reset else 0
        )
        value = counter.last_value + 1
        number = pattern.format(sequence=value, on=day)
        if Act.objects.filter(collectivite_id=current.collectivite_id, number=number).exists():
            raise NumberingError(
                _(
                    "The number %(number)s is already used by another act: two numbering "
                    "patterns overlap. Ask an administrator to make them distinct."
                )
                % {"number": number}
            )
        counter.last_value = value
        counter.save(update_fields=["last_value"])
        current.number = number
        current.number_year = day.year
        current.numbered_at = timezone.now()
        current.save(update_fields=["number", "number_year", "numbered_at", "updated_at"])
        record_event(
            current,
            "act.numbered",
            actor=actor,
            data={"number": number, "counter": scheme.counter_name, "sequence": value},
        )
    return current


def assign_number(*, act: Act, actor: User, on: dt.date | None = None) -> Act:
    """Number an act that is not voted (arrêté, decision…) before it is signed.

    Deliberations are numbered when their vote is recorded. Side effects: see number_act.
    """
    require_role(actor, act.collectivite, Role.CLERK, Role.ADMIN)
    if act.is_voted_type:
        raise StateConflict(_("A deliberation receives its number when its vote is recorded."))
    if act.status in (ActStatus.DRAFT, ActStatus.RETURNED, ActStatus.WITHDRAWN):
        raise StateConflict(_("Only a validated or circulating act can be numbered."))
    return number_act(act=act, actor=actor, on=on)
