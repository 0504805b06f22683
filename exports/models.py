"""Rendered documents and the per-collectivité customisation of their templates.

A :class:`RenderedDocument` is one version of one document (act, proof sheet, convocation of one
member, agenda…) with everything needed to render it again byte for byte: the template name
and the engine hash, the data snapshot and its hash, the customisation, and the signature fields
created at render time (DESIGN.md decision 5). Rows are never deleted nor re-rendered in place:
a change of the data makes a new version that supersedes the previous one, and a version that a
signature refers to is *frozen* (``frozen_at``) and never superseded.

Statuses and versions change only through exports.services.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from deliberations.models import Act, Collectivite, Mandate, Seance

from .enums import DocumentKind, DocumentStatus

_ACT_KINDS = [DocumentKind.ACT, DocumentKind.PROOF]
_SEANCE_KINDS = [
    DocumentKind.AGENDA,
    DocumentKind.SYNTHESIS,
    DocumentKind.MINUTES,
    DocumentKind.DELIBERATION_LIST,
    DocumentKind.PACK,
]
_ON_ACT = Q(act__isnull=False)
_ON_SEANCE = Q(seance__isnull=False, recipient__isnull=True)
_ON_RECIPIENT = Q(recipient__isnull=False)


class RenderedDocument(models.Model):
    """One rendered version of a document, stored as PDF in private storage."""

    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices)
    act = models.ForeignKey(
        Act, on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    seance = models.ForeignKey(
        Seance, on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    recipient = models.ForeignKey(
        Mandate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recipient"),
        help_text=_("The member a convocation is addressed to."),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    template_name = models.CharField(max_length=100)
    template_sha256 = models.CharField(max_length=64)
    snapshot = models.JSONField(help_text="The data the document is rendered from (SNAPSHOTS.md).")
    customisation = models.JSONField(default=dict, blank=True)
    snapshot_sha256 = models.CharField(max_length=64)
    content_sha256 = models.CharField(max_length=64, blank=True)
    file = models.FileField(max_length=255, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    #: [{"name", "label"}] requested; after rendering also "page" (0-based) and "box"
    #: ([x1, y1, x2, y2] in PDF points from the bottom-left corner).
    signature_fields = models.JSONField(default=list, blank=True)
    #: Acts: who signs which block when it is not the expected signer (set by signing/, e.g. a
    #: delegate), {"Sig_Etape2": {"name", "quality", "delegator"}}; kept by later versions.
    signers = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=DocumentStatus.choices,
        default=DocumentStatus.PENDING,
        editable=False,
    )
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    is_current = models.BooleanField(default=True)
    supersedes = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    #: Set by exports.services.freeze_document when the first signature is applied.
    frozen_at = models.DateTimeField(null=True, blank=True)
    #: Acts: the token of the public verification URL printed on the act (shared by every
    #: version of the act's document), see exports.snapshots.verification_url.
    verification_token = models.CharField(max_length=32, blank=True, db_index=True)

    class Meta:
        verbose_name = _("rendered document")
        verbose_name_plural = _("rendered documents")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=_ACT_KINDS,
                    act__isnull=False,
                    seance__isnull=True,
                    recipient__isnull=True,
                )
                | Q(
                    kind=DocumentKind.CONVOCATION,
                    act__isnull=True,
                    seance__isnull=False,
                    recipient__isnull=False,
                )
                | Q(
                    kind__in=_SEANCE_KINDS,
                    act__isnull=True,
                    seance__isnull=False,
                    recipient__isnull=True,
                ),
                name="document_target_matches_kind",
            ),
            # The same inputs are stored once ("unchanged documents are never re-rendered").
            models.UniqueConstraint(
                fields=["kind", "act", "template_sha256", "snapshot_sha256"],
                condition=_ON_ACT,
                name="document_act_inputs_once",
            ),
            models.UniqueConstraint(
                fields=["kind", "seance", "template_sha256", "snapshot_sha256"],
                condition=_ON_SEANCE,
                name="document_seance_inputs_once",
            ),
            models.UniqueConstraint(
                fields=["kind", "seance", "recipient", "template_sha256", "snapshot_sha256"],
                condition=_ON_RECIPIENT,
                name="document_recipient_inputs_once",
            ),
            # One current version per document.
            models.UniqueConstraint(
                fields=["kind", "act"],
                condition=Q(is_current=True) & _ON_ACT,
                name="document_act_one_current",
            ),
            models.UniqueConstraint(
                fields=["kind", "seance"],
                condition=Q(is_current=True) & _ON_SEANCE,
                name="document_seance_one_current",
            ),
            models.UniqueConstraint(
                fields=["kind", "seance", "recipient"],
                condition=Q(is_current=True) & _ON_RECIPIENT,
                name="document_recipient_one_current",
            ),
        ]
        indexes = [models.Index(fields=["collectivite", "kind", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version} ({self.get_status_display()})"

    @property
    def journal_chain_key(self) -> str:
        """Document events go on the chain of the act or séance they belong to."""
        return f"act:{self.act_id}" if self.act_id else f"seance:{self.seance_id}"

    @property
    def target(self) -> Act | Seance:
        return self.act if self.act_id else self.seance  # type: ignore[return-value]

    @property
    def is_ready(self) -> bool:
        return self.status == DocumentStatus.READY

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None


_colour = RegexValidator(r"^#[0-9A-Fa-f]{6}$", _("Write the colour as #RRGGBB, e.g. #1d3557."))


class DocumentSettings(models.Model):
    """How a collectivité's documents look and read (SNAPSHOTS.md, "Customisation").

    Editable by its administrators without code changes; the logo is ``Collectivite.logo``.
    Changing a setting changes the hash of the next renders, so documents are rendered again
    on the next request (signed versions are never replaced).
    """

    collectivite = models.OneToOneField(
        Collectivite, on_delete=models.CASCADE, related_name="document_settings"
    )
    header_lines = models.JSONField(
        _("header lines"),
        default=list,
        blank=True,
        help_text=_('Lines above the name, e.g. "République française", "Département de …".'),
    )
    footer_text = models.CharField(_("footer"), max_length=300, blank=True)
    primary_colour = models.CharField(
        _("primary colour"), max_length=7, default="#1d3557", validators=[_colour]
    )
    show_logo = models.BooleanField(_("print the logo"), default=True)
    wording = models.JSONField(_("wording"), default=dict, blank=True)
    portal_url = models.URLField(
        _("publication page"),
        blank=True,
        help_text=_("Where acts are published in full (printed in the publication mention)."),
    )
    appeal_court = models.CharField(
        _("administrative court"),
        max_length=200,
        blank=True,
        help_text=_('Printed in the appeal notice, e.g. "tribunal administratif de Nantes".'),
    )
    publication_seal = models.BooleanField(
        _("reserve a field for the publication seal"),
        default=False,
        help_text=_(
            "Acts get an empty signature field that the server seal fills when the act is put "
            "online (docs/adr/0002-publication-mentions.md)."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("document settings")
        verbose_name_plural = _("document settings")

    def __str__(self) -> str:
        return str(self.collectivite)

    @property
    def journal_chain_key(self) -> str:
        return f"collectivite:{self.collectivite_id}"
