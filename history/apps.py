from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HistoryConfig(AppConfig):
    """History import: past acts, elected officials, classification and acknowledgements."""

    name = "history"
    verbose_name = _("History import")
