"""Create or reset a training sandbox (docs/adr/0010-training-sandbox.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import DelibreError
from deliberations.models import Collectivite, User

from ...services import create_sandbox, reset_sandbox


class Command(BaseCommand):
    help = "Create a training collectivité with the demo data, or reset one (delete and reload)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "reset"])
        parser.add_argument("--name", help="Name of the sandbox (create), or its name or slug.")
        parser.add_argument("--slug", help="Short name in URLs (default: from the name).")
        parser.add_argument(
            "--actor",
            help="Username of the administrator acting (default: the only platform administrator).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self._actor(options["actor"])
        try:
            if options["action"] == "create":
                if not options["name"]:
                    raise CommandError("Give the sandbox's --name.")
                sandbox = create_sandbox(
                    actor=actor, name=options["name"], slug=options["slug"] or ""
                )
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Training sandbox {sandbox.collectivite.name} "
                        f"({sandbox.collectivite.slug}) created; nothing is ever sent from it."
                    )
                )
                self.stdout.write(f"Logins (password: {sandbox.password}, shown only now):")
                for username in sandbox.usernames:
                    self.stdout.write(f"  {username}")
                return
            collectivite = self._sandbox(options["slug"] or options["name"])
            sandbox = reset_sandbox(collectivite=collectivite, actor=actor)
        except DelibreError as exc:
            raise CommandError(str(exc.message)) from exc
        assert sandbox.purged is not None
        self.stdout.write(
            self.style.SUCCESS(
                f"{collectivite.name} reset: {sandbox.purged.total} rows and "
                f"{len(sandbox.purged.files)} files deleted, demo data loaded again."
            )
        )

    def _actor(self, username: str | None) -> User:
        if username:
            try:
                return User.objects.get(username=username)
            except User.DoesNotExist as exc:
                raise CommandError(f"No user named {username}.") from exc
        admins = list(User.objects.filter(is_superuser=True, is_active=True)[:2])
        if len(admins) != 1:
            raise CommandError("Name the administrator acting with --actor USERNAME.")
        return admins[0]

    def _sandbox(self, name: str | None) -> Collectivite:
        if not name:
            raise CommandError("Give the sandbox's --name (or --slug).")
        found = Collectivite.objects.filter(slug=name).first() or (
            Collectivite.objects.filter(name=name).first()
        )
        if found is None:
            raise CommandError(f"No collectivité named {name}.")
        return found
