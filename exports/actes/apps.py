from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActesConfig(AppConfig):
    """Transmission to the prefecture (@ctes): the pure library and its models."""

    name = "exports.actes"
    label = "actes"
    verbose_name = _("Prefecture transmission (ACTES)")
