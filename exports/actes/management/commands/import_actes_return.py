"""``manage.py import_actes_return FILE [--collectivite SLUG]``: import a prefecture return.

The file is a tar.gz package or one XML message, as received from the prefecture or the TdT.
Without --collectivite, the collectivité is found from the SIREN the file is addressed to.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import DelibreError
from deliberations.models import Collectivite
from exports.actes import reader
from exports.actes.services import import_prefecture_file
from exports.actes.services.returns import addressed_sirens

from ._common import find_collectivite


class Command(BaseCommand):
    help = "Import a file received from the prefecture (ARActe, anomaly, letters, classification…)."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="+", help="tar.gz or XML files")
        parser.add_argument("--collectivite", help="short name of the collectivité")

    def handle(self, *args, **options):
        chosen = find_collectivite(options["collectivite"])
        for name in options["file"]:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"{path} is not a file.")
            content = path.read_bytes()
            try:
                collectivite = chosen or self._addressee(content, path.name)
                messages = import_prefecture_file(
                    collectivite=collectivite,
                    actor=None,
                    content=content,
                    name=path.name,
                    source="command",
                )
            except DelibreError as exc:
                raise CommandError(f"{path.name}: {exc.message}") from exc
            for message in messages:
                self.stdout.write(
                    f"{path.name}: {message.get_kind_display()} {message.id_acte or ''} "
                    f"→ {message.get_status_display()}"
                    + (f" (act {message.act.number})" if message.act is not None else "")
                    + "\n"
                )

    @staticmethod
    def _addressee(content: bytes, name: str) -> Collectivite:
        sirens = addressed_sirens(reader.read_incoming(content=content, name=name))
        found = Collectivite.objects.filter(siren__in=sirens)
        if len(sirens) != 1 or found.count() != 1:
            raise CommandError(
                f"{name}: cannot tell the collectivité from the file; add --collectivite."
            )
        return found.get()
