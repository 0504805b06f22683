from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PesConfig(AppConfig):
    """PES V2 flows to the treasury: the pure library (reader, builder, XAdES) and its models."""

    name = "exports.pes"
    label = "pes"
    verbose_name = _("Treasury flows (PES V2)")
