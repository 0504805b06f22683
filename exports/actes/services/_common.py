"""Helpers shared by the transmission services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Max
from django.utils import timezone

from deliberations.enums import Role
from deliberations.models import Collectivite
from deliberations.permissions import require_role

from ..builder import Collectivite as ActesSender
from ..builder import Referent
from ..models import TdtSettings, Transmission

#: Who may prepare, send, answer and cancel: clerks and administrators.
OPERATORS = (Role.CLERK, Role.ADMIN)


def require_operator(actor: Any, collectivite: Collectivite) -> None:
    """``actor`` None is Délibre itself (a task, a command run by the operator of the server)."""
    if actor is not None:
        require_role(actor, collectivite, *OPERATORS)


def next_serial(collectivite: Collectivite, day: dt.date) -> int:
    """The next envelope serial of the day. Call with the collectivité row locked."""
    last = Transmission.objects.filter(collectivite=collectivite, sent_on=day).aggregate(
        last=Max("serial")
    )["last"]
    return (last or 0) + 1


def sender(collectivite: Collectivite, tdt: TdtSettings | None) -> ActesSender:
    """The envelope's sender block from the collectivité and its settings.

    Without settings (``export_actes`` before any configuration) the collectivité's e-mail is
    the return address. The builder refuses anything the schema would reject.
    """
    emails = [e for e in (tdt.return_emails if tdt else []) if e] or (
        [collectivite.email] if collectivite.email else []
    )
    referent = None
    if tdt is not None and (tdt.referent_name or tdt.referent_phone or tdt.referent_email):
        referent = Referent(
            name=tdt.referent_name, telephone=tdt.referent_phone, email=tdt.referent_email
        )
    arrondissement = collectivite.actes_arrondissement or "0"
    return ActesSender(
        siren=collectivite.siren,
        departement=collectivite.departement,
        arrondissement=int(arrondissement) if arrondissement.isdigit() else -1,
        nature=collectivite.actes_nature,
        return_emails=tuple(emails),
        referent=referent,
    )


def today() -> dt.date:
    return timezone.localdate()
