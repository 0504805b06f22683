"""Forms of the prefecture pages: parse input only; the services decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import reader
from .enums import TdtConnector, TransmissionKind
from .exceptions import ActesError
from .models import TdtSettings
from .services.settings import EDITABLE


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe)."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "application/pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class ImportReturnForm(forms.Form):
    file = forms.FileField(
        label=_("File received from the prefecture"),
        help_text=_(
            "A tar.gz package or an XML message: acknowledgement, anomaly, letter, "
            "cancellation or classification."
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        try:  # before anything reads it into memory
            reader.check_size(upload.size)
        except ActesError as exc:
            raise forms.ValidationError(str(exc.message)) from exc
        return upload


class AnswerForm(forms.Form):
    kind = forms.ChoiceField(label=_("Answer"), widget=forms.RadioSelect)
    documents = MultipleFileField(
        label=_("Letter or documents (PDF)"),
        required=False,
        help_text=_(
            "Not needed for an acknowledgement. Several files only for documents asked for."
        ),
    )

    def __init__(self, *args: Any, kinds: tuple[str, ...] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = [
            (k, TransmissionKind(k).label) for k in kinds
        ]
        if kinds:
            self.fields["kind"].initial = kinds[0]

    def documents_content(self) -> list[tuple[str, bytes]]:
        return [(f.name, f.read()) for f in self.cleaned_data.get("documents") or []]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReconcileForm(forms.Form):
    received = forms.TypedChoiceField(
        label=_("What S2LOW shows"),
        choices=[
            ("1", _("S2LOW has the act: record its transaction number")),
            ("0", _("S2LOW does not have it: send it again")),
        ],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    external_id = forms.CharField(
        label=_("S2LOW transaction number"), required=False, max_length=20
    )


class TdtSettingsForm(forms.Form):
    connector = forms.ChoiceField(label=_("Connector"), choices=TdtConnector.choices)
    folder_path = forms.CharField(label=_("Drop folder"), required=False)
    return_folder_path = forms.CharField(label=_("Returns folder"), required=False)
    s2low_url = forms.CharField(label=_("S2LOW address"), required=False)
    client_cert = forms.CharField(label=_("Client certificate (PEM)"), required=False)
    client_key = forms.CharField(label=_("Private key (PEM)"), required=False)
    key_password_env = forms.CharField(label=_("Key password variable"), required=False)
    ca_file = forms.CharField(label=_("Certificate authority of S2LOW (PEM)"), required=False)
    timeout_seconds = forms.IntegerField(label=_("Timeout (seconds)"), min_value=1, max_value=300)
    return_emails = forms.CharField(
        label=_("Return e-mails"),
        help_text=_("One or more addresses, separated by commas."),
    )
    referent_name = forms.CharField(label=_("Referent"), required=False)
    referent_phone = forms.CharField(label=_("Referent's telephone"), required=False)
    referent_email = forms.EmailField(label=_("Referent's e-mail"), required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name in (
            "folder_path",
            "return_folder_path",
            "client_cert",
            "client_key",
            "ca_file",
            "key_password_env",
        ):
            field = cast(models.Field, TdtSettings._meta.get_field(name))
            self.fields[name].help_text = field.help_text

    @classmethod
    def initial_for(cls, tdt: TdtSettings | None) -> dict[str, Any]:
        if tdt is None:
            return {"connector": TdtConnector.FOLDER, "timeout_seconds": 30}
        initial = {name: getattr(tdt, name) for name in EDITABLE}
        initial["return_emails"] = ", ".join(tdt.return_emails)
        return initial

    def service_kwargs(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in EDITABLE}
