"""Restore a backup made by ``backup`` (docs/deployment.md)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backups import restore_backup
from core.exceptions import DelibreError


class Command(BaseCommand):
    help = (
        "Restore the database and the stored files of a backup folder, after checking every "
        "SHA-256 of its manifest. Refuses a database that holds data unless --force."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("path", help="The backup folder (the one holding manifest.json).")
        parser.add_argument(
            "--force", action="store_true", help="Replace a database that already holds data."
        )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        try:
            report = restore_backup(path=Path(options["path"]), force=options["force"])
        except DelibreError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(
            f"Restored the {report.database} database ({report.journal_events} journal events, "
            f"journal anchor checked) and {report.files} files."
        )
