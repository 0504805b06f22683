from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicationConfig(AppConfig):
    """Publication of acts for citizens (public portal) and open data."""

    name = "exports.publication"
    label = "publication"
    verbose_name = _("Publication and open data")
