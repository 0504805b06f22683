from django.apps import AppConfig


class GuideConfig(AppConfig):
    """Guidance in the product (issue 10): contextual help on every screen, guided tours per
    role, the user guide served in the app."""

    name = "guide"
    verbose_name = "Guide"
    default_auto_field = "django.db.models.BigAutoField"
