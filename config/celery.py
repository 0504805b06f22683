"""The Celery application.

With no broker configured (the embedded default) tasks run eagerly in-process, so `make run`
needs nothing but Python; with CELERY_BROKER_URL set they run on workers (DESIGN.md decision 10).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("delibre")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
