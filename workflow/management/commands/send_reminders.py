"""Remind the assignees of late steps (at most once per step and per day); run daily by beat."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from workflow.services import send_reminders


class Command(BaseCommand):
    help = "E-mail or notify the assignees of every step past its deadline (once a day)."

    def handle(self, *args, **options):
        count = send_reminders()
        self.stdout.write(f"{count} late steps reminded.")
