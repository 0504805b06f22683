"""The prefecture exchanges of a collectivité: connector settings, outgoing transmissions and
the messages the prefecture sends back (@ctes, standards/README.md §1).

Statuses change only through exports.actes.services (lock, decide, save narrowly, journal).
Secrets never live here: the client certificate, key and CA are file paths or the *names* of
environment variables that hold them, and the key password is only ever an environment
variable's name (see ``TdtSettings``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from deliberations.models import Act, Collectivite

from .enums import (
    ACTIVE_STATUSES,
    MessageSource,
    PrefectureMessageKind,
    PrefectureMessageStatus,
    TdtConnector,
    TransmissionKind,
    TransmissionStatus,
)

_SECRET_HELP = _(
    "A path in the collectivité's own folder on the server, or env:NAME to read the path from "
    "the environment variable NAME."
)


class TdtSettings(models.Model):
    """How one collectivité talks to its tiers de télétransmission (one row per collectivité)."""

    collectivite = models.OneToOneField(
        Collectivite, on_delete=models.CASCADE, related_name="tdt_settings"
    )
    connector = models.CharField(
        _("connector"), max_length=10, choices=TdtConnector.choices, default=TdtConnector.FOLDER
    )
    folder_path = models.CharField(
        _("drop folder"),
        max_length=500,
        blank=True,
        help_text=_("Folder where the archives are written for the TdT to pick them up."),
    )
    return_folder_path = models.CharField(
        _("returns folder"),
        max_length=500,
        blank=True,
        help_text=_(
            "Folder where the prefecture's returns arrive; Délibre imports them when it polls."
        ),
    )
    s2low_url = models.URLField(_("S2LOW address"), blank=True)
    client_cert = models.CharField(
        _("client certificate (PEM)"), max_length=500, blank=True, help_text=_SECRET_HELP
    )
    client_key = models.CharField(
        _("private key (PEM)"), max_length=500, blank=True, help_text=_SECRET_HELP
    )
    key_password_env = models.CharField(
        _("key password variable"),
        max_length=100,
        blank=True,
        help_text=_("Name of the environment variable holding the key's password, if any."),
    )
    ca_file = models.CharField(
        _("certificate authority of S2LOW (PEM)"),
        max_length=500,
        blank=True,
        help_text=_SECRET_HELP,
    )
    timeout_seconds = models.PositiveSmallIntegerField(_("timeout (seconds)"), default=30)
    return_emails = models.JSONField(_("return e-mails"), default=list, blank=True)
    referent_name = models.CharField(_("referent"), max_length=120, blank=True)
    referent_phone = models.CharField(_("referent's telephone"), max_length=30, blank=True)
    referent_email = models.EmailField(_("referent's e-mail"), blank=True)
    #: The newest classification date the prefecture announced (ClassificationDateVersionEnCours).
    known_classification_date = models.DateField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("transmission settings")
        verbose_name_plural = _("transmission settings")

    def __str__(self) -> str:
        return f"{self.collectivite} · {self.get_connector_display()}"

    @property
    def journal_chain_key(self) -> str:
        return f"collectivite:{self.collectivite_id}"


class Transmission(models.Model):
    """One archive sent (or to send) to the prefecture: an act (1-1), an answer or a cancellation.

    The archive is built, validated and stored once at preparation; the connector sends those
    exact bytes (``archive_sha256``). An act is never sent twice: one active transmission per
    act (database constraint), and a new one only after an anomaly, a failure or a
    cancellation, carrying the previous IDActe when there was one.
    """

    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.PROTECT, related_name="transmissions"
    )
    act = models.ForeignKey(
        Act, on_delete=models.PROTECT, null=True, blank=True, related_name="transmissions"
    )
    kind = models.CharField(
        _("message"), max_length=20, choices=TransmissionKind.choices, default=TransmissionKind.ACTE
    )
    reply_to = models.ForeignKey(
        "PrefectureMessage",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="answers",
        verbose_name=_("answers"),
    )
    cancels = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cancellations",
        verbose_name=_("cancels"),
    )
    previous = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    previous_id_acte = models.CharField(_("previous act identifier"), max_length=60, blank=True)
    sent_on = models.DateField(_("envelope date"))
    serial = models.PositiveIntegerField(_("envelope serial"))
    envelope_name = models.CharField(_("envelope"), max_length=80)
    message_name = models.CharField(_("message file"), max_length=150)
    archive_name = models.CharField(_("archive"), max_length=100)
    archive = models.FileField(_("archive file"), max_length=255)
    archive_sha256 = models.CharField(max_length=64)
    archive_size = models.PositiveBigIntegerField(default=0)
    #: [{"name": archive name, "title": shown to users, "type_pj": code, "sha256": …}]
    documents = models.JSONField(default=list, blank=True)
    objet = models.CharField(_("objet as sent"), max_length=500, blank=True)
    classification_date = models.DateField(_("classification used"), null=True, blank=True)
    connector = models.CharField(_("connector"), max_length=10, choices=TdtConnector.choices)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=TransmissionStatus.choices,
        default=TransmissionStatus.PREPARED,
        editable=False,
    )
    external_id = models.CharField(_("TdT reference"), max_length=500, blank=True)
    outcome_unknown = models.BooleanField(
        _("outcome unknown"),
        default=False,
        help_text=_(
            "The TdT may have received it but did not answer in time: check on the TdT before "
            "anything is sent again."
        ),
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    #: Set and committed before a request leaves for a TdT whose API is not idempotent (S2LOW),
    #: cleared with the outcome: found set on a free row, the delivery was cut short.
    delivery_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True)
    id_acte = models.CharField(_("act identifier (IDActe)"), max_length=60, blank=True)
    ack_date = models.DateField(_("received by the prefecture on"), null=True, blank=True)
    anomaly = models.TextField(_("reason of the anomaly"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("transmission")
        verbose_name_plural = _("transmissions")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["collectivite", "sent_on", "serial"], name="transmission_unique_envelope"
            ),
            models.UniqueConstraint(
                fields=["act"],
                condition=Q(kind=TransmissionKind.ACTE, status__in=ACTIVE_STATUSES),
                name="transmission_act_active_once",
            ),
            models.UniqueConstraint(
                fields=["cancels"],
                condition=Q(kind=TransmissionKind.ANNULATION, status__in=ACTIVE_STATUSES),
                name="transmission_cancellation_once",
            ),
        ]
        indexes = [
            models.Index(fields=["collectivite", "status"]),
            models.Index(fields=["id_acte"]),
        ]

    def __str__(self) -> str:
        return f"{self.envelope_name} ({self.get_kind_display()})"

    @property
    def journal_chain_key(self) -> str:
        return f"act:{self.act_id}" if self.act_id else f"collectivite:{self.collectivite_id}"

    @property
    def is_act(self) -> bool:
        return self.kind == TransmissionKind.ACTE


class PrefectureMessage(models.Model):
    """A message received from the prefecture (or the TdT), kept as received and as read."""

    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.PROTECT, related_name="prefecture_messages"
    )
    act = models.ForeignKey(
        Act, on_delete=models.PROTECT, null=True, blank=True, related_name="prefecture_messages"
    )
    transmission = models.ForeignKey(
        Transmission,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="prefecture_messages",
    )
    kind = models.CharField(_("message"), max_length=20, choices=PrefectureMessageKind.choices)
    id_acte = models.CharField(_("act identifier (IDActe)"), max_length=60, blank=True)
    message_date = models.DateField(_("date of the message"), null=True, blank=True)
    received_at = models.DateTimeField(_("imported at"))
    source = models.CharField(_("received through"), max_length=20, choices=MessageSource.choices)
    external_id = models.CharField(_("TdT reference"), max_length=100, blank=True)
    file = models.FileField(_("file as received"), max_length=255)
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    #: SHA-256 of the message XML itself: the same message is imported once.
    message_sha256 = models.CharField(max_length=64)
    message_name = models.CharField(max_length=255, blank=True)
    data = models.JSONField(_("content"), default=dict, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=PrefectureMessageStatus.choices,
        default=PrefectureMessageStatus.NEW,
        editable=False,
    )
    deadline = models.DateField(_("answer before"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("prefecture message")
        verbose_name_plural = _("prefecture messages")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["collectivite", "message_sha256"], name="prefecture_message_once"
            )
        ]
        indexes = [models.Index(fields=["collectivite", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.id_acte}".strip()

    @property
    def journal_chain_key(self) -> str:
        return f"act:{self.act_id}" if self.act_id else f"collectivite:{self.collectivite_id}"
