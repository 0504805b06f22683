"""Back up the database and the stored files into a new folder (docs/deployment.md)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backups import make_backup
from core.exceptions import DelibreError


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump, or SQLite's online backup) and every stored file into "
        "OUT/<time>/ with a manifest of SHA-256 sums."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--out", required=True, help="Folder that receives the backup.")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        try:
            report = make_backup(out=Path(options["out"]))
        except DelibreError as exc:
            raise CommandError(str(exc.message)) from exc
        journal = report.manifest["journal"]
        self.stdout.write(
            f"{report.path}: {report.database} database, {report.files} files "
            f"({report.bytes:,} bytes), {journal['events']} journal events."
        )
