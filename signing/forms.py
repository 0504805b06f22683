"""Forms of the signing pages: they parse input only; the services decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .enums import Level
from .models import SigningSettings, UserCertificate
from .services.configuration import SETTINGS_FIELDS


class PasswordField(forms.CharField):
    """A password typed for one operation: never re-displayed, never stripped."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("label", _("Password of your certificate"))
        kwargs.setdefault("strip", False)
        kwargs.setdefault(
            "widget", forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"})
        )
        super().__init__(**kwargs)


class CertificateChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: UserCertificate) -> str:
        return _("%(name)s — issued by %(issuer)s, valid until %(date)s") % {
            "name": obj.label or obj.common_name,
            "issuer": obj.issuer.split(",")[0].removeprefix("CN="),
            "date": obj.not_after.strftime("%d/%m/%Y"),
        }


class SignForm(forms.Form):
    """Sign a step (or a séance document) with one's own certificate."""

    certificate = CertificateChoice(
        queryset=UserCertificate.objects.none(), label=_("Certificate"), empty_label=None
    )
    password = PasswordField()
    comment = forms.CharField(label=_("Comment (optional)"), required=False, max_length=2000)
    on_behalf_of = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, certificates: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if certificates is not None:
            cast(forms.ModelChoiceField, self.fields["certificate"]).queryset = certificates


class SealForm(forms.Form):
    comment = forms.CharField(label=_("Comment (optional)"), required=False, max_length=2000)
    on_behalf_of = forms.IntegerField(required=False, widget=forms.HiddenInput)


class CertificateUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Certificate file (.p12 or .pfx)"),
        help_text=_("The file your certification authority gave you, with your private key."),
    )
    password = PasswordField(
        help_text=_(
            "Used once to read the file and check it; it is not kept. You will type it again "
            "at each signature."
        )
    )
    label = forms.CharField(
        label=_("Label (optional)"),
        required=False,
        max_length=120,
        help_text=_("To tell your certificates apart, e.g. “Certigna 2027”."),
    )


class TrustedRootForm(forms.Form):
    file = forms.FileField(
        label=_("Certificate of the authority (PEM or DER)"),
        help_text=_(
            "The root (or intermediate) certificate that issued your signers' certificates."
        ),
    )
    label = forms.CharField(label=_("Label (optional)"), required=False, max_length=200)
    everyone = forms.BooleanField(
        label=_("Trust it for every collectivité of the platform"), required=False
    )


class SigningSettingsForm(forms.ModelForm):
    class Meta:
        model = SigningSettings
        fields = list(SETTINGS_FIELDS)
        widgets = {"tsa_url": forms.URLInput(attrs={"placeholder": "https://tsa.example.fr/tsa"})}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["default_level"]).choices = [
            ("", _("Automatic (B-LT with a TSA, B-B without)")),
            *Level.choices,
        ]

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in SETTINGS_FIELDS}


class StepPolicyForm(forms.Form):
    level = forms.ChoiceField(
        label=_("Level"),
        required=False,
        choices=[("", _("Collectivité's default")), *Level.choices],
    )
    field_name = forms.CharField(label=_("Signature field"), required=False, max_length=64)


class BatchForm(forms.Form):
    step_runs = forms.TypedMultipleChoiceField(
        label=_("Folders"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    certificate = CertificateChoice(
        queryset=UserCertificate.objects.none(), label=_("Certificate"), empty_label=None
    )
    password = PasswordField()

    def __init__(self, *args: Any, candidates: Any = (), certificates: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices = [(item.step.pk, str(item.act)) for item in candidates]
        cast(forms.ChoiceField, self.fields["step_runs"]).choices = choices
        if certificates is not None:
            cast(forms.ModelChoiceField, self.fields["certificate"]).queryset = certificates


class VerifyForm(forms.Form):
    file = forms.FileField(label=_("Signed file (PDF, or PES XML flow)"))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext(
            "At most %(size)d MB. The file is checked, then forgotten: nothing is kept."
        ) % {"size": settings.DELIBRE_MAX_VERIFY_BYTES // (1024 * 1024)}
