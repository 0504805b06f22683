"""Play a whole séance on fresh demo data and write what it produced to a directory."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from deliberations.scenario import run_scenario


class Command(BaseCommand):
    help = "Play the demo scenario through the services and write its outputs and summary.json."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="Directory to write the outputs to.")

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("The scenario creates demo data: it never runs in production.")
        summary = run_scenario(Path(options["out"]))
        for step in summary["steps"]:
            self.stdout.write(f"- {step}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(summary['acts'])} acts, {len(summary['files'])} files, "
                f"{summary['journal_events']} journal events written to {options['out']}"
            )
        )
