"""Configuring a collectivité: identity, members, services, assemblies, elected officials."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from workflow.journal import record_event

from ..enums import ActType, AssemblyKind, CollectiviteKind, MandateRole, Role
from ..exceptions import InvalidData, NotAllowed
from ..models import (
    Assembly,
    Collectivite,
    ElectedOfficial,
    Mandate,
    Membership,
    NumberingScheme,
    Service,
    User,
)
from ..permissions import forget_roles, require_role, same_collectivite
from ._common import apply_changes, full_clean, journal_value, locked

#: Numbering every new collectivité starts with (administrators change them in the settings).
DEFAULT_NUMBERING = {
    ActType.DELIBERATION: ("DEL{YYYY}_{SEQ:4}", "deliberations"),
    ActType.ARRETE: ("AR{YYYY}_{SEQ:4}", "arretes"),
    ActType.DECISION: ("DEC{YYYY}_{SEQ:4}", "decisions"),
    ActType.CONTRACT: ("CTR{YYYY}_{SEQ:4}", "contracts"),
    ActType.OTHER: ("ACT{YYYY}_{SEQ:4}", "others"),
}

COLLECTIVITE_FIELDS = (
    "name",
    "kind",
    "siren",
    "siret",
    "departement",
    "population",
    "address",
    "postal_code",
    "city",
    "email",
    "website",
    "logo",
    "actes_arrondissement",
    "actes_nature",
    "prefecture_id",
    "pes_id_coll",
    "pes_cod_col",
    "pes_cod_bud",
    "pes_id_post",
)


def create_collectivite(
    *,
    actor: User,
    name: str,
    slug: str,
    kind: CollectiviteKind | str,
    siren: str,
    departement: str,
    population: int = 0,
    is_training: bool = False,
    **fields: Any,
) -> Collectivite:
    """Create a collectivité (platform staff only), with the default numbering patterns.

    A training sandbox (``is_training``, see training.services) may also be created by the
    administrator of a real collectivité. Side effects: journal event ``collectivite.created``.
    """
    if not actor.is_superuser and not (
        is_training
        and Membership.objects.filter(
            user=actor, role=Role.ADMIN, collectivite__is_training=False
        ).exists()
    ):
        raise NotAllowed(_("Only the platform administrators can create a collectivité."))
    with transaction.atomic():
        collectivite = Collectivite(
            name=name,
            slug=slug,
            kind=kind,
            siren=siren,
            departement=departement,
            population=population,
            is_training=is_training,
        )
        apply_changes(collectivite, fields, COLLECTIVITE_FIELDS)
        full_clean(collectivite)
        collectivite.save()
        NumberingScheme.objects.bulk_create(
            [
                NumberingScheme(
                    collectivite=collectivite,
                    act_type=act_type,
                    pattern=pattern,
                    counter_name=counter,
                )
                for act_type, (pattern, counter) in DEFAULT_NUMBERING.items()
            ]
        )
        record_event(
            collectivite,
            "collectivite.created",
            actor=actor,
            data={"name": name, "siren": siren, "kind": str(kind), "training": is_training},
        )
    return collectivite


def update_collectivite(*, collectivite: Collectivite, actor: User, **changes: Any) -> Collectivite:
    """Change the identity or settings of a collectivité (its administrators).

    Side effects: journal event ``collectivite.updated`` listing the changed fields.
    """
    require_role(actor, collectivite, Role.ADMIN)
    with transaction.atomic():
        current = locked(Collectivite, collectivite.pk)
        changed = apply_changes(current, changes, COLLECTIVITE_FIELDS)
        if not changed:
            return current
        full_clean(current)
        current.save(update_fields=changed)
        record_event(
            current,
            "collectivite.updated",
            actor=actor,
            data={
                name: journal_value(getattr(current, name)) for name in changed if name != "logo"
            },
        )
    return current


def grant_role(
    *, collectivite: Collectivite, actor: User, user: User, role: Role | str
) -> Membership:
    """Give ``user`` a role in ``collectivite``. Idempotent.

    Side effects: journal event ``collectivite.role.granted`` when the role is new.
    """
    require_role(actor, collectivite, Role.ADMIN)
    if role not in Role.values:
        raise InvalidData(_("Unknown role: %(role)s.") % {"role": role})
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            user=user, collectivite=collectivite, role=role
        )
        if created:
            record_event(
                collectivite,
                "collectivite.role.granted",
                actor=actor,
                data={"user": user.pk, "username": user.username, "role": str(role)},
            )
    forget_roles(user)
    return membership


def revoke_role(*, collectivite: Collectivite, actor: User, user: User, role: Role | str) -> None:
    """Remove a role. An administrator cannot remove the last administrator.

    Side effects: journal event ``collectivite.role.revoked``.
    """
    require_role(actor, collectivite, Role.ADMIN)
    with transaction.atomic():
        locked(Collectivite, collectivite.pk)
        membership = Membership.objects.filter(
            user=user, collectivite=collectivite, role=role
        ).first()
        if membership is None:
            return
        if role == Role.ADMIN and (
            Membership.objects.filter(collectivite=collectivite, role=Role.ADMIN).count() == 1
        ):
            raise InvalidData(
                _("This is the last administrator of the collectivité: name another one first.")
            )
        membership.delete()
        record_event(
            collectivite,
            "collectivite.role.revoked",
            actor=actor,
            data={"user": user.pk, "username": user.username, "role": str(role)},
        )
    forget_roles(user)


def create_service(
    *, collectivite: Collectivite, actor: User, name: str, code: str = ""
) -> Service:
    """Side effects: journal event ``collectivite.service.created``."""
    require_role(actor, collectivite, Role.ADMIN)
    with transaction.atomic():
        service = Service(collectivite=collectivite, name=name, code=code)
        full_clean(service)
        service.save()
        record_event(
            collectivite,
            "collectivite.service.created",
            actor=actor,
            data={"service": service.pk, "name": name},
        )
    return service


def create_assembly(
    *,
    collectivite: Collectivite,
    actor: User,
    name: str,
    kind: AssemblyKind | str,
    quorum_required: bool = True,
) -> Assembly:
    """Side effects: journal event ``collectivite.assembly.created``."""
    require_role(actor, collectivite, Role.ADMIN)
    with transaction.atomic():
        assembly = Assembly(
            collectivite=collectivite, name=name, kind=kind, quorum_required=quorum_required
        )
        full_clean(assembly)
        assembly.save()
        record_event(
            collectivite,
            "collectivite.assembly.created",
            actor=actor,
            data={"assembly": assembly.pk, "name": name, "kind": str(kind)},
        )
    return assembly


def create_elected_official(
    *,
    collectivite: Collectivite,
    actor: User,
    civility: str,
    first_name: str,
    last_name: str,
    email: str = "",
    user: User | None = None,
) -> ElectedOfficial:
    """Side effects: journal event ``collectivite.official.created``."""
    require_role(actor, collectivite, Role.ADMIN)
    with transaction.atomic():
        official = ElectedOfficial(
            collectivite=collectivite,
            civility=civility,
            first_name=first_name,
            last_name=last_name,
            email=email,
            user=user,
        )
        full_clean(official)
        official.save()
        record_event(
            collectivite,
            "collectivite.official.created",
            actor=actor,
            data={"official": official.pk, "name": official.full_name},
        )
    return official


def update_elected_official(
    *, official: ElectedOfficial, actor: User, **changes: Any
) -> ElectedOfficial:
    """Side effects: journal event ``collectivite.official.updated``."""
    require_role(actor, official.collectivite, Role.ADMIN)
    with transaction.atomic():
        current = locked(ElectedOfficial, official.pk)
        changed = apply_changes(
            current, changes, ("civility", "first_name", "last_name", "email", "user")
        )
        if changed:
            full_clean(current)
            current.save(update_fields=changed)
            record_event(
                current.collectivite,
                "collectivite.official.updated",
                actor=actor,
                data={
                    "official": current.pk,
                    **{f: journal_value(getattr(current, f)) for f in changed},
                },
            )
    return current


def create_mandate(
    *,
    official: ElectedOfficial,
    actor: User,
    assembly: Assembly,
    role: MandateRole | str,
    start_date: dt.date,
    end_date: dt.date | None = None,
    quality: str = "",
    political_group: str = "",
    rank: int = 100,
) -> Mandate:
    """Seat an elected official in an assembly for a period.

    Refused when the official already sits in that assembly over an overlapping period.
    Side effects: journal event ``collectivite.mandate.created``.
    """
    collectivite = official.collectivite
    require_role(actor, collectivite, Role.ADMIN)
    same_collectivite(collectivite, assembly)
    with transaction.atomic():
        mandate = Mandate(
            official=official,
            assembly=assembly,
            role=role,
            start_date=start_date,
            end_date=end_date,
            quality=quality,
            political_group=political_group,
            rank=rank,
        )
        full_clean(mandate)
        overlapping = Mandate.objects.filter(official=official, assembly=assembly).exclude(
            end_date__lt=start_date
        )
        if end_date is not None:
            overlapping = overlapping.exclude(start_date__gt=end_date)
        if overlapping.exists():
            raise InvalidData(
                _("%(name)s already sits in %(assembly)s during this period.")
                % {"name": official.full_name, "assembly": assembly.name}
            )
        mandate.save()
        record_event(
            collectivite,
            "collectivite.mandate.created",
            actor=actor,
            data={
                "mandate": mandate.pk,
                "official": official.pk,
                "assembly": assembly.pk,
                "role": str(role),
                "start": start_date,
                "end": end_date,
            },
        )
    return mandate


def end_mandate(*, mandate: Mandate, actor: User, end_date: dt.date) -> Mandate:
    """Side effects: journal event ``collectivite.mandate.ended``."""
    collectivite = mandate.assembly.collectivite
    require_role(actor, collectivite, Role.ADMIN)
    with transaction.atomic():
        current = locked(Mandate, mandate.pk)
        if end_date < current.start_date:
            raise InvalidData(_("A mandate cannot end before it starts."))
        current.end_date = end_date
        current.save(update_fields=["end_date"])
        record_event(
            collectivite,
            "collectivite.mandate.ended",
            actor=actor,
            data={"mandate": current.pk, "end": end_date},
        )
    return current
