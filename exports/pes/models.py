"""Treasury flows stored by Délibre: PES_Aller files, their bordereaux, pièces and attachments,
their sending, and what the treasury sends back (docs/adr/0005-pes-flows.md).

The files themselves (original, current = signed, acquits, retours) are kept through the
storage API; the rows hold what the pages and the API show without reading the files again.
Pièces are stored flat (the lines of a pièce in JSON) so that a 100,000-pièce flow is imported
with a few hundred bulk inserts and a 10,000-pièce bordereau is paged with two queries.

Statuses change only through workflow.lifecycles (BordereauFlow, PesFlowFlow,
TransmissionFlow), called by exports.pes.services and workflow.services.runs.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .enums import (
    BordereauKind,
    BordereauStatus,
    Connector,
    CounterKind,
    FlowSource,
    ImportStatus,
    PesFlowStatus,
    ReturnSource,
    TransmissionStatus,
)

_AMOUNT = {"max_digits": 16, "decimal_places": 2}


class PesFlow(models.Model):
    """One PES_Aller file: one collectivité and budget, its bordereaux and attachments."""

    collectivite = models.ForeignKey(
        "deliberations.Collectivite", on_delete=models.PROTECT, related_name="pes_flows"
    )
    source = models.CharField(_("source"), max_length=10, choices=FlowSource.choices)
    act = models.ForeignKey(
        "deliberations.Act",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pes_flows",
        help_text=_("The deliberation a built flow pays out."),
    )
    name = models.CharField(_("file name"), max_length=255)
    original_file = models.FileField(_("original file"), max_length=255)
    original_sha256 = models.CharField(max_length=64)
    original_size = models.PositiveBigIntegerField()
    #: The file as it is now: the original until it is signed, then the signed one.
    current_file = models.FileField(_("current file"), max_length=255)
    current_sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(_("size"))
    schema_version = models.CharField(_("schema version"), max_length=10)
    encoding = models.CharField(_("encoding"), max_length=20)
    # Enveloppe and EnTetePES, as read from the file.
    file_type = models.CharField("TypFic", max_length=32, blank=True)
    file_name = models.CharField("NomFic", max_length=100, blank=True)
    emitter = models.CharField(_("emitter"), max_length=80, blank=True)
    dte_str = models.DateField("DteStr", null=True, blank=True)
    id_post = models.CharField("IdPost", max_length=7, blank=True)
    libelle_poste = models.CharField(_("accounting office"), max_length=100, blank=True)
    id_coll = models.CharField("IdColl", max_length=14, blank=True)
    cod_col = models.CharField("CodCol", max_length=3, blank=True)
    cod_bud = models.CharField("CodBud", max_length=2, blank=True)
    libelle_col_bud = models.CharField(_("budget"), max_length=100, blank=True)
    fin_jur = models.CharField("FinJur", max_length=9, blank=True)
    dematerialised = models.BooleanField(_("dematerialised (InfoDematerialisee)"), default=False)
    status = models.CharField(
        _("status"), max_length=20, choices=PesFlowStatus.choices, default=PesFlowStatus.IMPORTED
    )
    bordereau_count = models.PositiveIntegerField(default=0)
    piece_count = models.PositiveIntegerField(default=0)
    attachment_count = models.PositiveIntegerField(default=0)
    total_ht = models.DecimalField(**_AMOUNT, default=0)
    total_tva = models.DecimalField(**_AMOUNT, default=0)
    #: Warnings of the import (Hélios rules that do not reject the file), as PesIssue dicts.
    warnings = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("PES flow")
        verbose_name_plural = _("PES flows")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # The same file is imported once (a watched folder re-reading it changes nothing);
            # a withdrawn flow may be imported again.
            models.UniqueConstraint(
                fields=["collectivite", "original_sha256"],
                condition=~Q(status="withdrawn"),
                name="pesflow_file_once",
            ),
            # A deliberation is paid out by one flow at a time.
            models.UniqueConstraint(
                fields=["act"],
                condition=Q(act__isnull=False) & ~Q(status="withdrawn"),
                name="pesflow_one_per_act",
            ),
        ]
        indexes = [models.Index(fields=["collectivite", "status"])]

    def __str__(self) -> str:
        return self.name

    @property
    def journal_chain_key(self) -> str:
        return f"pesflow:{self.pk}"

    @property
    def title(self) -> str:
        """What inboxes and notifications call the folder."""
        return self.file_name or self.name

    @property
    def total_ttc(self):
        return self.total_ht + self.total_tva


class Bordereau(models.Model):
    """A bordereau of mandats (dépense) or titres (recette), signed on its own."""

    flow = models.ForeignKey(PesFlow, on_delete=models.CASCADE, related_name="bordereaux")
    position = models.PositiveIntegerField(_("position in the file"))
    kind = models.CharField(_("kind"), max_length=10, choices=BordereauKind.choices)
    element_id = models.CharField(
        _("Id"), max_length=100, help_text=_("The Id attribute the signature references.")
    )
    exercice = models.PositiveIntegerField(_("exercise"))
    id_bord = models.PositiveIntegerField("IdBord")
    date_emission = models.DateField(_("issued on"), null=True, blank=True)
    typ_bord = models.CharField("TypBord", max_length=2, blank=True)
    piece_count = models.PositiveIntegerField(_("pièces"), default=0)
    mt_cumul_annuel = models.DecimalField(**_AMOUNT, null=True, blank=True)
    total_ht = models.DecimalField(_("total excl. VAT"), **_AMOUNT, default=0)
    total_tva = models.DecimalField(_("VAT"), **_AMOUNT, default=0)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=BordereauStatus.choices,
        default=BordereauStatus.IMPORTED,
    )
    # Its signature, once signed (read back from the signed file).
    signed = models.BooleanField(_("signed"), default=False)
    signer_name = models.CharField(_("signer"), max_length=200, blank=True)
    signer_subject = models.CharField(max_length=500, blank=True)
    certificate_serial = models.CharField(max_length=80, blank=True)
    certificate_issuer = models.CharField(max_length=500, blank=True)
    certificate_not_after = models.DateTimeField(null=True, blank=True)
    signing_time = models.DateTimeField(_("signed at"), null=True, blank=True)
    claimed_role = models.CharField(_("claimed role"), max_length=200, blank=True)
    signature_policy = models.CharField(max_length=100, blank=True)
    # What the treasury said (PES_ACQUIT).
    ack_accepted = models.BooleanField(null=True, blank=True)
    ack_errors = models.JSONField(default=list, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    source_line = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("bordereau")
        verbose_name_plural = _("bordereaux")
        ordering = ["flow", "position"]
        constraints = [
            models.UniqueConstraint(fields=["flow", "position"], name="bordereau_unique_position"),
        ]
        # IdBord is unique per flow, exercise and TypBord: the reader refuses a file breaking it
        # (rule BORD_DUPLICATE). No database constraint: rows are inserted while the file is
        # read, before it is known to be valid, and the transaction is then rolled back.
        indexes = [models.Index(fields=["kind", "exercice", "id_bord"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.exercice}/{self.id_bord}"

    @property
    def total_ttc(self):
        return self.total_ht + self.total_tva


class Piece(models.Model):
    """A mandat or a titre, with its lines (imputation, amounts, tiers) kept as JSON."""

    bordereau = models.ForeignKey(Bordereau, on_delete=models.CASCADE, related_name="pieces")
    position = models.PositiveIntegerField(_("position"))
    id_pce = models.PositiveIntegerField("IdPce")
    typ_pce = models.CharField("TypPce", max_length=2, blank=True)
    nat_pce = models.CharField("NatPce", max_length=2, blank=True)
    objet = models.CharField(_("objet"), max_length=200, blank=True)
    cod_serv = models.CharField(_("service"), max_length=20, blank=True)
    date_echeance = models.DateField(_("due date"), null=True, blank=True)
    tiers_name = models.CharField(_("tiers"), max_length=200, blank=True)
    tiers_id = models.CharField(_("tiers identifier"), max_length=80, blank=True)
    nature = models.CharField(_("nature"), max_length=12, blank=True)
    fonction = models.CharField(_("function"), max_length=10, blank=True)
    operation = models.CharField(_("operation"), max_length=10, blank=True)
    total_ht = models.DecimalField(_("amount excl. VAT"), **_AMOUNT, default=0)
    total_tva = models.DecimalField(_("VAT"), **_AMOUNT, default=0)
    line_count = models.PositiveSmallIntegerField(default=1)
    #: [{"id_ligne", "nature", "fonction", "operation", "libelle", "montant_ht", "montant_tva",
    #:   "mod_regl", "cod_prod_loc", "tiers": [{"nom", "prenom", "id_tiers", "cp", "ville",
    #:   "bank"}]}] — amounts as strings.
    lines = models.JSONField(default=list)
    #: IdUnique of the attachments the pièce or its lines reference.
    pj_refs = models.JSONField(default=list, blank=True)
    source_line = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("pièce")
        verbose_name_plural = _("pièces")
        ordering = ["bordereau", "position"]
        constraints = [
            models.UniqueConstraint(fields=["bordereau", "position"], name="piece_unique_position")
        ]

    def __str__(self) -> str:
        return f"{self.id_pce} {self.tiers_name}"

    @property
    def total_ttc(self):
        return self.total_ht + self.total_tva


class PesAttachment(models.Model):
    """A PES_PJ/PJ carried in the flow (the content stays in the file)."""

    flow = models.ForeignKey(PesFlow, on_delete=models.CASCADE, related_name="attachments")
    position = models.PositiveIntegerField()
    id_unique = models.CharField("IdUnique", max_length=50)
    nom_pj = models.CharField(_("file name"), max_length=100, blank=True)
    type_pj = models.CharField("TypePJ", max_length=3, blank=True)
    description = models.CharField(_("description"), max_length=250, blank=True)
    mime_type = models.CharField(max_length=100, blank=True)
    encoded_size = models.PositiveBigIntegerField(default=0)
    ref_compta = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["flow", "position"]
        constraints = [
            models.UniqueConstraint(fields=["flow", "id_unique"], name="pesattachment_unique_id")
        ]

    def __str__(self) -> str:
        return self.nom_pj or self.id_unique


class PesTransmission(models.Model):
    """One sending of a signed flow to the treasury. At most one that has not failed per flow
    (database constraint): a flow is never sent twice."""

    flow = models.ForeignKey(PesFlow, on_delete=models.PROTECT, related_name="transmissions")
    connector = models.CharField(_("connector"), max_length=20, choices=Connector.choices)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=TransmissionStatus.choices,
        default=TransmissionStatus.QUEUED,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    external_id = models.CharField(_("transaction number"), max_length=80, blank=True)
    target = models.CharField(_("delivered to"), max_length=500, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    #: [{"at", "attempt", "error", "transient"}] — every failed attempt.
    errors = models.JSONField(default=list, blank=True)
    remote_status = models.CharField(_("platform status"), max_length=80, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("transmission")
        verbose_name_plural = _("transmissions")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["flow"], condition=~Q(status="failed"), name="pestransmission_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.flow} → {self.get_connector_display()} ({self.get_status_display()})"

    @property
    def journal_chain_key(self) -> str:
        return f"pesflow:{self.flow_id}"


class PesAcquit(models.Model):
    """A PES_ACQUIT (positive or negative) and its outcome per element of the flow."""

    collectivite = models.ForeignKey(
        "deliberations.Collectivite", on_delete=models.PROTECT, related_name="pes_acquits"
    )
    flow = models.ForeignKey(
        PesFlow, on_delete=models.PROTECT, null=True, blank=True, related_name="acquits"
    )
    name = models.CharField(_("file name"), max_length=255)
    file = models.FileField(max_length=255)
    sha256 = models.CharField(max_length=64)
    accepted = models.BooleanField(_("accepted"))
    #: Every ElementACQUIT: domain, accepted, bordereau, exercice, IdUnique, errors, pièces.
    elements = models.JSONField(default=list)
    schema_issues = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=10, choices=ReturnSource.choices)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField()

    class Meta:
        verbose_name = _("acknowledgement (PES_ACQUIT)")
        verbose_name_plural = _("acknowledgements (PES_ACQUIT)")
        ordering = ["-imported_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["collectivite", "sha256"], name="pesacquit_once")
        ]

    def __str__(self) -> str:
        return self.name


class PesRetour(models.Model):
    """A PES_Retour (prise en charge, rejets, paiements) kept as received."""

    collectivite = models.ForeignKey(
        "deliberations.Collectivite", on_delete=models.PROTECT, related_name="pes_retours"
    )
    flow = models.ForeignKey(
        PesFlow, on_delete=models.PROTECT, null=True, blank=True, related_name="retours"
    )
    name = models.CharField(_("file name"), max_length=255)
    file = models.FileField(max_length=255)
    sha256 = models.CharField(max_length=64)
    #: [{"domain", "exercice", "id_bord", "pieces": [{"id_pce", "etat"...}]}]
    bordereaux = models.JSONField(default=list)
    schema_issues = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=10, choices=ReturnSource.choices)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField()

    class Meta:
        verbose_name = _("treasury return (PES_Retour)")
        verbose_name_plural = _("treasury returns (PES_Retour)")
        ordering = ["-imported_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["collectivite", "sha256"], name="pesretour_once")
        ]

    def __str__(self) -> str:
        return self.name


class PesVerificationReport(models.Model):
    """The treasury's verification of a flow's signatures, kept as it was made."""

    flow = models.ForeignKey(PesFlow, on_delete=models.PROTECT, related_name="verification_reports")
    file_sha256 = models.CharField(max_length=64)
    valid = models.BooleanField(_("every signature is valid"))
    chain_checked = models.BooleanField(default=False)
    #: One report per bordereau (see exports.pes.verify.BordereauSignatureReport).
    bordereaux = models.JSONField(default=list)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("signature verification report")
        verbose_name_plural = _("signature verification reports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.flow} · {self.created_at:%Y-%m-%d %H:%M}"


class PesCounter(models.Model):
    """The last IdBord (per exercise, budget, kind and TypBord) or IdPce (per exercise, budget
    and kind) given by Délibre; locked while a flow is built so numbers are never reused."""

    collectivite = models.ForeignKey(
        "deliberations.Collectivite", on_delete=models.CASCADE, related_name="pes_counters"
    )
    cod_bud = models.CharField(max_length=2)
    kind = models.CharField(max_length=10, choices=BordereauKind.choices)
    exercice = models.PositiveIntegerField()
    counter = models.CharField(max_length=10, choices=CounterKind.choices)
    typ_bord = models.CharField(max_length=2, blank=True)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("PES counter")
        verbose_name_plural = _("PES counters")
        constraints = [
            models.UniqueConstraint(
                fields=["collectivite", "cod_bud", "kind", "exercice", "counter", "typ_bord"],
                name="pescounter_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.exercice} {self.counter}: {self.last_value}"


class PlannedMandate(models.Model):
    """A "mandat à émettre": one payment an adopted deliberation decides (a subsidy to an
    association…), entered by the clerk from the deliberation's table (CSV upload)."""

    act = models.ForeignKey(
        "deliberations.Act", on_delete=models.CASCADE, related_name="planned_mandates"
    )
    position = models.PositiveIntegerField()
    beneficiary = models.CharField(_("beneficiary"), max_length=38)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    iban = models.CharField("IBAN", max_length=34)
    bic = models.CharField("BIC", max_length=11)
    amount = models.DecimalField(_("amount"), **_AMOUNT)
    nature = models.CharField(_("nature (account)"), max_length=12)
    fonction = models.CharField(_("function"), max_length=10, blank=True)
    objet = models.CharField(_("objet"), max_length=100)
    address = models.CharField(_("address"), max_length=38)
    postal_code = models.CharField(_("postal code"), max_length=5)
    city = models.CharField(_("city"), max_length=38)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("mandat to issue")
        verbose_name_plural = _("mandats to issue")
        ordering = ["act", "position"]
        constraints = [
            models.UniqueConstraint(fields=["act", "position"], name="plannedmandate_position")
        ]

    def __str__(self) -> str:
        return f"{self.beneficiary}: {self.amount}"


class PesSettings(models.Model):
    """How a collectivité exchanges flows: where the finance software and the platform drop
    files for Délibre, and how signed flows reach the treasury. Without a row, the folders under
    DELIBRE_PES_DIR are used and flows are dropped in a folder."""

    collectivite = models.OneToOneField(
        "deliberations.Collectivite", on_delete=models.CASCADE, related_name="pes_settings"
    )
    connector = models.CharField(
        _("sending to the treasury"),
        max_length=20,
        choices=Connector.choices,
        default=Connector.FOLDER,
        help_text=_("S2LOW uses the collectivité's S2LOW account of the prefecture transmissions."),
    )
    drop_folder = models.CharField(
        _("drop folder"),
        max_length=500,
        blank=True,
        help_text=_("Where signed flows are written for the treasury; empty: the default folder."),
    )
    inbox_folder = models.CharField(
        _("incoming folder"),
        max_length=500,
        blank=True,
        help_text=_(
            "Where the finance software drops PES_Aller flows and the platform drops "
            "acknowledgements (PES_ACQUIT) and returns (PES_Retour); empty: the default folder."
        ),
    )
    inbox_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imports made in the name of"),
        help_text=_("The person the watched folder's imports are recorded for."),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("treasury exchange settings")
        verbose_name_plural = _("treasury exchange settings")

    def __str__(self) -> str:
        return f"{self.collectivite} · {self.get_connector_display()}"

    @property
    def journal_chain_key(self) -> str:
        return f"collectivite:{self.collectivite_id}"


class PesImport(models.Model):
    """A PES_Aller uploaded to be imported in the background (files larger than
    ``DELIBRE_PES_BACKGROUND_BYTES``): the upload kept until the import ends, then the flow it
    made or the problems that refused it. Changed only by exports.pes.services.jobs."""

    collectivite = models.ForeignKey(
        "deliberations.Collectivite", on_delete=models.CASCADE, related_name="pes_imports"
    )
    name = models.CharField(_("file name"), max_length=255)
    #: The upload, until the import ends (the flow then keeps its own copy).
    file = models.FileField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(_("size"))
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    flow = models.OneToOneField(
        PesFlow, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    error = models.TextField(_("reason"), blank=True)
    #: The problems that refused the file, as PesIssue dicts (line, element, rule).
    issues = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("PES import")
        verbose_name_plural = _("PES imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def journal_chain_key(self) -> str:
        return f"collectivite:{self.collectivite_id}"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    @property
    def progress_key(self) -> str:
        return f"pes-import:{self.pk}"
