"""Verify the whole audit journal: exit 0 when intact, 1 naming the first broken event."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from workflow.journal import anchor_heads, verify_journal


class Command(BaseCommand):
    help = "Check every hash chain of the audit journal and its anchors."

    def add_arguments(self, parser):
        parser.add_argument(
            "--anchor",
            action="store_true",
            help="Seal the current chain heads into the anchor chain after a successful check.",
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        result = verify_journal()
        elapsed = time.perf_counter() - started
        if not result.ok:
            raise CommandError(f"Audit journal BROKEN at {result.problem}", returncode=1)
        if options["anchor"]:
            anchor_heads()
        self.stdout.write(
            f"Audit journal intact: {result.events} events in {result.chains} chains, "
            f"{result.anchors} anchors checked in {elapsed:.2f} s."
        )
