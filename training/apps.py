from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    """Training sandboxes (no models: a sandbox is a Collectivite with ``is_training``)."""

    name = "training"
    verbose_name = _("Training sandboxes")
