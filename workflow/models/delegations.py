"""Delegations: a person lets another act on their folders for a period and a scope."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from deliberations.enums import ActType

from ..enums import DelegationScope


def matiere_in_scope(code: str | None, prefixes: list[str]) -> bool:
    """Does classification ``code`` ("7.1.2") fall under one of ``prefixes`` ("7", "7.1")?

    An empty list means every matière; an act without matière is only covered then.
    """
    if not prefixes:
        return True
    if not code:
        return False
    return any(code == prefix or code.startswith(prefix + ".") for prefix in prefixes)


class Delegation(models.Model):
    """The delegate sees and decides the delegator's folders, within dates and scope.

    Dates are inclusive. A revoked delegation stops at once. The decisions record both names
    (actor = delegate, on_behalf_of = delegator); signatures print the legal mention
    "Pour le Maire et par délégation, <name>, <quality>" (workflow.selectors.delegation_mention).
    """

    collectivite = models.ForeignKey(
        "deliberations.Collectivite", on_delete=models.CASCADE, related_name="delegations"
    )
    delegator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="delegations_given",
        verbose_name=_("delegator"),
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="delegations_received",
        verbose_name=_("delegate"),
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    act_types = models.JSONField(
        _("act types"), default=list, blank=True, help_text=_("None means every type.")
    )
    matiere_codes = models.JSONField(
        _("matières"),
        default=list,
        blank=True,
        help_text=_('Classification codes such as "7" or "7.1"; none means every matière.'),
    )
    scope = models.CharField(
        _("covers"),
        max_length=10,
        choices=DelegationScope.choices,
        default=DelegationScope.ACTS,
        help_text=_(
            "Signing treasury flows (bordereaux of mandats and titres) is delegated explicitly."
        ),
    )
    quality = models.CharField(
        _("quality of the delegate"),
        max_length=200,
        blank=True,
        help_text=_("Printed after the delegate's name, e.g. “Adjointe déléguée aux finances”."),
    )
    reference = models.CharField(
        _("reference of the delegation order"),
        max_length=200,
        blank=True,
        help_text=_("Number and date of the arrêté de délégation."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="delegation_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(delegator=F("delegate")), name="delegation_not_to_oneself"
            ),
        ]
        indexes = [models.Index(fields=["delegate", "starts_on", "ends_on"])]

    def __str__(self) -> str:
        return f"{self.delegator} → {self.delegate} ({self.starts_on:%d/%m/%Y}–{self.ends_on:%d/%m/%Y})"

    @property
    def journal_chain_key(self) -> str:
        return f"collectivite:{self.collectivite_id}"

    @property
    def act_type_labels(self) -> list[str]:
        return [str(ActType(t).label) for t in self.act_types]

    def is_valid_on(self, day: dt.date) -> bool:
        return self.revoked_at is None and self.starts_on <= day <= self.ends_on

    def covers(self, act_type: str, matiere_code: str | None) -> bool:
        """Is an act of this type and matière inside the scope (dates aside)?"""
        if self.scope == DelegationScope.PES:
            return False
        if self.act_types and act_type not in self.act_types:
            return False
        return matiere_in_scope(matiere_code, self.matiere_codes)

    @property
    def covers_pes(self) -> bool:
        """Does it cover the signature of treasury flows (dates aside)?"""
        return self.scope in (DelegationScope.PES, DelegationScope.ALL)
