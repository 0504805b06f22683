"""Import a PES_ACQUIT (or, with --retour, a PES_Retour) and show the outcome per bordereau."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import DelibreError

from ... import services
from ...enums import ReturnSource
from ...models import PesFlow
from ._common import actor_from, add_actor_arguments, collectivite_from, explain


class Command(BaseCommand):
    help = (
        "Import an acknowledgement of the treasury (PES_ACQUIT, positive or negative): the "
        "bordereaux it names are accepted or rejected."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The PES_ACQUIT XML file.")
        parser.add_argument("--flow", type=int, help="The flow it answers (found otherwise).")
        add_actor_arguments(parser)

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        collectivite = collectivite_from(options)
        actor = actor_from(options, collectivite)
        flow = None
        if options["flow"]:
            flow = PesFlow.objects.filter(pk=options["flow"], collectivite=collectivite).first()
            if flow is None:
                raise CommandError(f"No flow {options['flow']} in {collectivite.slug}.")
        try:
            acquit = services.import_acquit(
                collectivite=collectivite,
                actor=actor,
                source=path,
                name=path.name,
                flow=flow,
                origin=ReturnSource.COMMAND,
            )
        except DelibreError as exc:
            raise CommandError(explain(exc)) from exc
        target = acquit.flow
        self.stdout.write(f"Acknowledgement imported for flow {target.pk}: {target.status}.")
        for bordereau in target.bordereaux.order_by("position"):
            self.stdout.write(
                f"  {bordereau.kind} {bordereau.exercice}/{bordereau.id_bord}: {bordereau.status}"
                + (f" ({len(bordereau.ack_errors)} anomalies)" if bordereau.ack_errors else "")
            )
