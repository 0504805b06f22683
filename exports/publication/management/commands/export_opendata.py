"""``manage.py export_opendata [--year Y] [--collectivite SLUG] [--format csv|json] -o FILE``.

Writes the SCDL « Délibérations » CSV of the deliberations online (every collectivité, or
one), validated against the table schema before a byte is written; ``--format json`` writes
Délibre's richer JSON (votes per member) of one collectivité.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import DelibreError
from deliberations.models import Collectivite
from exports.opendata.exceptions import InvalidOpenData
from exports.publication.opendata import export_csv, export_json


class Command(BaseCommand):
    help = "Write the open-data file of the published deliberations (SCDL CSV or JSON)."

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", required=True, help="file to write")
        parser.add_argument("--year", type=int, help="only the deliberations of this year")
        parser.add_argument("--collectivite", help="short name (default: every collectivité)")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args, **options):
        collectivite = None
        if options["collectivite"]:
            collectivite = Collectivite.objects.filter(slug=options["collectivite"]).first()
            if collectivite is None:
                raise CommandError(
                    f"No collectivité with the short name {options['collectivite']!r}."
                )
        try:
            if options["format"] == "json":
                if collectivite is None:
                    raise CommandError("--format json needs --collectivite.")
                content = export_json(collectivite, year=options["year"])
            else:
                content = export_csv([collectivite] if collectivite else None, year=options["year"])
        except InvalidOpenData as exc:
            details = "".join(
                f"\n  line {e.row}, {e.column or '-'}: {e.message}" for e in exc.errors[:20]
            )
            raise CommandError(f"{exc.message}{details}") from exc
        except DelibreError as exc:
            raise CommandError(str(exc.message)) from exc
        Path(options["output"]).write_bytes(content)
        rows = content.count(b"\n") - 1 if options["format"] == "csv" else None
        self.stdout.write(
            f"{options['output']}: {len(content)} bytes"
            + (f", {rows} deliberations" if rows is not None else "")
            + "\n"
        )
