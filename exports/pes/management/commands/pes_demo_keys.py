"""Write demo signing keys for the treasury flows: the ordonnateur's and the adjointe's PKCS#12,
issued by Délibre's demo PKI (never for real flows)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

PEOPLE = (
    ("olivier-garnier", "Olivier GARNIER", "Ordonnateur"),
    ("sophie-lefevre", "Sophie LEFÈVRE", "Adjointe déléguée aux finances"),
)


class Command(BaseCommand):
    help = (
        "Write PKCS#12 files (password: demo) for the demo ordonnateur and adjointe, to sign "
        "PES flows in the pages."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", default="var/pki-pes", help="Folder of the demo PKI.")
        parser.add_argument("--password", default="demo")

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("Demo keys are never written in production.")
        from signing.pki import generate_pki

        pki = generate_pki(directory=options["dir"], password=options["password"], people=PEOPLE)
        for slug, name, _title in PEOPLE:
            self.stdout.write(f"{name}: {pki.p12_path(slug)} (password {options['password']})")
