"""The connector settings of a collectivité, and fetching its classification from S2LOW.

Journal codes (on the collectivité's chain): ``collectivite.tdt_settings.updated``;
``collectivite.classification.imported`` comes from deliberations.services.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from deliberations.enums import Role
from deliberations.models import ClassificationVersion, Collectivite, User
from deliberations.permissions import require_role
from deliberations.services import import_classification
from deliberations.services._common import locked
from workflow.journal import record_event

from ..builder import EMAIL_RE
from ..connectors import ENV_NAME_RE, S2lowConnector, location_problem, scope
from ..enums import TdtConnector
from ..exceptions import InvalidTdtSettings, TdtNotConfigured
from ..models import TdtSettings

EDITABLE = (
    "connector",
    "folder_path",
    "return_folder_path",
    "s2low_url",
    "client_cert",
    "client_key",
    "key_password_env",
    "ca_file",
    "timeout_seconds",
    "return_emails",
    "referent_name",
    "referent_phone",
    "referent_email",
)
_PATH_FIELDS = ("folder_path", "return_folder_path", "client_cert", "client_key", "ca_file")


def _check_location(name: str, value: str, collectivite: Collectivite) -> None:
    if not value:
        return
    if "-----BEGIN" in value or "\n" in value:
        raise InvalidTdtSettings(
            _(
                "Give the path of the file (or env:NAME), never its content: keys and "
                "certificates are not stored in Délibre."
            ),
            field=name,
        )
    problem = location_problem(value, collectivite=collectivite)
    if problem:
        raise InvalidTdtSettings(problem, field=name)


def _check(values: dict[str, Any], collectivite: Collectivite) -> None:
    if values["connector"] not in TdtConnector.values:
        raise InvalidTdtSettings(_("Choose a connector."), field="connector")
    for name in _PATH_FIELDS:
        _check_location(name, values[name], collectivite)
    password = values["key_password_env"]
    _root, prefix = scope(collectivite)
    if password and (not ENV_NAME_RE.match(password) or not password.startswith(prefix)):
        raise InvalidTdtSettings(
            _(
                "Write the name of the environment variable that holds the password, starting "
                "with %(prefix)s (such as %(prefix)sKEY_PASSWORD), never the password itself."
            )
            % {"prefix": prefix},
            field="key_password_env",
        )
    if values["connector"] == TdtConnector.FOLDER and not values["folder_path"]:
        raise InvalidTdtSettings(
            _("Give the drop folder where the archives are written."), field="folder_path"
        )
    if values["connector"] == TdtConnector.S2LOW:
        if not str(values["s2low_url"]).startswith("https://"):
            raise InvalidTdtSettings(
                _("The S2LOW address must start with https://."), field="s2low_url"
            )
        if not values["client_cert"]:
            raise InvalidTdtSettings(
                _("Give the collectivité's client certificate for S2LOW."), field="client_cert"
            )
    emails = values["return_emails"]
    if not isinstance(emails, list) or not emails:
        raise InvalidTdtSettings(
            _("Give at least one e-mail address where the prefecture's returns are announced."),
            field="return_emails",
        )
    for email in [*emails, values["referent_email"]]:
        if email and not EMAIL_RE.match(email):
            raise InvalidTdtSettings(
                _("%(email)s is not an e-mail address the ACTES format accepts.")
                % {"email": email},
                field="return_emails",
            )
    if not 1 <= int(values["timeout_seconds"] or 0) <= 300:
        raise InvalidTdtSettings(
            _("The timeout is between 1 and 300 seconds."), field="timeout_seconds"
        )


def update_tdt_settings(*, collectivite: Collectivite, actor: User, **changes: Any) -> TdtSettings:
    """Create or change the collectivité's connector settings (administrators).

    Paths are checked for form (absolute, or env:NAME), never resolved here: the server that
    sends may differ from the one serving the page. Side effects: journal
    ``collectivite.tdt_settings.updated`` with the names of the changed fields.
    """
    require_role(actor, collectivite, Role.ADMIN)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidTdtSettings(
            _("Unknown setting: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        )
    if isinstance(changes.get("return_emails"), str):
        changes["return_emails"] = [
            e.strip() for e in re.split(r"[\s,;]+", changes["return_emails"]) if e.strip()
        ]
    with transaction.atomic():
        locked(Collectivite, collectivite.pk)
        current = TdtSettings.objects.filter(collectivite=collectivite).first()
        created = current is None
        if current is None:
            current = TdtSettings(collectivite=collectivite)
        values = {name: changes.get(name, getattr(current, name)) for name in EDITABLE}
        for name in (*_PATH_FIELDS, "key_password_env", "referent_name", "referent_phone"):
            values[name] = str(values[name] or "").strip()
        _check(values, collectivite)
        changed = [name for name in EDITABLE if getattr(current, name) != values[name]]
        for name in changed:
            setattr(current, name, values[name])
        current.updated_by = actor
        current.save()
        if changed or created:
            record_event(
                collectivite,
                "collectivite.tdt_settings.updated",
                actor=actor,
                data={"changed": changed, "connector": current.connector, "created": created},
            )
    return current


def fetch_classification(*, collectivite: Collectivite, actor: User) -> ClassificationVersion:
    """Download the prefecture's classification through S2LOW and import it (administrators).

    Side effects: deliberations.services.import_classification.
    """
    require_role(actor, collectivite, Role.ADMIN)
    tdt = TdtSettings.objects.filter(collectivite=collectivite).first()
    if tdt is None or tdt.connector != TdtConnector.S2LOW:
        raise TdtNotConfigured(
            _(
                "The classification is fetched through S2LOW only. With the folder connector, "
                "import the classification file received from the prefecture."
            )
        )
    content = S2lowConnector(tdt).client.download_classification()
    return import_classification(
        collectivite=collectivite, actor=actor, content=content, source_name="S2LOW"
    )
