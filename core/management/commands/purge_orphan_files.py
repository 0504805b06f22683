"""Remove stored files that no row refers to (left by a process killed between storing a file
and committing its row; docs/adr/0008-background-work.md). Celery beat runs it daily."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand

from core.files import purge_orphan_files


class Command(BaseCommand):
    help = "Remove stored files no row refers to, older than the grace period."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument(
            "--grace-hours",
            type=float,
            default=None,
            help="Keep files younger than this (default DELIBRE_ORPHAN_GRACE_HOURS, 24).",
        )
        parser.add_argument("--dry-run", action="store_true", help="List, remove nothing.")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        hours = options["grace_hours"]
        if hours is None:
            hours = settings.DELIBRE_ORPHAN_GRACE_HOURS
        report = purge_orphan_files(grace=dt.timedelta(hours=hours), dry_run=options["dry_run"])
        for name in report.removed:
            self.stdout.write(name)
        verb = "would remove" if options["dry_run"] else "removed"
        self.stdout.write(
            f"{report.scanned} files scanned, {report.candidates} old enough to check, "
            f"{verb} {len(report.removed)} orphan files."
        )
