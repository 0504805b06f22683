"""Signing configuration, signers' certificates, signed versions, validation reports, batches.

DESIGN.md decision 6: secrets (seal passwords, PINs, signers' PKCS#12 passwords) never live in
the database in clear. :class:`SigningSettings` names the *environment variables* that hold the
seal's file, password or PIN; a :class:`UserCertificate` keeps the PKCS#12 file as uploaded
(it is encrypted by its password, which is asked at every signature and never stored).

Every signature (and every archive timestamp) makes a new version of the document file: a
:class:`Signature` row holds that version, chained to the previous one by SHA-256, and every
version keeps its :class:`ValidationReport`. Rows change only through signing.services.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .enums import (
    BatchItemStatus,
    BatchStatus,
    Level,
    RevocationMode,
    SealBackend,
    SignatureKind,
)

#: Default names of the environment variables of the server seal (SealSettings.from_env).
DEFAULT_SEAL_ENV = {
    "seal_pkcs12_path_env": "DELIBRE_SEAL_PKCS12",
    "seal_pkcs12_password_env": "DELIBRE_SEAL_PASSWORD",
    "seal_pkcs11_library_env": "DELIBRE_SEAL_PKCS11_LIBRARY",
    "seal_pkcs11_token_env": "DELIBRE_SEAL_PKCS11_TOKEN",
    "seal_pkcs11_key_env": "DELIBRE_SEAL_PKCS11_KEY",
    "seal_pkcs11_pin_env": "DELIBRE_SEAL_PKCS11_PIN",
    "seal_chain_env": "",
}


def _env_name_field(verbose: Any, help_text: Any, default_key: str) -> models.CharField:
    return models.CharField(
        verbose,
        max_length=100,
        blank=True,
        default=DEFAULT_SEAL_ENV[default_key],
        help_text=help_text,
    )


class TrustedRoot(models.Model):
    """A certification authority whose signers a collectivité trusts (or every collectivité,
    when ``collectivite`` is empty: set by the platform staff)."""

    collectivite = models.ForeignKey(
        "deliberations.Collectivite",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="trusted_roots",
    )
    label = models.CharField(_("label"), max_length=200)
    pem = models.TextField(_("certificate (PEM)"))
    fingerprint = models.CharField(_("SHA-256 fingerprint"), max_length=64)
    subject = models.CharField(_("subject"), max_length=500)
    not_after = models.DateTimeField(_("valid until"))
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("trusted root")
        verbose_name_plural = _("trusted roots")
        ordering = ["label", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["collectivite", "fingerprint"], name="trustedroot_unique_per_collectivite"
            ),
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=Q(collectivite__isnull=True),
                name="trustedroot_unique_global",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def journal_chain_key(self) -> str:
        return f"collectivite:{self.collectivite_id}" if self.collectivite_id else "platform"


class SigningSettings(models.Model):
    """How a collectivité signs: time-stamping authority, default level, revocation, seal."""

    collectivite = models.OneToOneField(
        "deliberations.Collectivite", on_delete=models.CASCADE, related_name="signing_settings"
    )
    tsa_url = models.URLField(
        _("time-stamping authority (TSA) URL"),
        blank=True,
        help_text=_("RFC 3161 service used from level B-T, e.g. your trust provider's TSA."),
    )
    default_level = models.CharField(
        _("default level"),
        max_length=5,
        choices=Level.choices,
        blank=True,
        help_text=_(
            "Empty: B-LT when a time-stamping authority is configured, B-B otherwise. A step "
            "of a circuit can ask for another level."
        ),
    )
    revocation = models.CharField(
        _("revocation check"),
        max_length=10,
        choices=RevocationMode.choices,
        default=RevocationMode.REQUIRE,
    )
    fetch_timeout = models.PositiveSmallIntegerField(
        _("timeout of the TSA, OCSP and CRL requests (seconds)"), default=10
    )
    lta_horizon_days = models.PositiveSmallIntegerField(
        _("renew archive timestamps this many days before they expire"), default=180
    )
    seal_backend = models.CharField(
        _("server seal"), max_length=10, choices=SealBackend.choices, default=SealBackend.NONE
    )
    seal_pkcs12_path_env = _env_name_field(
        _("variable holding the PKCS#12 file path"),
        _("Name of the environment variable, not its value."),
        "seal_pkcs12_path_env",
    )
    seal_pkcs12_password_env = _env_name_field(
        _("variable holding the PKCS#12 password"),
        _("Name of the environment variable, not its value."),
        "seal_pkcs12_password_env",
    )
    seal_pkcs11_library_env = _env_name_field(
        _("variable holding the PKCS#11 library path"),
        _("Name of the environment variable, not its value."),
        "seal_pkcs11_library_env",
    )
    seal_pkcs11_token_env = _env_name_field(
        _("variable holding the token label"),
        _("Name of the environment variable, not its value."),
        "seal_pkcs11_token_env",
    )
    seal_pkcs11_key_env = _env_name_field(
        _("variable holding the key label"),
        _("Name of the environment variable, not its value."),
        "seal_pkcs11_key_env",
    )
    seal_pkcs11_pin_env = _env_name_field(
        _("variable holding the PIN"),
        _("Name of the environment variable, not its value."),
        "seal_pkcs11_pin_env",
    )
    seal_chain_env = _env_name_field(
        _("variable holding the path of the seal's certificate chain (optional)"),
        _(
            "A PEM file with the intermediate authorities, when the token or the PKCS#12 file "
            "does not carry them."
        ),
        "seal_chain_env",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("signing settings")
        verbose_name_plural = _("signing settings")

    def __str__(self) -> str:
        return str(self.collectivite)

    @property
    def journal_chain_key(self) -> str:
        return f"collectivite:{self.collectivite_id}"

    @property
    def effective_level(self) -> str:
        if self.default_level:
            return self.default_level
        return Level.B_LT if self.tsa_url else Level.B_B


class StepSigningPolicy(models.Model):
    """A step of a circuit that signs at another level, or fills a named field.

    Kept in the signing app (one-to-one to workflow.CircuitStep) so that the circuits' tables do
    not change. A running step finds its policy by its circuit and position.
    """

    step = models.OneToOneField(
        "workflow.CircuitStep", on_delete=models.CASCADE, related_name="signing_policy"
    )
    level = models.CharField(_("level"), max_length=5, choices=Level.choices, blank=True)
    field_name = models.CharField(
        _("signature field"),
        max_length=64,
        blank=True,
        help_text=_("Leave empty: the fields are matched to the signature steps in order."),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("signing policy of a step")
        verbose_name_plural = _("signing policies of steps")

    def __str__(self) -> str:
        return f"{self.step} · {self.level or '—'}"


class UserCertificate(models.Model):
    """A signer's PKCS#12, kept as uploaded (encrypted by its password, never stored)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signing_certificates"
    )
    label = models.CharField(_("label"), max_length=120, blank=True)
    file = models.FileField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    common_name = models.CharField(_("name"), max_length=300)
    subject = models.CharField(_("subject"), max_length=500)
    issuer = models.CharField(_("issuer"), max_length=500)
    serial = models.CharField(_("serial number"), max_length=80)
    fingerprint = models.CharField(_("SHA-256 fingerprint"), max_length=64)
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("signing certificate")
        verbose_name_plural = _("signing certificates")
        ordering = ["-not_after", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "fingerprint"], name="usercertificate_once")
        ]

    def __str__(self) -> str:
        return self.label or self.common_name

    @property
    def journal_chain_key(self) -> str:
        return f"user:{self.user_id}"


class Signature(models.Model):
    """One signed version of a rendered document: a signature, a seal or an archive timestamp.

    ``sequence`` counts the versions of one document (1 = the first signature); the version
    signs ``input_sha256`` (the rendered file, then the previous version) and is the file
    ``output_sha256``. Never updated, except ``decision`` once the approval is recorded.
    """

    collectivite = models.ForeignKey(
        "deliberations.Collectivite", on_delete=models.PROTECT, related_name="+"
    )
    document = models.ForeignKey(
        "exports.RenderedDocument", on_delete=models.PROTECT, related_name="signatures"
    )
    act = models.ForeignKey(
        "deliberations.Act", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    seance = models.ForeignKey(
        "deliberations.Seance", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    step_run = models.ForeignKey(
        "workflow.StepRun",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signatures",
    )
    decision = models.ForeignKey(
        "workflow.Decision", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sequence = models.PositiveIntegerField()
    kind = models.CharField(_("kind"), max_length=20, choices=SignatureKind.choices)
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signer"),
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("on behalf of"),
    )
    certificate = models.ForeignKey(
        UserCertificate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    field_name = models.CharField(_("signature field"), max_length=64, blank=True)
    level = models.CharField(_("level"), max_length=5, choices=Level.choices)
    signer_name = models.CharField(_("name in the stamp"), max_length=300, blank=True)
    quality = models.CharField(_("quality"), max_length=300, blank=True)
    mention = models.CharField(_("legal mention"), max_length=500, blank=True)
    signed_at = models.DateTimeField(_("signed at"))
    certificate_subject = models.CharField(max_length=500, blank=True)
    certificate_issuer = models.CharField(max_length=500, blank=True)
    certificate_serial = models.CharField(max_length=80, blank=True)
    input_sha256 = models.CharField(max_length=64)
    output_sha256 = models.CharField(max_length=64)
    file = models.FileField(max_length=255)
    size = models.PositiveBigIntegerField()

    class Meta:
        verbose_name = _("signed version")
        verbose_name_plural = _("signed versions")
        ordering = ["document", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["document", "sequence"], name="signature_sequence"),
            models.UniqueConstraint(
                fields=["document", "field_name"],
                condition=~Q(field_name=""),
                name="signature_field_once",
            ),
            models.UniqueConstraint(fields=["output_sha256"], name="signature_output_once"),
        ]
        indexes = [models.Index(fields=["act", "sequence"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.sequence} · {self.field_name or self.level}"

    @property
    def journal_chain_key(self) -> str:
        return f"act:{self.act_id}" if self.act_id else f"seance:{self.seance_id}"


class ValidationReport(models.Model):
    """What validate_pdf found in one signed version (kept: the legal evidence of the day)."""

    signature = models.ForeignKey(
        Signature, on_delete=models.CASCADE, related_name="validation_reports"
    )
    sha256 = models.CharField(max_length=64)
    report = models.JSONField()
    report_sha256 = models.CharField(max_length=64)
    all_valid = models.BooleanField()
    ades_indications = models.JSONField(default=list)
    allow_fetching = models.BooleanField(default=True)
    validated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("validation report")
        verbose_name_plural = _("validation reports")
        ordering = ["signature", "-validated_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.signature} · {'valid' if self.all_valid else 'NOT valid'}"


class SigningBatch(models.Model):
    """Many folders signed in one action; each item is signed in its own transaction."""

    collectivite = models.ForeignKey(
        "deliberations.Collectivite", on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    certificate = models.ForeignKey(
        UserCertificate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    use_seal = models.BooleanField(default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.PENDING
    )
    total = models.PositiveIntegerField(default=0)
    signed_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("signing batch")
        verbose_name_plural = _("signing batches")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"#{self.pk} ({self.signed_count + self.failed_count}/{self.total})"

    @property
    def journal_chain_key(self) -> str:
        return f"collectivite:{self.collectivite_id}"

    @property
    def processed(self) -> int:
        return self.signed_count + self.failed_count

    @property
    def percent(self) -> int:
        return round(100 * self.processed / self.total) if self.total else 100

    @property
    def is_finished(self) -> bool:
        return self.status == BatchStatus.DONE


class SigningBatchItem(models.Model):
    batch = models.ForeignKey(SigningBatch, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    step_run = models.ForeignKey("workflow.StepRun", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=BatchItemStatus.choices,
        default=BatchItemStatus.PENDING,
    )
    error = models.TextField(_("reason"), blank=True)
    error_code = models.CharField(max_length=50, blank=True)
    signature = models.ForeignKey(
        Signature, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("item of a signing batch")
        verbose_name_plural = _("items of signing batches")
        ordering = ["batch", "position"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "position"], name="batchitem_position"),
            models.UniqueConstraint(fields=["batch", "step_run"], name="batchitem_once"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}.{self.position} {self.status}"
