"""Export journal events as JSON lines (all, one collectivité, or one object's chain)."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from workflow.journal import export_jsonl
from workflow.models import AuditEvent


class Command(BaseCommand):
    help = "Write audit events as JSON lines, with what is needed to re-check their hashes."

    def add_arguments(self, parser):
        parser.add_argument("--chain", help='Only this chain, e.g. "act:12".')
        parser.add_argument("--collectivite", type=int, help="Only this collectivité id.")
        parser.add_argument("-o", "--output", help="File to write (default: standard output).")

    def handle(self, *args, **options):
        events = AuditEvent.objects.order_by("chain__key", "seq")
        if options["chain"]:
            events = events.filter(chain__key=options["chain"])
        if options["collectivite"]:
            events = events.filter(collectivite_id=options["collectivite"])
        out = (
            Path(options["output"]).open("w", encoding="utf-8")  # noqa: SIM115 - closed below
            if options["output"]
            else sys.stdout
        )
        try:
            for line in export_jsonl(events):
                out.write(line)
        finally:
            if out is not sys.stdout:
                out.close()
