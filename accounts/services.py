"""Login security: the security journal, the second factor (TOTP) and its recovery codes.

Security events go to the "delibre.security" log and to the audit journal: on the user's chain
(``user:<id>``, shared with their certificates) when the account exists, else on the platform
chain ``platform:security`` (attempts on unknown usernames). Attempts refused while an account
is locked are only logged, so that a flood cannot grow the journal without bound.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberations.enums import Role
from deliberations.models import Membership, User
from workflow.journal import record_event

from . import totp
from .exceptions import InvalidCode, TwoFactorRequired
from .models import TwoFactor

log = logging.getLogger("delibre.security")

PLATFORM_CHAIN = "platform:security"
RECOVERY_CODES = 10
#: Roles that must use a second factor when DELIBRE_REQUIRE_2FA is on (they sign or configure).
ROLES_NEEDING_2FA = (Role.SIGNER, Role.ADMIN)


class _Meta:
    def __init__(self, label_lower: str):
        self.label_lower = label_lower


@dataclass
class _JournalTarget:
    """What a security event is about, for ``record_event`` (an account or the platform)."""

    key: str
    label: str
    ident: str
    text: str

    @property
    def _meta(self) -> _Meta:
        return _Meta(self.label)

    @property
    def pk(self) -> str:
        return self.ident

    @property
    def journal_chain_key(self) -> str:
        return self.key

    def __str__(self) -> str:
        return self.text


def _target(user: User | None, username: str) -> _JournalTarget:
    if user is not None:
        return _JournalTarget(f"user:{user.pk}", "deliberations.user", str(user.pk), user.username)
    return _JournalTarget(PLATFORM_CHAIN, "accounts.platform", "security", username[:150])


def record_security_event(
    action: str,
    *,
    user: User | None = None,
    username: str = "",
    address: str = "",
    data: dict[str, Any] | None = None,
    journal: bool = True,
) -> None:
    """Log a security event and (unless ``journal`` is False) append it to the audit journal.

    Side effects: one line in the "delibre.security" log; one journal event in its own
    transaction (the caller's refusal must not roll it back).
    """
    details = {"username": username[:150], "address": address, **(data or {})}
    log.warning(
        "%s user=%s %s",
        action,
        getattr(user, "pk", None),
        " ".join(f"{k}={v}" for k, v in sorted(details.items())),
    )
    if not journal:
        return
    with transaction.atomic():
        # A duck-typed target: the journal reads only _meta, pk, the chain key and str().
        record_event(_target(user, username), action, actor=user, data=details)  # type: ignore[arg-type]


# Second factor ----------------------------------------------------------------------------------


def _fernet():  # type: ignore[no-untyped-def]
    from cryptography.fernet import Fernet

    material = settings.DELIBRE_FIELD_KEY or settings.SECRET_KEY
    digest = hashlib.sha256(f"delibre.accounts.totp:{material}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _secret_of(device: TwoFactor) -> str:
    return _fernet().decrypt(device.secret_encrypted.encode("ascii")).decode("ascii")


def _hash_code(code: str) -> str:
    normalised = "".join(code.split()).replace("-", "").lower()
    return hashlib.sha256(f"delibre.recovery:{normalised}".encode()).hexdigest()


def device_for(user: Any) -> TwoFactor | None:
    if not getattr(user, "is_authenticated", False) and not getattr(user, "pk", None):
        return None
    return TwoFactor.objects.filter(user_id=user.pk).first()


def has_active_device(user: Any) -> bool:
    return TwoFactor.objects.filter(user_id=user.pk, confirmed_at__isnull=False).exists()


def needs_two_factor(user: Any) -> bool:
    """Whether the platform requires a second factor of ``user`` (signers, admins, staff)."""
    if not settings.DELIBRE_REQUIRE_2FA:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return Membership.objects.filter(
        user_id=user.pk, role__in=[str(r) for r in ROLES_NEEDING_2FA]
    ).exists()


def new_enrolment() -> tuple[str, str]:
    """A fresh secret for an enrolment, and the same encrypted (kept in the session until the
    first code confirms it). Nothing is stored: showing the enrolment page writes nothing."""
    secret = totp.new_secret()
    return secret, _fernet().encrypt(secret.encode("ascii")).decode("ascii")


def pending_secret(token: str) -> str | None:
    """The secret of an enrolment in progress, or None when the token is not ours."""
    from cryptography.fernet import InvalidToken

    try:
        return _fernet().decrypt(token.encode("ascii")).decode("ascii")
    except (InvalidToken, ValueError, UnicodeError):
        return None


def provisioning_uri(*, actor: User, secret: str) -> str:
    return totp.provisioning_uri(secret, account=actor.username, issuer="Délibre")


def confirm_device(*, actor: User, code: str, pending: str) -> list[str]:
    """Activate the enrolment ``pending`` (its encrypted secret) with a first code; return the
    recovery codes (shown once). An active second factor is never replaced here.

    Side effects: stores the encrypted secret and the hashed recovery codes; journal
    ``account.two_factor.enabled``.
    """
    secret = pending_secret(pending)
    with transaction.atomic():
        device = TwoFactor.objects.select_for_update().filter(user=actor).first()
        if secret is None or (device is not None and device.is_active):
            raise InvalidCode(_("Start the enrolment again: scan the new QR code first."))
        step = totp.matching_step(secret, code)
        if step is None:
            raise InvalidCode()
        codes = [
            "-".join(secrets.token_hex(5)[i : i + 5] for i in (0, 5))
            for _n in range(RECOVERY_CODES)
        ]
        if device is None:
            device = TwoFactor(user=actor)
        device.secret_encrypted = pending
        device.confirmed_at = timezone.now()
        device.last_step = step
        device.recovery_hashes = [_hash_code(c) for c in codes]
        device.save()
        record_event(device, "account.two_factor.enabled", actor=actor, data={})
    log.warning("account.two_factor.enabled user=%s", actor.pk)
    return codes


def check_code(*, user: User, code: str) -> str:
    """Accept a current TOTP code (never the same step twice) or an unused recovery code.

    Returns "totp" or "recovery". Raises InvalidCode (nothing changed) otherwise.
    Side effects: advances ``last_step`` or spends the recovery code; a recovery code writes
    ``account.two_factor.recovery_used`` in the journal.
    """
    with transaction.atomic():
        device = (
            TwoFactor.objects.select_for_update()
            .filter(user=user, confirmed_at__isnull=False)
            .first()
        )
        if device is None:
            raise InvalidCode()
        step = totp.matching_step(_secret_of(device), code)
        if step is not None and step > device.last_step:
            device.last_step = step
            device.save(update_fields=["last_step"])
            return "totp"
        hashed = _hash_code(code)
        if hashed in device.recovery_hashes:
            device.recovery_hashes = [h for h in device.recovery_hashes if h != hashed]
            device.save(update_fields=["recovery_hashes"])
            record_event(
                device,
                "account.two_factor.recovery_used",
                actor=user,
                data={"left": len(device.recovery_hashes)},
            )
            return "recovery"
    raise InvalidCode()


def disable_device(*, actor: User, code: str) -> None:
    """Remove the second factor after checking a current code; refused when it is required.

    Side effects: deletes the device; journal ``account.two_factor.disabled``.
    """
    if needs_two_factor(actor):
        raise TwoFactorRequired(_("Your roles require a second factor: it cannot be turned off."))
    check_code(user=actor, code=code)
    with transaction.atomic():
        device = TwoFactor.objects.select_for_update().get(user=actor)
        record_event(device, "account.two_factor.disabled", actor=actor, data={})
        device.delete()
    log.warning("account.two_factor.disabled user=%s", actor.pk)
