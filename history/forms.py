"""The upload form of the history import page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ImportUploadForm(forms.Form):
    manifest = forms.FileField(
        label=_("Manifest (CSV or JSON)"),
        help_text=_("One act per row, with the columns described in the migration guide."),
    )
    files = forms.FileField(
        label=_("Files (zip)"),
        required=False,
        help_text=_("The PDFs, annexes and acknowledgements the manifest names, in one zip."),
    )
    officials = forms.FileField(
        label=_("Elected officials (CSV)"),
        required=False,
        help_text=_("Optional: one mandate per row (a JSON manifest may name it instead)."),
    )
    classification = forms.FileField(
        label=_("Prefecture's classification (XML)"),
        required=False,
        help_text=_("Optional: the RetourClassification file, when it is not imported yet."),
    )
