"""Forms of the parapheur pages. They parse input only; the services decide."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from deliberations.enums import ActType
from deliberations.models import Collectivite, Service, User

from .enums import CircuitPhase, DelegationScope, NotificationMode, StepKind, StepMode
from .models import AssigneeGroup, Circuit
from .services import StepSpec


def _people(collectivite: Collectivite):
    return (
        User.objects.filter(memberships__collectivite=collectivite, is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


# --- Decisions --------------------------------------------------------------------------------


class StartCircuitForm(forms.Form):
    circuit = forms.ModelChoiceField(label=_("Circuit"), queryset=Circuit.objects.none())

    def __init__(self, *args: Any, circuits: list[Circuit], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["circuit"].queryset = Circuit.objects.filter(pk__in=[c.pk for c in circuits])
        if circuits:
            self.fields["circuit"].initial = circuits[0].pk


class ApproveForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment (optional)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    on_behalf_of = forms.IntegerField(widget=forms.HiddenInput, required=False)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason of the rejection"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required: the drafter reads it to fix the project."),
    )
    on_behalf_of = forms.IntegerField(widget=forms.HiddenInput, required=False)


class SkipForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the step skipped?"), widget=forms.Textarea(attrs={"rows": 2})
    )


class OpinionForm(forms.Form):
    requested_from = PersonChoiceField(label=_("Ask"), queryset=User.objects.none())
    question = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 3}))
    on_behalf_of = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, collectivite: Collectivite, user: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        people = _people(collectivite)
        if user is not None:
            people = people.exclude(pk=user.pk)
        self.fields["requested_from"].queryset = people


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Your opinion"), widget=forms.Textarea(attrs={"rows": 3}))


class RecallForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you recall it? (optional)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


# --- Configuration ----------------------------------------------------------------------------


class CircuitForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    phase = forms.ChoiceField(label=_("Phase"), choices=CircuitPhase.choices)
    act_types = forms.MultipleChoiceField(
        label=_("Act types"),
        choices=ActType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every type."),
    )
    services = forms.ModelMultipleChoiceField(
        label=_("Services"),
        queryset=Service.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every service."),
    )
    is_default = forms.BooleanField(label=_("Proposed first"), required=False)

    def __init__(self, *args: Any, collectivite: Collectivite, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = collectivite.services.all()

    @classmethod
    def initial_for(cls, circuit: Circuit) -> dict[str, Any]:
        return {
            "name": circuit.name,
            "phase": circuit.phase,
            "act_types": circuit.act_types,
            "services": list(circuit.services.all()),
            "is_default": circuit.is_default,
        }


class StepForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=StepKind.choices)
    mode = forms.ChoiceField(label=_("Mode"), choices=StepMode.choices, initial=StepMode.ONE)
    label = forms.CharField(label=_("Label"), max_length=120, required=False)
    users = PeopleChoiceField(label=_("People"), queryset=User.objects.none(), required=False)
    groups = forms.ModelMultipleChoiceField(
        label=_("Desks"), queryset=AssigneeGroup.objects.none(), required=False
    )
    deadline_days = forms.IntegerField(label=_("Deadline (days)"), min_value=1, required=False)
    signer_quality = forms.CharField(
        label=_("Signer's quality (signatures)"), max_length=200, required=False
    )

    def __init__(self, *args: Any, collectivite: Collectivite, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["users"].queryset = _people(collectivite)
        self.fields["groups"].queryset = collectivite.assignee_groups.filter(is_active=True)

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not data.get("label") and not data.get("users") and not data.get("groups")

    def spec(self) -> StepSpec:
        data = self.cleaned_data
        return StepSpec(
            kind=data["kind"],
            label=data.get("label", ""),
            mode=data["mode"],
            users=list(data.get("users") or []),
            groups=list(data.get("groups") or []),
            deadline_days=data.get("deadline_days"),
            signer_quality=data.get("signer_quality", ""),
        )


class BaseStepFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, collectivite: Collectivite, **kwargs: Any):
        self.collectivite = collectivite
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {"collectivite": self.collectivite}

    def specs(self) -> list[StepSpec]:
        """The filled rows, in order (rows left blank are ignored)."""
        return [
            form.spec()
            for form in self.forms
            if form.is_valid() and form.has_changed() and not form.is_blank()
        ]


StepFormSet = forms.formset_factory(StepForm, formset=BaseStepFormSet, extra=3, max_num=30)


def step_initial(circuit: Circuit) -> list[dict[str, Any]]:
    return [
        {
            "kind": step.kind,
            "mode": step.mode,
            "label": step.label,
            "users": list(step.users.all()),
            "groups": list(step.groups.all()),
            "deadline_days": step.deadline_days,
            "signer_quality": step.signer_quality,
        }
        for step in circuit.steps.order_by("position")
    ]


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    members = PeopleChoiceField(label=_("Members"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, collectivite: Collectivite, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = _people(collectivite)


# --- Delegations and notifications ------------------------------------------------------------


class DelegationForm(forms.Form):
    delegator = PersonChoiceField(
        label=_("Delegator"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Administrators may record a delegation for someone else."),
    )
    delegate = PersonChoiceField(label=_("Delegate"), queryset=User.objects.none())
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(
        label=_("Until (included)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    act_types = forms.MultipleChoiceField(
        label=_("Act types"),
        choices=ActType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every type."),
    )
    matiere_codes = forms.CharField(
        label=_("Matières"),
        required=False,
        help_text=_(
            "Classification codes separated by commas, e.g. “7, 3.1”; empty: every matière."
        ),
    )
    scope = forms.ChoiceField(
        label=_("Covers"),
        choices=DelegationScope.choices,
        initial=DelegationScope.ACTS,
        required=False,
        help_text=_(
            "The signature of treasury flows (bordereaux of mandats and titres) is delegated "
            "explicitly; act types and matières do not apply to it."
        ),
    )
    quality = forms.CharField(
        label=_("Quality of the delegate"),
        max_length=200,
        required=False,
        help_text=_("Printed after the name, e.g. “Adjointe déléguée aux finances”."),
    )
    reference = forms.CharField(
        label=_("Delegation order"),
        max_length=200,
        required=False,
        help_text=_("Number and date of the arrêté de délégation."),
    )

    def __init__(
        self, *args: Any, collectivite: Collectivite, user: Any, admin: bool, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        people = _people(collectivite)
        self.fields["delegate"].queryset = people.exclude(pk=user.pk)
        if admin:
            self.fields["delegator"].queryset = people
        else:
            del self.fields["delegator"]

    def clean_matiere_codes(self) -> list[str]:
        return [code for code in re.split(r"[\s,;]+", self.cleaned_data["matiere_codes"]) if code]

    def clean_scope(self) -> str:
        return self.cleaned_data["scope"] or DelegationScope.ACTS


class PreferenceForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("E-mails"), choices=NotificationMode.choices, widget=forms.RadioSelect
    )
