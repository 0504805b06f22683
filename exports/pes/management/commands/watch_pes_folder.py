"""Import every new file of a collectivité's incoming folder, once (or keep watching)."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import DelibreError

from ... import services
from ._common import actor_from, add_actor_arguments, collectivite_from


class Command(BaseCommand):
    help = (
        "Import the PES_Aller, PES_ACQUIT and PES_Retour files dropped in the incoming folder: "
        "each file once, moved to processed/ or rejected/ (with its problems)."
    )

    def add_arguments(self, parser):
        add_actor_arguments(parser)
        parser.add_argument("--dir", help="The folder (default: the collectivité's settings).")
        parser.add_argument("--every", type=float, help="Keep watching, scanning every N seconds.")
        parser.add_argument(
            "--min-age", type=float, default=5.0, help="Skip files younger than this (seconds)."
        )

    def handle(self, *args, **options):
        collectivite = collectivite_from(options)
        actor = actor_from(options, collectivite)
        folder = Path(options["dir"]) if options["dir"] else None
        while True:
            try:
                report = services.watch_folder(
                    collectivite=collectivite,
                    actor=actor,
                    folder=folder,
                    min_age_seconds=options["min_age"],
                )
            except DelibreError as exc:
                raise CommandError(str(exc.message)) from exc
            for name in report.imported:
                self.stdout.write(f"imported: {name}")
            for name, reason in report.rejected:
                self.stdout.write(f"rejected: {name}: {reason}")
            if not options["every"]:
                return
            time.sleep(options["every"])
