"""What the PES commands share: finding the collectivité and the person they act for."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from deliberations.models import Collectivite, User

from ...exceptions import PesError


def add_actor_arguments(parser: Any) -> None:
    parser.add_argument(
        "--collectivite",
        help="Slug of the collectivité (needed when several exist).",
    )
    parser.add_argument(
        "--user",
        help="Username the action is recorded for (a clerk, the ordonnateur or an administrator).",
    )


def collectivite_from(options: dict[str, Any]) -> Collectivite:
    slug = options.get("collectivite")
    if slug:
        found = Collectivite.objects.filter(slug=slug).first()
        if found is None:
            raise CommandError(f"No collectivité has the slug {slug!r}.")
        return found
    collectivites = list(Collectivite.objects.all()[:2])
    if len(collectivites) != 1:
        raise CommandError("Name the collectivité with --collectivite SLUG.")
    return collectivites[0]


def actor_from(options: dict[str, Any], collectivite: Collectivite) -> User:
    username = options.get("user")
    if not username:
        from ...services import settings_of

        inbox_user = settings_of(collectivite).inbox_user
        if inbox_user is not None:
            return inbox_user
        raise CommandError("Name the person the action is recorded for with --user USERNAME.")
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"No user is called {username!r}.")
    return user


def explain(error: PesError) -> str:
    lines = [str(error.message)]
    lines += [f"  {issue}" for issue in getattr(error, "issues", []) or []]
    lines += [f"  {problem}" for problem in getattr(error, "problems", []) or []]
    return "\n".join(lines)
