"""Send the daily summary to users who chose it; run daily by beat."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from workflow.services import send_digests


class Command(BaseCommand):
    help = "E-mail each user who chose the daily digest the notifications not yet sent."

    def handle(self, *args, **options):
        count = send_digests()
        self.stdout.write(f"{count} digests sent.")
