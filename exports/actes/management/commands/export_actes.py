"""``manage.py export_actes <act> -o FILE``: write the @ctes archive of one act.

The archive is built exactly as a transmission would build it (same PDF, annexes, types de
pièce, classification check, XSD validation), but nothing is stored or sent and no state
changes. Use it to inspect an archive or hand it to a TdT by other means.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.exceptions import DelibreError
from exports.actes.selectors import tdt_settings_for
from exports.actes.services import build_act_archive

from ._common import find_act, find_collectivite


class Command(BaseCommand):
    help = "Write the ACTES transmission archive (tar.gz) of one act, without sending it."

    def add_arguments(self, parser):
        parser.add_argument("act", help="the act's id or number")
        parser.add_argument("-o", "--output", required=True, help="file (or folder) to write")
        parser.add_argument("--collectivite", help="short name, when the number is ambiguous")
        parser.add_argument("--serial", type=int, default=1, help="envelope serial of the day")
        parser.add_argument("--date", help="envelope date YYYY-MM-DD (default: today)")

    def handle(self, *args, **options):
        act = find_act(options["act"], find_collectivite(options["collectivite"]))
        try:
            sent_on = (
                dt.date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
            )
        except ValueError as exc:
            raise CommandError("--date is written YYYY-MM-DD.") from exc
        try:
            built = build_act_archive(
                act,
                sent_on=sent_on,
                serial=options["serial"],
                tdt=tdt_settings_for(act.collectivite),
            )
        except DelibreError as exc:
            raise CommandError(str(exc.message)) from exc
        target = Path(options["output"])
        if target.is_dir():
            target = target / built.archive.archive_name
        target.write_bytes(built.archive.archive)
        self.stdout.write(
            f"{target} ({len(built.archive.archive)} bytes, sha256 {built.archive.sha256})\n"
            + "".join(f"  {name}\n" for name, _content in built.archive.members)
        )
