"""Forms of the treasury-flow pages (parse input only; the services decide)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from deliberations.models import Collectivite, User
from workflow.models import Circuit

from .enums import Connector, FlowSource, PesFlowStatus


class FlowFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, help_text=_("File name or budget."))
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *PesFlowStatus.choices]
    )
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("Any")), *FlowSource.choices]
    )
    exercice = forms.IntegerField(label=_("Exercise"), required=False, min_value=1900)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("PES_Aller file"),
        help_text=_("The XML file exported by the finance software (PESALR1/PESALR2)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xml,application/xml,text/xml"}),
    )


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"))


class StartForm(forms.Form):
    circuit = forms.ModelChoiceField(
        label=_("Circuit"), queryset=Circuit.objects.none(), required=False, empty_label=None
    )

    def __init__(self, *args: Any, circuits: list[Circuit], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["circuit"].queryset = Circuit.objects.filter(pk__in=[c.pk for c in circuits])


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    on_behalf_of = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
    on_behalf_of = forms.IntegerField(required=False, widget=forms.HiddenInput)


class SignForm(forms.Form):
    PKCS12 = "pkcs12"
    TOKEN = "token"

    method = forms.ChoiceField(
        label=_("Key"),
        choices=[
            (PKCS12, _("My certificate file (PKCS#12)")),
            (TOKEN, _("The signing token of the server")),
        ],
        initial=PKCS12,
        widget=forms.RadioSelect,
    )
    certificate = forms.FileField(
        label=_("Certificate file"),
        required=False,
        help_text=_("Your .p12 or .pfx file; it is used for this signature and not kept."),
        widget=forms.ClearableFileInput(attrs={"accept": ".p12,.pfx"}),
    )
    password = forms.CharField(
        label=_("Password of the certificate"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}, render_value=False),
        help_text=_("Typed for this signature only; Délibre never stores it."),
    )
    comment = forms.CharField(
        label=_("Comment (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    on_behalf_of = forms.IntegerField(required=False, widget=forms.HiddenInput)
    confirm = forms.BooleanField(
        label=_("I have checked the bordereaux, their totals and their pièces."), required=True
    )

    def __init__(self, *args: Any, token: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not token:
            self.fields["method"].choices = self.fields["method"].choices[:1]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("method") == self.PKCS12 and not data.get("certificate"):
            self.add_error("certificate", _("Choose your certificate file."))
        return data


class BuildForm(forms.Form):
    issued_on = forms.DateField(
        label=_("Date of issue"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: today. It must fall in the exercise (or in its January extension)."),
    )


class SettingsForm(forms.Form):
    connector = forms.ChoiceField(label=_("Sending to the treasury"), choices=Connector.choices)
    drop_folder = forms.CharField(label=_("Drop folder"), required=False, max_length=500)
    inbox_folder = forms.CharField(label=_("Incoming folder"), required=False, max_length=500)
    inbox_user = forms.ModelChoiceField(
        label=_("Imports of the incoming folder made in the name of"),
        queryset=User.objects.none(),
        required=False,
    )

    def __init__(self, *args: Any, collectivite: Collectivite, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["inbox_user"].queryset = User.objects.filter(
            memberships__collectivite=collectivite
        ).distinct()
