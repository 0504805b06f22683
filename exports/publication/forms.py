"""Forms of the publication pages (public filters, staff reasons): parse input only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from deliberations.enums import ActType
from exports.opendata.checks import ACTES_LEVEL1


class PortalFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text=_("Words of the objet, or the act's number."),
    )
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None)
    type = forms.ChoiceField(label=_("Type"), required=False)
    matiere = forms.ChoiceField(label=_("Classification"), required=False)

    def __init__(self, *args: Any, years: Sequence[int] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["year"]).choices = [
            ("", _("All years")),
            *((y, y) for y in years),
        ]
        cast(forms.ChoiceField, self.fields["type"]).choices = [
            ("", _("All types")),
            *ActType.choices,
        ]
        cast(forms.ChoiceField, self.fields["matiere"]).choices = [
            ("", _("All subjects")),
            *((str(code), f"{code}. {label}") for code, label in ACTES_LEVEL1.items()),
        ]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
