"""Delegations: who acts for whom, when, on what (created by the delegator or an administrator)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberations.enums import ActType, Role
from deliberations.models import Collectivite, Membership, User
from deliberations.permissions import has_role, require_role
from deliberations.services._common import locked
from workflow.journal import record_event

from ..enums import DelegationScope
from ..exceptions import InvalidWorkflowInput, NotAuthorised
from ..models import Delegation

_MATIERE_CODE = re.compile(r"^[0-9]{1,2}(\.[0-9]{1,2}){0,4}$")


def _clean_codes(codes: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for raw in codes:
        code = (raw or "").strip().rstrip(".")
        if not code:
            continue
        if not _MATIERE_CODE.fullmatch(code):
            raise InvalidWorkflowInput(
                _("“%(code)s” is not a classification code: write it like 7 or 7.1.")
                % {"code": raw},
                field="matiere_codes",
            )
        if code not in cleaned:
            cleaned.append(code)
    return sorted(cleaned)


def _clean_types(act_types: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for value in act_types:
        if value not in ActType.values:
            raise InvalidWorkflowInput(
                _("Unknown act type: %(type)s.") % {"type": value}, field="act_types"
            )
        if value not in cleaned:
            cleaned.append(str(value))
    return sorted(cleaned)


def create_delegation(
    *,
    collectivite: Collectivite,
    actor: User,
    delegator: User,
    delegate: User,
    starts_on: dt.date,
    ends_on: dt.date,
    act_types: Iterable[str] = (),
    matiere_codes: Iterable[str] = (),
    quality: str = "",
    reference: str = "",
    scope: str = DelegationScope.ACTS,
) -> Delegation:
    """Let ``delegate`` act on ``delegator``'s folders from ``starts_on`` to ``ends_on``
    (inclusive), for the act types and matières given (none: all). ``scope`` says whether it
    covers acts, treasury flows (PES: the signature of bordereaux), or both.

    Who: the delegator for themselves, or an administrator. Both people must belong to the
    collectivité. Side effects: journal event ``workflow.delegation.created``.
    """
    if actor.pk != delegator.pk:
        require_role(actor, collectivite, Role.ADMIN)
    if delegate.pk == delegator.pk:
        raise InvalidWorkflowInput(_("Choose someone else than the delegator."), field="delegate")
    if ends_on < starts_on:
        raise InvalidWorkflowInput(
            _("The delegation must end on or after the day it starts."), field="ends_on"
        )
    if ends_on < timezone.localdate():
        raise InvalidWorkflowInput(
            _("This delegation would already be over: check its end date."), field="ends_on"
        )
    if scope not in DelegationScope.values:
        raise InvalidWorkflowInput(_("Unknown delegation scope."), field="scope")
    types = _clean_types(act_types)
    codes = _clean_codes(matiere_codes)
    members = set(
        Membership.objects.filter(
            collectivite=collectivite, user_id__in=[delegator.pk, delegate.pk]
        ).values_list("user_id", flat=True)
    )
    if delegator.pk not in members:
        raise InvalidWorkflowInput(
            _("The delegator does not belong to this collectivité."), field="delegator"
        )
    if delegate.pk not in members:
        raise InvalidWorkflowInput(
            _("The delegate does not belong to this collectivité."), field="delegate"
        )
    with transaction.atomic():
        delegation = Delegation.objects.create(
            collectivite=collectivite,
            delegator=delegator,
            delegate=delegate,
            starts_on=starts_on,
            ends_on=ends_on,
            act_types=types,
            matiere_codes=codes,
            quality=(quality or "").strip(),
            reference=(reference or "").strip(),
            scope=scope,
            created_by=actor,
        )
        record_event(
            delegation,
            "workflow.delegation.created",
            actor=actor,
            on_behalf_of=delegator if actor.pk != delegator.pk else None,
            data={
                "delegation": delegation.pk,
                "delegator": delegator.pk,
                "delegate": delegate.pk,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "act_types": types,
                "matiere_codes": codes,
                "quality": delegation.quality,
                "reference": delegation.reference,
                "scope": str(scope),
            },
        )
    return delegation


def revoke_delegation(*, delegation: Delegation, actor: User) -> Delegation:
    """End a delegation now (the delegator or an administrator). Idempotent.

    Decisions already taken by the delegate stay valid. Side effects: journal event
    ``workflow.delegation.revoked``.
    """
    with transaction.atomic():
        current = locked(Delegation, delegation.pk)
        if actor.pk != current.delegator_id and not has_role(
            actor, current.collectivite_id, Role.ADMIN
        ):
            raise NotAuthorised(
                _("Only the delegator or an administrator can revoke this delegation.")
            )
        if current.revoked_at is not None:
            return current
        current.revoked_at = timezone.now()
        current.revoked_by = actor
        current.save(update_fields=["revoked_at", "revoked_by"])
        record_event(
            current,
            "workflow.delegation.revoked",
            actor=actor,
            data={"delegation": current.pk, "delegator": current.delegator_id},
        )
    return current
