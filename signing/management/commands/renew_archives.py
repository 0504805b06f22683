"""Renew the archive timestamp of B-LTA documents before it expires (also run daily by Celery
beat, task ``signing.renew_archives``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from signing.services import renew_due_archives


class Command(BaseCommand):
    help = "Add a new archive timestamp to the B-LTA documents whose last one expires soon."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--horizon-days",
            type=int,
            default=None,
            help="Renew what expires within this many days (default: each collectivité's).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        summary = renew_due_archives(horizon_days=options["horizon_days"])
        for version in summary.renewed:
            self.stdout.write(
                f"renewed document {version.document_id}: version {version.sequence}, "
                f"SHA-256 {version.output_sha256}"
            )
        for version, reason in summary.failed:
            self.stderr.write(f"NOT renewed: document {version.document_id}: {reason}")
        self.stdout.write(
            f"{summary.checked} archives checked, {len(summary.renewed)} renewed, "
            f"{len(summary.failed)} failed."
        )
        if summary.failed:
            raise CommandError("Some archives could not be renewed.", returncode=1)
