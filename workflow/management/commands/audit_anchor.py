"""Seal the heads of every changed chain into the anchor chain (run periodically)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from workflow.journal import anchor_heads


class Command(BaseCommand):
    help = "Anchor the current heads of the audit journal's chains."

    def handle(self, *args, **options):
        anchor = anchor_heads()
        if anchor is None:
            self.stdout.write("Nothing changed since the last anchor.")
        else:
            self.stdout.write(f"Anchor #{anchor.seq} seals {len(anchor.heads)} chain heads.")
