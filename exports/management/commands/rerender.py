"""Prove that a stored document is reproducible: render it again and compare the bytes."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import DelibreError

from ... import services
from ...models import RenderedDocument


class Command(BaseCommand):
    help = (
        "Render a stored document again from its stored snapshot and compare it byte for byte "
        "with the stored file. Exit status 0 when identical, 1 otherwise; prints both hashes."
    )

    def add_arguments(self, parser):
        parser.add_argument("document_id", type=int)

    def handle(self, *args, **options):
        document = (
            RenderedDocument.objects.select_related("collectivite", "act", "seance")
            .filter(pk=options["document_id"])
            .first()
        )
        if document is None:
            raise CommandError(f"No document with id {options['document_id']}.", returncode=2)
        try:
            check = services.verify_rerender(document=document)
        except DelibreError as exc:
            raise CommandError(str(exc.message), returncode=2) from exc
        self.stdout.write(f"stored      {check.stored_sha256}")
        self.stdout.write(f"re-rendered {check.rerendered_sha256 or '-'}")
        if check.reason:
            self.stdout.write(check.reason)
        if not check.identical:
            raise CommandError("The document differs from its new render.", returncode=1)
        self.stdout.write(self.style.SUCCESS("identical"))
