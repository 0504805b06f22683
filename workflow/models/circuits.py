"""Approval circuits (parapheur): what admins configure, and the frozen copy each act runs through.

DESIGN.md decision 2: circuits are plain tables. Starting a circuit copies its steps into
:class:`CircuitRun`/:class:`StepRun`/:class:`StepAssignee` rows, so editing a circuit never
changes a folder in progress. Every decision is one :class:`Decision` row, never updated.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from deliberations.enums import ActType

from ..enums import CircuitPhase, DecisionAction, RunStatus, StepKind, StepMode, StepStatus


class AssigneeGroup(models.Model):
    """A desk ("bureau"): any one of its members acts for it, e.g. « Direction générale »."""

    collectivite = models.ForeignKey(
        "deliberations.Collectivite", on_delete=models.CASCADE, related_name="assignee_groups"
    )
    name = models.CharField(_("name"), max_length=120)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="assignee_groups"
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("desk")
        verbose_name_plural = _("desks")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["collectivite", "name"], name="group_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def journal_chain_key(self) -> str:
        return f"collectivite:{self.collectivite_id}"


class Circuit(models.Model):
    """An ordered list of steps an act goes through, chosen by act type and service."""

    collectivite = models.ForeignKey(
        "deliberations.Collectivite", on_delete=models.CASCADE, related_name="circuits"
    )
    name = models.CharField(_("name"), max_length=120)
    phase = models.CharField(_("phase"), max_length=20, choices=CircuitPhase.choices)
    act_types = models.JSONField(
        _("act types"),
        default=list,
        blank=True,
        help_text=_("Types of act this circuit applies to; none means every type."),
    )
    services = models.ManyToManyField(
        "deliberations.Service",
        blank=True,
        related_name="circuits",
        verbose_name=_("services"),
        help_text=_("Services whose projects use this circuit; none means every service."),
    )
    is_default = models.BooleanField(
        _("default"),
        default=False,
        help_text=_("Proposed first when several circuits apply to a project."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("circuit")
        verbose_name_plural = _("circuits")
        ordering = ["phase", "name"]
        constraints = [
            models.UniqueConstraint(fields=["collectivite", "name"], name="circuit_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def journal_chain_key(self) -> str:
        return f"collectivite:{self.collectivite_id}"

    def applies_to_type(self, act_type: str) -> bool:
        return not self.act_types or act_type in self.act_types

    @property
    def act_type_labels(self) -> list[str]:
        return [str(ActType(t).label) for t in self.act_types]


class CircuitStep(models.Model):
    """One step of a circuit: who gives a visa, signs or seals, in which order."""

    circuit = models.ForeignKey(Circuit, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=10, choices=StepKind.choices)
    mode = models.CharField(_("mode"), max_length=5, choices=StepMode.choices, default=StepMode.ONE)
    label = models.CharField(_("label"), max_length=120, help_text=_("For example “Visa du DGS”."))
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    groups = models.ManyToManyField(AssigneeGroup, blank=True, related_name="circuit_steps")
    deadline_days = models.PositiveSmallIntegerField(
        _("deadline (days)"),
        null=True,
        blank=True,
        help_text=_("Days after the folder reaches the step; a reminder is sent once it is late."),
    )
    signer_quality = models.CharField(
        _("signer's quality"),
        max_length=200,
        blank=True,
        help_text=_("Printed on the act under the signature, e.g. “Le Maire”."),
    )

    class Meta:
        verbose_name = _("circuit step")
        verbose_name_plural = _("circuit steps")
        ordering = ["circuit", "position"]
        constraints = [
            models.UniqueConstraint(fields=["circuit", "position"], name="step_unique_position")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.label}"


class CircuitRun(models.Model):
    """One passage of a folder through a circuit, frozen when it starts.

    The folder is an act or a PES flow (exactly one of ``act`` and ``flow``, checked by the
    database); ``folder`` returns it.
    """

    act = models.ForeignKey(
        "deliberations.Act",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="circuit_runs",
    )
    flow = models.ForeignKey(
        "pes.PesFlow",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="circuit_runs",
    )
    circuit = models.ForeignKey(
        Circuit, on_delete=models.SET_NULL, null=True, blank=True, related_name="runs"
    )
    circuit_name = models.CharField(_("circuit"), max_length=120)
    phase = models.CharField(_("phase"), max_length=20, choices=CircuitPhase.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=RunStatus.choices, default=RunStatus.ACTIVE
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("circuit run")
        verbose_name_plural = _("circuit runs")
        ordering = ["act", "started_at", "pk"]
        constraints = [
            # At most one run in progress per act: the database says no even if a check races.
            models.UniqueConstraint(
                fields=["act"], condition=Q(status="active"), name="run_one_active_per_act"
            ),
            models.UniqueConstraint(
                fields=["flow"], condition=Q(status="active"), name="run_one_active_per_flow"
            ),
            models.CheckConstraint(
                condition=Q(act__isnull=False, flow__isnull=True)
                | Q(act__isnull=True, flow__isnull=False),
                name="run_act_xor_flow",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.circuit_name} ({self.get_status_display()})"

    @property
    def folder(self):
        """The act or the PES flow this run carries."""
        return self.act if self.act_id is not None else self.flow

    @property
    def is_pes(self) -> bool:
        return self.flow_id is not None

    @property
    def journal_chain_key(self) -> str:
        return f"act:{self.act_id}" if self.act_id is not None else f"pesflow:{self.flow_id}"


class StepRun(models.Model):
    """A frozen step of a run, with its state and deadline."""

    run = models.ForeignKey(CircuitRun, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=10, choices=StepKind.choices)
    mode = models.CharField(_("mode"), max_length=5, choices=StepMode.choices)
    label = models.CharField(_("label"), max_length=120)
    signer_quality = models.CharField(_("signer's quality"), max_length=200, blank=True)
    deadline_days = models.PositiveSmallIntegerField(null=True, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=StepStatus.choices, default=StepStatus.PENDING
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("step of a run")
        verbose_name_plural = _("steps of runs")
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="steprun_unique_position")
        ]
        indexes = [models.Index(fields=["status", "deadline"])]

    def __str__(self) -> str:
        return f"{self.position}. {self.label}"

    @property
    def is_signature(self) -> bool:
        return StepKind(self.kind).signs


class StepAssignee(models.Model):
    """Who may decide a frozen step: one user, or one desk (any of its current members)."""

    step_run = models.ForeignKey(StepRun, on_delete=models.CASCADE, related_name="assignees")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    group = models.ForeignKey(
        AssigneeGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("assignee")
        verbose_name_plural = _("assignees")
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False, group__isnull=True))
                | Q(user__isnull=True, group__isnull=False),
                name="assignee_user_xor_group",
            )
        ]

    def __str__(self) -> str:
        return str(self.user or self.group)


class Decision(models.Model):
    """One decision on a step: who, on whose behalf (delegation), when, what, why. Never updated."""

    step_run = models.ForeignKey(StepRun, on_delete=models.PROTECT, related_name="decisions")
    #: The assignee entry the decision was taken for (its approval satisfies that entry).
    assignee = models.ForeignKey(
        StepAssignee, on_delete=models.PROTECT, null=True, blank=True, related_name="decisions"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=20, choices=DecisionAction.choices)
    comment = models.TextField(_("comment"), blank=True)
    #: What the signing service handed over for a signature step (signed document hash…).
    signature = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["step_run", "action"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.actor}"


class OpinionRequest(models.Model):
    """An "aller-retour": someone outside the circuit is consulted; the folder comes back."""

    step_run = models.ForeignKey(StepRun, on_delete=models.PROTECT, related_name="opinions")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_from = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="opinion_requests"
    )
    question = models.TextField(_("question"))
    answer = models.TextField(_("answer"), blank=True)
    requested_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("opinion request")
        verbose_name_plural = _("opinion requests")
        ordering = ["requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["step_run"],
                condition=Q(answered_at__isnull=True),
                name="opinion_one_pending_per_step",
            )
        ]

    def __str__(self) -> str:
        return f"{self.requested_from} · {self.question[:40]}"
