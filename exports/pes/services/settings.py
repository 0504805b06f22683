"""The collectivité's treasury exchange settings (administrators)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from deliberations.enums import Role
from deliberations.models import Collectivite, Membership, User
from deliberations.permissions import require_role
from workflow.journal import record_event

from ..enums import Connector
from ..exceptions import PesNotConfigured
from ..models import PesSettings


def update_settings(
    *,
    collectivite: Collectivite,
    actor: User,
    connector: str,
    drop_folder: str = "",
    inbox_folder: str = "",
    inbox_user: User | None = None,
) -> PesSettings:
    """Choose how flows reach the treasury and where files arrive.

    Who: an administrator. The person the watched folder imports for must belong to the
    collectivité. Side effects: the settings row; journal event ``pes.settings.updated`` on the
    collectivité's chain.
    """
    require_role(actor, collectivite, Role.ADMIN)
    if connector not in Connector.values:
        raise PesNotConfigured(_("Unknown connector."), field="connector")
    if (
        inbox_user is not None
        and not Membership.objects.filter(user=inbox_user, collectivite=collectivite).exists()
    ):
        raise PesNotConfigured(
            _("The person named for the imports must belong to the collectivité."),
            field="inbox_user",
        )
    with transaction.atomic():
        row, _created = PesSettings.objects.select_for_update().get_or_create(
            collectivite=collectivite
        )
        values: dict[str, Any] = {
            "connector": connector,
            "drop_folder": drop_folder.strip(),
            "inbox_folder": inbox_folder.strip(),
            "inbox_user": inbox_user,
        }
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_by = actor
        row.save()
        record_event(
            row,
            "pes.settings.updated",
            actor=actor,
            data={
                "connector": connector,
                "drop_folder": row.drop_folder,
                "inbox_folder": row.inbox_folder,
                "inbox_user": inbox_user.pk if inbox_user else None,
            },
        )
    return row
