"""Forms of the documents pages (input parsing only: the services decide)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .enums import AnnexMode
from .models import DocumentSettings

#: The wording a collectivité may replace (exports.documents.context.WORDING_KEYS), labelled.
WORDING_LABELS = {
    "deliberation_title": _("Title of a deliberation"),
    "arrete_title": _("Title of an order (arrêté)"),
    "assembly_formula": _("Formula before the decision"),
    "deliberation_decision": _("Decision word of a deliberation"),
    "arrete_decision": _("Decision word of an order"),
    "closing_formula": _("Closing formula"),
    "certification": _("Certification sentence"),
    "appeal_notice": _("Appeal notice"),
    "publication_notice": _("Publication notice"),
    "convocation_body": _("Body of the convocation"),
    "minutes_title": _("Title of the minutes"),
}


#: The default wording the templates print (same msgids), shown as placeholders.
WORDING_DEFAULTS = {
    "deliberation_title": _("Extract from the register of deliberations"),
    "assembly_formula": _("The assembly, having deliberated,"),
    "deliberation_decision": _("DECIDES:"),
    "arrete_decision": _("ORDERS:"),
    "closing_formula": _("Done and deliberated on the day, month and year above."),
    "certification": _("Certified true extract of the register."),
    "minutes_title": _("Minutes"),
}


class AnnexModeForm(forms.Form):
    annex_mode = forms.ChoiceField(
        label=_("Annexes"), choices=AnnexMode.choices, initial=AnnexMode.APPENDED
    )


class DocumentSettingsForm(forms.Form):
    header_lines = forms.CharField(
        label=_("Header lines"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One line each, printed above the name of the collectivité "
            "(République française, Département de …)."
        ),
    )
    footer_text = forms.CharField(
        label=_("Footer"),
        required=False,
        max_length=300,
        help_text=_("Printed at the bottom of every page: address, telephone…"),
    )
    primary_colour = forms.RegexField(
        label=_("Primary colour"),
        regex=r"^#[0-9A-Fa-f]{6}$",
        widget=forms.TextInput(attrs={"type": "color"}),
        error_messages={"invalid": _("Write the colour as #RRGGBB, e.g. #1d3557.")},
    )
    show_logo = forms.BooleanField(label=_("Print the logo"), required=False)
    portal_url = forms.URLField(
        label=_("Publication page"),
        required=False,
        assume_scheme="https",
        help_text=_("Where acts are published in full; the website of the collectivité if empty."),
    )
    appeal_court = forms.CharField(
        label=_("Administrative court"),
        required=False,
        max_length=200,
        help_text=_('Named in the appeal notice, e.g. "tribunal administratif de Nantes".'),
    )
    publication_seal = forms.BooleanField(
        label=_("Reserve a field for the publication seal"),
        required=False,
        help_text=_(
            "Acts get an empty signature field that the server seal fills when the act is put "
            "online."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, label in WORDING_LABELS.items():
            attrs: dict[str, Any] = {"rows": 2}
            if key in WORDING_DEFAULTS:
                attrs["placeholder"] = WORDING_DEFAULTS[key]
            self.fields[f"wording_{key}"] = forms.CharField(
                label=label,
                required=False,
                max_length=1000,
                widget=forms.Textarea(attrs=attrs),
            )

    @property
    def wording_fields(self) -> list[forms.BoundField]:
        return [self[f"wording_{key}"] for key in WORDING_LABELS]

    @property
    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith("wording_")]

    @classmethod
    def initial_for(cls, options: DocumentSettings) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "header_lines": "\n".join(options.header_lines or []),
            "footer_text": options.footer_text,
            "primary_colour": options.primary_colour,
            "show_logo": options.show_logo,
            "portal_url": options.portal_url,
            "appeal_court": options.appeal_court,
            "publication_seal": options.publication_seal,
        }
        for key in WORDING_LABELS:
            initial[f"wording_{key}"] = (options.wording or {}).get(key, "")
        return initial

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "header_lines": [
                line.strip() for line in data["header_lines"].splitlines() if line.strip()
            ],
            "footer_text": data["footer_text"].strip(),
            "primary_colour": data["primary_colour"].lower(),
            "show_logo": data["show_logo"],
            "portal_url": data["portal_url"],
            "appeal_court": data["appeal_court"].strip(),
            "publication_seal": data["publication_seal"],
            "wording": {
                key: data[f"wording_{key}"].strip()
                for key in WORDING_LABELS
                if data[f"wording_{key}"].strip()
            },
        }
