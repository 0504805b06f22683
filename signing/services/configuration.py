"""Keys and trust, configured by a collectivité's administrators: trusted roots, TSA, levels,
revocation, the server seal (described by environment variable names), per-step policies.

Journal events (collectivité's chain; the platform's for roots trusted by every collectivité):
``signing.trusted_root.added``, ``signing.trusted_root.deactivated``,
``signing.trusted_root.reactivated``, ``signing.settings.updated``,
``signing.step_policy.updated``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberations.enums import Role
from deliberations.exceptions import NotAllowed
from deliberations.models import Collectivite, User
from deliberations.permissions import require_role
from workflow.enums import StepKind
from workflow.journal import record_event
from workflow.models import CircuitStep

from ..enums import Level, SealBackend
from ..exceptions import (
    CertificateRefused,
    InvalidSigningInput,
    KeyUnavailable,
    SigningNotConfigured,
    TrustServiceUnavailable,
)
from ..keys import check_signing_certificate, get_server_seal
from ..models import SigningSettings, StepSigningPolicy, TrustedRoot
from ..reports import CertificateInfo
from ..selectors import (
    SEAL_ENV_PREFIX,
    seal_settings_for,
    signing_settings_for,
    trust_settings_for,
)
from ..trust import load_certificates

_ENV_NAME = re.compile(rf"^{SEAL_ENV_PREFIX}[A-Z0-9_]{{1,80}}$")
_TIMESTAMPED = {Level.B_T, Level.B_LT, Level.B_LTA}

SETTINGS_FIELDS = (
    "tsa_url",
    "default_level",
    "revocation",
    "fetch_timeout",
    "lta_horizon_days",
    "seal_backend",
    "seal_pkcs12_path_env",
    "seal_pkcs12_password_env",
    "seal_pkcs11_library_env",
    "seal_pkcs11_token_env",
    "seal_pkcs11_key_env",
    "seal_pkcs11_pin_env",
    "seal_chain_env",
)
_PKCS12_ENV = ("seal_pkcs12_path_env", "seal_pkcs12_password_env")
_PKCS11_ENV = (
    "seal_pkcs11_library_env",
    "seal_pkcs11_token_env",
    "seal_pkcs11_key_env",
    "seal_pkcs11_pin_env",
)


def _require_admin(actor: User, collectivite: Collectivite | None) -> None:
    if collectivite is None:
        if not (getattr(actor, "is_superuser", False) and actor.is_active):
            raise NotAllowed(
                _("Only the platform staff can trust a certification authority for everyone.")
            )
        return
    require_role(actor, collectivite, Role.ADMIN)


# --- Trusted roots ------------------------------------------------------------------------------


def add_trusted_root(
    *, actor: User, pem: bytes, collectivite: Collectivite | None, label: str = ""
) -> TrustedRoot:
    """Trust a certification authority (one PEM or DER certificate) for a collectivité.

    ``collectivite=None`` trusts it for every collectivité (platform staff only). Refused: not a
    certificate, several at once, not a CA, expired, already trusted. Side effects: the row;
    ``signing.trusted_root.added``.
    """
    _require_admin(actor, collectivite)
    try:
        certs = load_certificates(pem)
    except ValueError as exc:
        raise InvalidSigningInput(
            _("This file is not a certificate: upload the authority's certificate as PEM or DER."),
            field="pem",
        ) from exc
    if len(certs) != 1:
        raise InvalidSigningInput(
            _("The file holds %(count)d certificates: upload one authority at a time.")
            % {"count": len(certs)},
            field="pem",
        )
    cert = certs[0]
    constraints = cert.basic_constraints_value
    if constraints is None or not constraints["ca"].native:
        raise InvalidSigningInput(
            _(
                "This certificate is not a certification authority: trust the authority that "
                "issued the signers' certificates, not a signer's certificate."
            ),
            field="pem",
        )
    info = CertificateInfo.of(cert)
    if info.not_after <= timezone.now():
        raise InvalidSigningInput(
            _("This authority expired on %(date)s.") % {"date": info.not_after.date().isoformat()},
            field="pem",
        )
    fingerprint = hashlib.sha256(cert.dump()).hexdigest()
    with transaction.atomic():
        existing = TrustedRoot.objects.filter(collectivite=collectivite, fingerprint=fingerprint)
        if existing.exists():
            raise InvalidSigningInput(
                _("This authority is already in the list (reactivate it if it is inactive)."),
                field="pem",
            )
        from asn1crypto import pem as asn1_pem

        root = TrustedRoot.objects.create(
            collectivite=collectivite,
            label=(label or info.common_name).strip()[:200],
            pem=asn1_pem.armor("CERTIFICATE", cert.dump()).decode("ascii"),
            fingerprint=fingerprint,
            subject=info.subject[:500],
            not_after=info.not_after,
            created_by=actor,
        )
        chain_of: Model = collectivite if collectivite is not None else root
        record_event(
            chain_of,
            "signing.trusted_root.added",
            actor=actor,
            data={
                "root": root.pk,
                "label": root.label,
                "subject": root.subject,
                "fingerprint": fingerprint,
                "not_after": root.not_after,
                "everyone": collectivite is None,
            },
        )
    return root


def set_trusted_root_active(*, root: TrustedRoot, actor: User, active: bool) -> TrustedRoot:
    """Stop (or start again) trusting an authority. Signed documents keep their reports.

    Side effects: ``signing.trusted_root.deactivated`` or ``.reactivated``.
    """
    _require_admin(actor, root.collectivite)
    with transaction.atomic():
        current = TrustedRoot.objects.select_for_update().get(pk=root.pk)
        if current.is_active == active:
            return current
        current.is_active = active
        current.save(update_fields=["is_active"])
        chain: Model = current.collectivite if current.collectivite is not None else current
        record_event(
            chain,
            "signing.trusted_root.reactivated" if active else "signing.trusted_root.deactivated",
            actor=actor,
            data={"root": current.pk, "label": current.label, "fingerprint": current.fingerprint},
        )
    return current


# --- Settings -----------------------------------------------------------------------------------


def _check_settings(options: SigningSettings) -> None:
    backend_fields = {
        SealBackend.PKCS12: _PKCS12_ENV,
        SealBackend.PKCS11: _PKCS11_ENV,
    }.get(SealBackend(options.seal_backend), ())
    for name in (*_PKCS12_ENV, *_PKCS11_ENV, "seal_chain_env"):
        value = getattr(options, name)
        if name in backend_fields and not value:
            raise InvalidSigningInput(
                _("Name the environment variable for this seal setting."), field=name
            )
        if value and not _ENV_NAME.match(value):
            raise InvalidSigningInput(
                _(
                    "Write the name of an environment variable starting with %(prefix)s, in "
                    "capitals, e.g. %(prefix)sPASSWORD (not the secret itself)."
                )
                % {"prefix": SEAL_ENV_PREFIX},
                field=name,
            )
    if options.default_level in _TIMESTAMPED and not options.tsa_url:
        raise InvalidSigningInput(
            _("Level %(level)s needs a time-stamping authority: give its URL first.")
            % {"level": options.default_level},
            field="default_level",
        )
    if not 1 <= options.fetch_timeout <= 120:
        raise InvalidSigningInput(
            _("Choose a timeout between 1 and 120 seconds."), field="fetch_timeout"
        )
    if not 1 <= options.lta_horizon_days <= 3650:
        raise InvalidSigningInput(_("Choose between 1 and 3650 days."), field="lta_horizon_days")


def update_signing_settings(
    *, collectivite: Collectivite, actor: User, **changes: Any
) -> SigningSettings:
    """Change how the collectivité signs (administrators only).

    The seal is described by the *names* of environment variables (``DELIBRE_SEAL_…``), never
    by the secrets. Refused: a level that needs a TSA without one, badly named variables.
    Side effects: ``signing.settings.updated`` listing the changed fields and values.
    """
    require_role(actor, collectivite, Role.ADMIN)
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise InvalidSigningInput(_("Unknown setting."), field=sorted(unknown)[0])
    with transaction.atomic():
        options, created = SigningSettings.objects.select_for_update().get_or_create(
            collectivite=collectivite
        )
        changed = [name for name, value in changes.items() if getattr(options, name) != value]
        for name in changed:
            setattr(options, name, changes[name])
        try:
            options.full_clean(exclude=["collectivite", "updated_by"])
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            raise InvalidSigningInput(" ".join(messages), field=field) from exc
        _check_settings(options)
        if not changed and not created:
            return options
        options.updated_by = actor
        options.save()
        record_event(
            collectivite,
            "signing.settings.updated",
            actor=actor,
            data={name: getattr(options, name) for name in changed},
        )
    return options


def set_step_policy(
    *, step: CircuitStep, actor: User, level: str = "", field_name: str = ""
) -> StepSigningPolicy | None:
    """Give one signature or seal step of a circuit its own level (or a named field).

    Empty values remove the policy (the step follows the collectivité's default). Side effects:
    ``signing.step_policy.updated`` on the collectivité's chain.
    """
    circuit = step.circuit
    require_role(actor, circuit.collectivite, Role.ADMIN)
    if not StepKind(step.kind).signs:
        raise InvalidSigningInput(_("A visa step is not signed: it has no level."), field="step")
    if level and level not in Level.values:
        raise InvalidSigningInput(_("Choose a PAdES level."), field="level")
    options = signing_settings_for(circuit.collectivite_id)
    if level in _TIMESTAMPED and not options.tsa_url:
        raise InvalidSigningInput(
            _("Level %(level)s needs a time-stamping authority: configure it first.")
            % {"level": level},
            field="level",
        )
    if field_name and not re.match(r"^[A-Za-z0-9_-]{1,64}$", field_name):
        raise InvalidSigningInput(_("Write a field name such as Sig_Maire."), field="field_name")
    with transaction.atomic():
        policy = StepSigningPolicy.objects.select_for_update().filter(step=step).first()
        before = (policy.level, policy.field_name) if policy else ("", "")
        if before == (level, field_name):
            return policy
        if not level and not field_name:
            if policy is not None:
                policy.delete()
            policy = None
        else:
            policy = policy or StepSigningPolicy(step=step)
            policy.level, policy.field_name, policy.updated_by = level, field_name, actor
            policy.save()
        record_event(
            circuit.collectivite,
            "signing.step_policy.updated",
            actor=actor,
            data={
                "circuit": circuit.pk,
                "circuit_name": circuit.name,
                "position": step.position,
                "label": step.label,
                "level": level,
                "field_name": field_name,
            },
        )
    return policy


# --- Seal check---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SealCheck:
    """What testing the seal found: its certificate, and whether it may sign now."""

    certificate: CertificateInfo
    usable: bool
    problem: str = ""


def check_seal(*, collectivite: Collectivite, actor: User) -> SealCheck:
    """Load the collectivité's server seal as signing would, and check its certificate.

    Administrators only. Changes nothing in the database. Raises :class:`SigningNotConfigured`
    or :class:`KeyUnavailable` when the seal cannot be loaded. Side effect: the seal stays
    loaded in this process (as it would at its first signature).
    """
    require_role(actor, collectivite, Role.ADMIN)
    options = signing_settings_for(collectivite)
    signer = get_server_seal(settings=seal_settings_for(options))
    cert = signer.signing_cert
    if cert is None:
        raise KeyUnavailable(_("The seal key comes without its certificate."))
    info = CertificateInfo.of(cert)
    try:
        check_signing_certificate(
            cert=cert,
            trust=trust_settings_for(collectivite, options=options),
            intermediates=signer.cert_registry,
        )
    except (CertificateRefused, TrustServiceUnavailable, SigningNotConfigured) as refusal:
        return SealCheck(certificate=info, usable=False, problem=str(refusal.message))
    return SealCheck(certificate=info, usable=True)
