from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class SandboxForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the sandbox"),
        max_length=200,
        help_text=_(
            'For example "Formation des agents — mars". It is shown with a training banner.'
        ),
    )
