"""Training sandboxes (docs/adr/0010-training-sandbox.md).

A sandbox is a ``Collectivite`` with ``is_training``: the demo commune of ``deliberations.demo``
(council, users for every role, classification, circuits, projects in every state, séances,
treasury flows) under another name, whose characters log in with a password given once to the
administrator who created it. Nothing is ever transmitted from it: the prefecture connector is
simulated, S2LOW is never called, PES flows are refused, e-mails are never sent (the
notifications stay in the application), the public portal does not list it and the instance's
open data leaves it out. Every page of it shows a "training" banner.

Resetting deletes all its data (``training.purge``) and loads the demo again, in one
transaction. The journal is never deleted: the sandbox's old chains stay, intact and
verifiable, and the reset itself is journaled (``training.sandbox.reset``).

Journal: ``training.sandbox.created`` and ``training.sandbox.reset`` on the sandbox's chain,
plus every event of the services the demo is built with.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from deliberations import services as deliberations
from deliberations.demo import (
    Demo,
    build_collectivite,
    furnish_collectivite,
    no_email,
    populate,
)
from deliberations.enums import Role
from deliberations.models import Collectivite, User
from deliberations.permissions import require_role
from deliberations.services._common import locked
from deliberations.validators import luhn_complete
from workflow.journal import record_event

from .exceptions import NotASandbox, SandboxNotAllowed, SandboxRefused
from .purge import Purge, purge_collectivite
from .selectors import may_create, suffix, usernames_of

#: Fictitious SIRENs of sandboxes: "999" then a serial (never a real public body's).
SIREN_PREFIX = "999"


@dataclass
class Sandbox:
    collectivite: Collectivite
    #: The characters' logins, and their password (shown once; None after a reset: unchanged).
    usernames: list[str] = field(default_factory=list)
    password: str | None = None
    purged: Purge | None = None


def _free_siren_body() -> str:
    taken = set(
        Collectivite.objects.filter(siren__startswith=SIREN_PREFIX).values_list("siren", flat=True)
    )
    for serial in range(100000):
        body = f"{SIREN_PREFIX}{serial:05d}"
        if luhn_complete(body) not in taken:
            return body
    raise SandboxRefused(_("No more room for training sandboxes on this instance."))


def _simulated_prefecture(demo: Demo) -> None:
    """A folder connector, so that trainees can prepare and "send" acts: the training
    connector simulates every delivery (exports.actes.connectors.TrainingConnector)."""
    from exports.actes.connectors import scope
    from exports.actes.services import update_tdt_settings

    root, _prefix = scope(demo.collectivite)
    update_tdt_settings(
        collectivite=demo.collectivite,
        actor=demo.users["admin"],
        connector="folder",
        folder_path=str(root / "depot"),
        return_emails=["formation@example.org"],  # never used: nothing is sent
    )


def create_sandbox(*, actor: User, name: str, slug: str = "") -> Sandbox:
    """Create a training collectivité with the demo data; ``actor`` becomes its administrator.

    Who: platform staff and the administrators of a real collectivité. Refused when the name is
    empty or the short name is taken. Side effects: the collectivité, its characters (users
    ``<role>.<slug>`` sharing one random password, returned once), the demo data; journal
    ``training.sandbox.created``; nothing is e-mailed.
    """
    if not may_create(actor):
        raise SandboxNotAllowed(
            _("Only an administrator of a collectivité can create a training sandbox.")
        )
    name = " ".join((name or "").split())
    if not name:
        raise SandboxRefused(_("Give the sandbox a name."), field="name")
    slug = slugify(slug or name)
    if not slug.startswith("formation"):
        slug = f"formation-{slug}"
    slug = slug[:60].strip("-")
    if not slug or Collectivite.objects.filter(slug=slug).exists():
        raise SandboxRefused(
            _("The short name %(slug)s is already taken: choose another name.") % {"slug": slug},
            field="name",
        )
    password = secrets.token_urlsafe(9)
    with no_email(), transaction.atomic():
        demo = build_collectivite(
            slug=slug,
            name=name[:200],
            siren_body=_free_siren_body(),
            usernames_suffix=f".{slug}",
            creator=actor,
            password=password,
            is_training=True,
        )
        populate(demo)
        _simulated_prefecture(demo)
        collectivite = demo.collectivite
        deliberations.grant_role(
            collectivite=collectivite, actor=demo.users["admin"], user=actor, role=Role.ADMIN
        )
        record_event(
            collectivite,
            "training.sandbox.created",
            actor=actor,
            data={
                "name": collectivite.name,
                "slug": slug,
                "characters": usernames_of(collectivite),
            },
        )
    return Sandbox(
        collectivite=collectivite, usernames=usernames_of(collectivite), password=password
    )


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def reset_sandbox(*, collectivite: Collectivite, actor: User) -> Sandbox:
    """Delete every datum of a training sandbox and load the demo again (its administrators).

    Kept: the collectivité, its members' roles and numbering patterns, the characters and their
    password, and the journal (append-only). Refused for a collectivité that is not a training
    sandbox. Side effects: deletes the rows and, after commit, their stored files; journal
    ``training.sandbox.reset`` with what was deleted; nothing is e-mailed.
    """
    require_role(actor, collectivite, Role.ADMIN)
    if not collectivite.is_training:
        raise NotASandbox(
            _("%(name)s is not a training sandbox: its data is never deleted.")
            % {"name": collectivite.name}
        )
    with no_email(), transaction.atomic():
        current = locked(Collectivite, collectivite.pk)
        if not current.is_training:
            raise NotASandbox(
                _("%(name)s is not a training sandbox: its data is never deleted.")
                % {"name": current.name}
            )
        purged = purge_collectivite(current)
        demo = furnish_collectivite(current, usernames_suffix=suffix(current), password=None)
        populate(demo)
        _simulated_prefecture(demo)
        record_event(
            current,
            "training.sandbox.reset",
            actor=actor,
            data={"deleted": purged.rows, "rows": purged.total, "files": len(purged.files)},
        )
        names = list(purged.files)
        transaction.on_commit(lambda: _delete_files(names))
    return Sandbox(collectivite=current, usernames=usernames_of(current), purged=purged)
