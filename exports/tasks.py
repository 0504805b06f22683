"""Background work of the exports app (DESIGN.md decision 10): thin tasks, primitive ids, one
service call each. Queued after commit by exports.services; idempotent."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(
    name="exports.render_document",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def render_document_task(*, document_id: int) -> str:
    """Render one pending document version; returns its status (ready or failed)."""
    return services.render_document(document_id=document_id).status
