"""``manage.py poll_tdt [--collectivite SLUG]``: what the ``actes.poll_tdt`` task does, now.

Sends the transmissions still waiting, asks S2LOW about those on their way, imports the
prefecture's returns (S2LOW mailbox and returns folder). Prints one line per collectivité.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from deliberations.models import Collectivite
from exports.actes.models import TdtSettings
from exports.actes.services import poll_collectivite

from ._common import find_collectivite


class Command(BaseCommand):
    help = "Poll the tiers de télétransmission: send what waits, import the prefecture's returns."

    def add_arguments(self, parser):
        parser.add_argument("--collectivite", help="short name (default: every configured one)")

    def handle(self, *args, **options):
        chosen = find_collectivite(options["collectivite"])
        if chosen is not None:
            collectivites = [chosen]
        else:
            ids = TdtSettings.objects.values_list("collectivite_id", flat=True)
            collectivites = list(Collectivite.objects.filter(pk__in=ids).order_by("slug"))
        for collectivite in collectivites:
            report = poll_collectivite(collectivite=collectivite)
            self.stdout.write(
                f"{collectivite.slug}: {report.sent} sent, {report.checked} checked, "
                f"{report.imported} imported, {len(report.errors)} errors\n"
                + "".join(f"  ! {error}\n" for error in report.errors)
            )
