"""Import a PES_Aller file (exit 0 imported, 1 refused with its problems listed)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import DelibreError

from ... import services
from ._common import actor_from, add_actor_arguments, collectivite_from, explain


class Command(BaseCommand):
    help = (
        "Import a PES_Aller produced by the finance software: streamed, validated against the "
        "DGFiP XSD and the Hélios rules; a file with errors creates nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The PES_Aller XML file.")
        add_actor_arguments(parser)

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        collectivite = collectivite_from(options)
        actor = actor_from(options, collectivite)
        try:
            flow = services.import_flow(
                collectivite=collectivite, actor=actor, source=path, name=path.name
            )
        except DelibreError as exc:
            raise CommandError(explain(exc)) from exc
        self.stdout.write(
            f"Flow {flow.pk} imported: {flow.bordereau_count} bordereau(x), "
            f"{flow.piece_count} pièce(s), status {flow.status}."
        )
