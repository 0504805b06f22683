"""Load the demo commune (idempotent) and print the demo logins."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from deliberations.demo import DEMO_PASSWORD, DEMO_USERS, load_demo


class Command(BaseCommand):
    help = "Load a fictional commune with its council, users for every role and séances."

    def add_arguments(self, parser):
        parser.add_argument(
            "--pki",
            help="Directory of the demo PKI (e.g. var/pki): signing keys for the demo élus.",
        )
        parser.add_argument("--pki-port", type=int, default=9000, help="Its loopback port.")

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError(
                "The demo data is never loaded in production (DELIBRE_ENV=production)."
            )
        demo, created = load_demo()
        if created:
            self.stdout.write(self.style.SUCCESS(f"Demo commune loaded: {demo.collectivite.name}."))
        else:
            self.stdout.write("Demo commune already loaded: nothing changed.")
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password: {DEMO_PASSWORD}):")
        for username, first, last, roles, _official in DEMO_USERS:
            self.stdout.write(
                f"  {username:<12} {first + ' ' + last:<18} {', '.join(str(r.label) for r in roles)}"
            )
        self.stdout.write(f"  {'plateforme':<12} platform staff (Django admin at /admin/)")
        if options["pki"]:
            from signing.demo import load_demo_keys

            keys = load_demo_keys(directory=options["pki"], port=options["pki_port"])
            if keys is not None:
                self.stdout.write("")
                self.stdout.write(
                    f"Signing certificates of {', '.join(sorted(keys.certificates))} "
                    f"(PKCS#12 password: {keys.password}); demo PKI in {keys.pki.directory}, "
                    f"TSA {keys.pki.tsa_url}."
                )
            if keys.published:
                self.stdout.write(
                    f"Signed, transmitted, acknowledged and published on the portal: "
                    f"{', '.join(keys.published)}."
                )
