"""Write a stored PES flow (as it is now: signed once signed) to a file."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from ...models import PesFlow


class Command(BaseCommand):
    help = "Write the PES flow FLOW (its id) to a file (-o) or to the standard output."

    def add_arguments(self, parser):
        parser.add_argument("flow", type=int, help="Id of the flow.")
        parser.add_argument("-o", "--output", help="File to write (default: standard output).")
        parser.add_argument(
            "--original", action="store_true", help="The file as imported or built, unsigned."
        )

    def handle(self, *args, **options):
        flow = PesFlow.objects.filter(pk=options["flow"]).first()
        if flow is None:
            raise CommandError(f"No PES flow has the id {options['flow']}.")
        name = flow.original_file.name if options["original"] else flow.current_file.name
        with default_storage.open(name, "rb") as source:
            if options["output"]:
                with Path(options["output"]).open("wb") as out:
                    shutil.copyfileobj(source, out, 1 << 20)
                self.stderr.write(f"Flow {flow.pk} ({flow.status}) written to {options['output']}.")
            else:
                shutil.copyfileobj(source, sys.stdout.buffer, 1 << 20)
