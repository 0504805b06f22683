"""Reads shared by services and interfaces."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .enums import AttendanceStatus
from .models import (
    Act,
    AgendaItem,
    Assembly,
    ClassificationVersion,
    Collectivite,
    ItemAttendance,
    Mandate,
    Seance,
)
from .permissions import collectivite_ids_for
from .rules import ItemCount, Presence, clear_days, count_item, required_clear_days


def seance_day(seance: Seance) -> dt.date:
    return timezone.localtime(seance.date).date()


def members_in_office(assembly: Assembly, on: dt.date) -> QuerySet[Mandate]:
    return (
        Mandate.objects.filter(assembly=assembly)
        .in_office(on)
        .select_related("official")
        .order_by("rank", "official__last_name", "official__first_name")
    )


def item_presences(item: AgendaItem) -> list[Presence]:
    return [
        Presence(
            mandate_id=row.mandate_id,
            status=AttendanceStatus(row.status),
            proxy_holder_id=row.proxy_holder_id,
            interested=row.interested,
        )
        for row in ItemAttendance.objects.filter(item=item)
    ]


def item_count(item: AgendaItem) -> ItemCount:
    seance = item.seance
    office = members_in_office(seance.assembly, seance_day(seance)).values_list("pk", flat=True)
    return count_item(list(office), item_presences(item))


@dataclass(frozen=True)
class ConvocationCheck:
    clear_days: int | None
    required: int
    ok: bool

    @property
    def message(self) -> str:
        if self.clear_days is None:
            return _("The convocation has not been sent yet.")
        if self.ok:
            return _(
                "Convocation delay respected: %(days)d clear days (%(required)d required)."
            ) % {
                "days": self.clear_days,
                "required": self.required,
            }
        return _(
            "Only %(days)d clear days between the convocation and the séance: the law requires "
            "%(required)d. Postpone the séance, or declare the urgency and justify it at the "
            "opening of the séance."
        ) % {"days": max(self.clear_days, 0), "required": self.required}


def convocation_check(seance: Seance, convocation_date: dt.date | None = None) -> ConvocationCheck:
    sent = convocation_date or seance.convocation_date
    required = required_clear_days(
        seance.collectivite.convocation_clear_days, urgency=seance.urgency
    )
    if sent is None:
        return ConvocationCheck(None, required, False)
    days = clear_days(sent, seance_day(seance))
    return ConvocationCheck(days, required, days >= required)


def current_classification(collectivite: Collectivite) -> ClassificationVersion | None:
    return ClassificationVersion.objects.filter(collectivite=collectivite, is_current=True).first()


def visible_acts(user: Any) -> QuerySet[Act]:
    return Act.objects.filter(collectivite_id__in=collectivite_ids_for(user))


def visible_seances(user: Any) -> QuerySet[Seance]:
    return Seance.objects.filter(collectivite_id__in=collectivite_ids_for(user))


def agenda(seance: Seance) -> QuerySet[AgendaItem]:
    return seance.items.select_related(
        "act", "act__rapporteur__official", "vote", "postponed_to"
    ).order_by("position")


def next_seances(
    collectivite: Collectivite, *, after: dt.datetime | None = None
) -> QuerySet[Seance]:
    return (
        Seance.objects.filter(collectivite=collectivite, date__gte=after or timezone.now())
        .exclude(status="closed")
        .order_by("date")
    )
