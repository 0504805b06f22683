"""Reads of the signing app shared by services, pages, the API, commands and other apps.

Other apps may rely on :func:`find_signed_version_by_sha256` (the publication portal matches a
published file against the versions signed here) and :func:`current_version` (the signed PDF
of an act or séance document).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberations.models import Act, Collectivite, ElectedOfficial, Seance
from exports.enums import DocumentKind, DocumentStatus
from exports.models import RenderedDocument

from .enums import Level, SealBackend
from .exceptions import SigningNotConfigured
from .keys import Pkcs11Settings, SealSettings
from .models import Signature as SignedVersion
from .models import (
    SigningBatch,
    SigningSettings,
    StepSigningPolicy,
    TrustedRoot,
    UserCertificate,
    ValidationReport,
)
from .trust import RevocationPolicy, TrustSettings, load_certificates

if TYPE_CHECKING:
    from workflow.models import StepRun

#: Environment variables a seal configuration may name (never DELIBRE_SECRET_KEY & co).
SEAL_ENV_PREFIX = "DELIBRE_SEAL_"


# --- Settings and trust -------------------------------------------------------------------------


def signing_settings_for(collectivite: Collectivite | int) -> SigningSettings:
    """The collectivité's signing settings (defaults, unsaved, when never configured)."""
    cid = collectivite if isinstance(collectivite, int) else collectivite.pk
    found = SigningSettings.objects.filter(collectivite_id=cid).first()
    return found if found is not None else SigningSettings(collectivite_id=cid)


def trusted_roots_for(collectivite_id: int | None) -> QuerySet[TrustedRoot]:
    """Active roots of the collectivité and those of the platform (every collectivité)."""
    scope = Q(collectivite__isnull=True)
    if collectivite_id is not None:
        scope |= Q(collectivite_id=collectivite_id)
    return TrustedRoot.objects.filter(scope, is_active=True).order_by("label", "pk")


def _certificates(roots: QuerySet[TrustedRoot]) -> tuple[Any, ...]:
    certs: list[Any] = []
    seen: set[str] = set()
    for root in roots:
        if root.fingerprint in seen:
            continue
        seen.add(root.fingerprint)
        certs.extend(load_certificates(root.pem.encode()))
    return tuple(certs)


def trust_settings_for(
    collectivite: Collectivite | int, *, options: SigningSettings | None = None
) -> TrustSettings:
    """Who a collectivité trusts and how it checks revocation; refused without any root."""
    cid = collectivite if isinstance(collectivite, int) else collectivite.pk
    options = options or signing_settings_for(cid)
    roots = _certificates(trusted_roots_for(cid))
    if not roots:
        raise SigningNotConfigured(
            _(
                "No trusted certification authority is configured: an administrator must add "
                "one in the signing settings before anyone can sign."
            )
        )
    return TrustSettings(
        trust_roots=roots,
        revocation=RevocationPolicy(options.revocation),
        fetch_timeout=float(options.fetch_timeout or 10),
    )


def instance_trust_settings() -> TrustSettings | None:
    """Every active root of the instance: what the public verification trusts (None if none)."""
    roots = _certificates(TrustedRoot.objects.filter(is_active=True).order_by("pk"))
    return TrustSettings(trust_roots=roots, fetch_timeout=5.0) if roots else None


def seal_settings_for(
    options: SigningSettings, environ: Mapping[str, str] | None = None
) -> SealSettings:
    """The seal's location, read from the environment variables the settings name.

    Raises :class:`SigningNotConfigured` when no seal is configured or a variable is missing
    (its *name* is given, never its value).
    """
    environ = os.environ if environ is None else environ

    def value(name: str, *, required: bool = True) -> str:
        if not name.startswith(SEAL_ENV_PREFIX):
            raise SigningNotConfigured(
                _("The seal variables must be named %(prefix)s…: “%(name)s” is not allowed.")
                % {"prefix": SEAL_ENV_PREFIX, "name": name}
            )
        found = environ.get(name, "")
        if required and not found:
            raise SigningNotConfigured(
                _(
                    "The environment variable %(name)s is not set on the server: ask the "
                    "operator to set it, then test the seal again."
                )
                % {"name": name}
            )
        return found

    chain: tuple[Any, ...] = ()
    if options.seal_chain_env:
        path = Path(value(options.seal_chain_env))
        try:
            chain = tuple(load_certificates(path.read_bytes()))
        except (OSError, ValueError) as exc:
            raise SigningNotConfigured(
                _("The seal's certificate chain (%(name)s) cannot be read as PEM certificates.")
                % {"name": options.seal_chain_env}
            ) from exc
    if options.seal_backend == SealBackend.PKCS12:
        return SealSettings(
            pkcs12_path=Path(value(options.seal_pkcs12_path_env)),
            pkcs12_password=value(options.seal_pkcs12_password_env, required=False),
            extra_certs=chain,
        )
    if options.seal_backend == SealBackend.PKCS11:
        return SealSettings(
            pkcs11=Pkcs11Settings(
                library=value(options.seal_pkcs11_library_env),
                token_label=value(options.seal_pkcs11_token_env),
                key_label=value(options.seal_pkcs11_key_env),
                pin=value(options.seal_pkcs11_pin_env, required=False),
            ),
            extra_certs=chain,
        )
    raise SigningNotConfigured(
        _("No server seal is configured for this collectivité: an administrator can set it up.")
    )


# --- Steps and levels ---------------------------------------------------------------------------


def policy_for_step(step: StepRun) -> StepSigningPolicy | None:
    """The signing policy of the circuit step a running step was copied from (None if none)."""
    run = step.run
    if run.circuit_id is None:
        return None
    return StepSigningPolicy.objects.filter(
        step__circuit_id=run.circuit_id, step__position=step.position
    ).first()


def level_for(options: SigningSettings, policy: StepSigningPolicy | None = None) -> Level:
    """The step's own level, else the collectivité's default (B-LT with a TSA, else B-B)."""
    if policy is not None and policy.level:
        return Level(policy.level)
    return Level(options.effective_level)


# --- Documents and versions ---------------------------------------------------------------------


def act_document(act: Act) -> RenderedDocument | None:
    """The act's current rendered document (maybe pending or failed), or None."""
    return RenderedDocument.objects.filter(act=act, kind=DocumentKind.ACT, is_current=True).first()


def versions_of(document: RenderedDocument) -> QuerySet[SignedVersion]:
    return SignedVersion.objects.filter(document=document).order_by("sequence")


def current_version(document: RenderedDocument) -> SignedVersion | None:
    """The latest signed version of a document (None before its first signature)."""
    return SignedVersion.objects.filter(document=document).order_by("-sequence").first()


def current_act_version(act: Act) -> SignedVersion | None:
    """The latest signed version of the act's own document, whatever its document version."""
    return (
        SignedVersion.objects.filter(act=act, document__kind=DocumentKind.ACT)
        .order_by("-signed_at", "-pk")
        .select_related("document")
        .first()
    )


def latest_report(version: SignedVersion) -> ValidationReport | None:
    return version.validation_reports.order_by("-validated_at", "-pk").first()


def find_signed_version_by_sha256(sha256: str) -> SignedVersion | None:
    """The version signed by this instance whose file has this SHA-256 (hex), or None.

    For the publication portal and the verification pages: a file whose hash is found here is
    exactly a PDF this instance produced when signing (or renewing) a document.
    """
    value = (sha256 or "").strip().lower()
    if len(value) != 64:
        return None
    return (
        SignedVersion.objects.filter(output_sha256=value)
        .select_related("act", "seance", "document", "collectivite")
        .first()
    )


def is_latest(version: SignedVersion) -> bool:
    return not SignedVersion.objects.filter(
        document_id=version.document_id, sequence__gt=version.sequence
    ).exists()


def documents_with_token(token: str) -> QuerySet[RenderedDocument]:
    """Every version of the act document printed with this verification token."""
    if not token or len(token) > 32:
        return RenderedDocument.objects.none()
    return RenderedDocument.objects.filter(verification_token=token, kind=DocumentKind.ACT)


# --- People -------------------------------------------------------------------------------------


def person_name(user: Any, collectivite_id: int) -> str:
    """``Marie DUPONT``: the elected official's name when the user is one, else the account's."""
    official = ElectedOfficial.objects.filter(user=user, collectivite_id=collectivite_id).first()
    if official is not None:
        return official.full_name
    if user.first_name or user.last_name:
        return f"{user.first_name} {user.last_name.upper()}".strip()
    return str(user.username)


def certificates_of(user: Any) -> QuerySet[UserCertificate]:
    return UserCertificate.objects.filter(user=user).order_by("-not_after", "pk")


def usable_certificates(user: Any, *, on: dt.datetime | None = None) -> list[UserCertificate]:
    moment = on or timezone.now()
    return [c for c in certificates_of(user) if c.not_before <= moment <= c.not_after]


def seance_signer(seance: Seance, field_name: str) -> Any:
    """The user who signs a séance document's field: its president or its secretary."""
    mandate = {"Sig_President": seance.president, "Sig_Secretaire": seance.secretary}.get(
        field_name
    )
    if mandate is None:
        return None
    return getattr(mandate.official, "user", None)


# --- Panels -------------------------------------------------------------------------------------


@dataclass
class VersionRow:
    version: SignedVersion
    report: ValidationReport | None


@dataclass
class SigningPanel:
    """What the act page shows about signatures, and whether the user may sign now."""

    act: Act
    document: RenderedDocument | None = None
    versions: list[VersionRow] = field(default_factory=list)
    step: Any = None
    can_sign: bool = False
    use_seal: bool = False
    on_behalf_of: Any = None
    refusal: str = ""
    document_problem: str = ""
    field_name: str = ""
    level: str = ""
    certificates: list[UserCertificate] = field(default_factory=list)
    verification_token: str = ""

    @property
    def current(self) -> VersionRow | None:
        return self.versions[-1] if self.versions else None


def signing_panel_for(act: Act, user: Any) -> SigningPanel:
    """The signing panel of the act page (a bounded number of queries)."""
    from workflow.eligibility import find_capacity, load_entries
    from workflow.enums import RunStatus, StepKind, StepStatus
    from workflow.exceptions import WorkflowError
    from workflow.models import OpinionRequest, StepRun

    panel = SigningPanel(act=act)
    document = act_document(act)
    panel.document = document
    signed = (
        SignedVersion.objects.filter(act=act, document__kind=DocumentKind.ACT)
        .select_related("signer", "on_behalf_of")
        .prefetch_related("validation_reports")
        .order_by("document_id", "sequence")
    )
    for version in signed:
        reports = sorted(version.validation_reports.all(), key=lambda r: (r.validated_at, r.pk))
        panel.versions.append(VersionRow(version, reports[-1] if reports else None))
    if document is not None:
        panel.verification_token = document.verification_token
    step = (
        StepRun.objects.filter(
            run__act=act,
            run__status=RunStatus.ACTIVE,
            status=StepStatus.ACTIVE,
            kind__in=[StepKind.SIGNATURE, StepKind.SEAL],
        )
        .select_related("run__circuit")
        .first()
    )
    if step is None:
        return panel
    panel.step = step
    panel.use_seal = step.kind == StepKind.SEAL
    if OpinionRequest.objects.filter(step_run=step, answered_at__isnull=True).exists():
        panel.refusal = _("An opinion was asked on this step: wait for the answer before signing.")
        return panel
    try:
        capacity = find_capacity(load_entries(step.pk), act, user, unsatisfied_only=True)
    except WorkflowError as refusal:
        panel.refusal = str(refusal.message)
        return panel
    panel.can_sign = True
    panel.on_behalf_of = capacity.delegation.delegator if capacity.delegation else None
    options = signing_settings_for(act.collectivite_id)
    panel.level = level_for(options, policy_for_step(step)).value
    if document is None or document.status != DocumentStatus.READY:
        panel.document_problem = _(
            "The document of this act is not rendered yet: it must be rendered (Documents "
            "panel) before it can be signed."
        )
    if not panel.use_seal:
        panel.certificates = usable_certificates(user)
    return panel


# --- Batches ------------------------------------------------------------------------------------


def batch_candidates(user: Any, *, collectivite_id: int) -> list[Any]:
    """Acts whose signature step waits for ``user`` in the collectivité (personal signatures
    only; the treasury flows' steps are signed from their own pages)."""
    from workflow.enums import StepKind
    from workflow.selectors import inbox_for

    return [
        item
        for item in inbox_for(user, collectivite_id=collectivite_id)
        if not item.is_opinion and item.step.kind == StepKind.SIGNATURE and item.act is not None
    ]


def batches_of(user: Any, collectivite_id: int) -> QuerySet[SigningBatch]:
    return SigningBatch.objects.filter(created_by=user, collectivite_id=collectivite_id)


def archive_candidates() -> QuerySet[SignedVersion]:
    """The latest version of every document that went to level B-LTA once (an archive)."""
    from django.db.models import Exists, OuterRef, Subquery

    latest = (
        SignedVersion.objects.filter(document=OuterRef("document"))
        .order_by("-sequence")
        .values("pk")[:1]
    )
    archived = SignedVersion.objects.filter(document=OuterRef("document"), level=Level.B_LTA)
    return (
        SignedVersion.objects.filter(pk=Subquery(latest))
        .filter(Exists(archived))
        .select_related("document", "collectivite")
        .order_by("pk")
    )
