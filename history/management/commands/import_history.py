"""Import a collectivité's history from a manifest and its files (docs/guide/migration.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import DelibreError
from deliberations.models import Collectivite, User

from ...exceptions import ImportRefused
from ...files import DirectorySource
from ...report import ImportReport
from ...services import import_history, nothing_new_message


class Command(BaseCommand):
    help = (
        "Import past acts (and elected officials, classification, acknowledgements) from a CSV "
        "or JSON manifest. --dry-run checks everything and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("manifest", help="The manifest (CSV or JSON).")
        parser.add_argument("--collectivite", required=True, help="Slug of the collectivité.")
        parser.add_argument(
            "--files", help="Folder the manifest's paths start from (default: its own folder)."
        )
        parser.add_argument("--officials", help="The elected officials' CSV.")
        parser.add_argument("--classification", help="The prefecture's classification (XML).")
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")
        parser.add_argument(
            "--actor",
            help="Username of the administrator the journal names (default: the only "
            "administrator of the collectivité, or the only platform administrator).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            collectivite = Collectivite.objects.get(slug=options["collectivite"])
        except Collectivite.DoesNotExist as exc:
            raise CommandError(f"No collectivité with the slug {options['collectivite']}.") from exc
        actor = self._actor(collectivite, options["actor"])
        manifest = Path(options["manifest"])
        if not manifest.is_file():
            raise CommandError(f"{manifest} is not a file.")
        try:
            files = DirectorySource(options["files"] or manifest.parent)
            report = import_history(
                collectivite=collectivite,
                actor=actor,
                manifest=manifest.read_bytes(),
                manifest_name=manifest.name,
                files=files,
                officials=_bytes(options["officials"]),
                officials_name=Path(options["officials"]).name if options["officials"] else "",
                classification=_bytes(options["classification"]),
                classification_name=(
                    Path(options["classification"]).name if options["classification"] else ""
                ),
                dry_run=options["dry_run"],
                source="command",
            )
        except ImportRefused as exc:
            self._print(exc.report)
            raise CommandError(str(exc.message)) from exc
        except DelibreError as exc:
            raise CommandError(str(exc.message)) from exc
        self._print(report)
        if report.dry_run:
            if not report.ok:
                raise CommandError(
                    f"Dry run: {len(report.errors)} problems to correct; nothing was written."
                )
            self.stdout.write(
                self.style.SUCCESS(
                    f"Dry run: no error; {report.counts.get('new', 0)} acts would be imported "
                    f"({report.seconds:.1f} s). Nothing was written."
                )
            )
        elif report.batch_id is None:
            self.stdout.write(nothing_new_message(report))
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Imported {report.counts.get('new', 0)} acts (batch {report.batch_id}) in "
                    f"{report.seconds:.1f} s."
                )
            )

    def _actor(self, collectivite: Collectivite, username: str | None) -> User:
        if username:
            try:
                return User.objects.get(username=username)
            except User.DoesNotExist as exc:
                raise CommandError(f"No user named {username}.") from exc
        admins = list(
            User.objects.filter(
                memberships__collectivite=collectivite, memberships__role="admin", is_active=True
            ).distinct()[:2]
        ) or list(User.objects.filter(is_superuser=True, is_active=True)[:2])
        if len(admins) != 1:
            raise CommandError("Name the administrator who imports with --actor USERNAME.")
        return admins[0]

    def _print(self, report: ImportReport) -> None:
        problems = report.sorted_problems()
        if problems:
            self.stdout.write(f"{'file':<14} {'line':>5}  {'column':<16} problem")
            for problem in problems:
                line = str(problem.line) if problem.line is not None else "-"
                level = "ERROR" if problem.is_error else "warning"
                self.stdout.write(
                    f"{problem.source:<14} {line:>5}  {problem.field or '-':<16} "
                    f"{level}: {problem.message}"
                )
        counts = report.counts
        if counts:
            signatures = counts.get("signatures", {})
            self.stdout.write(
                f"{counts.get('rows', 0)} rows: {counts.get('new', 0)} new, "
                f"{counts.get('unchanged', 0)} unchanged, {counts.get('conflicts', 0)} conflicts; "
                f"{counts.get('officials', 0)} officials, {counts.get('mandates', 0)} mandates, "
                f"{counts.get('seances', 0)} séances, {counts.get('acknowledgements', 0)} "
                f"acknowledged, {counts.get('publications', 0)} published; signatures: "
                + ", ".join(f"{k} {v}" for k, v in signatures.items())
            )
        for counter in report.counters:
            self.stdout.write(
                f"counter {counter.counter} {counter.year}: {counter.before} → {counter.after} "
                f"(next number {counter.next_number})"
            )


def _bytes(path: str | None) -> bytes | None:
    if not path:
        return None
    target = Path(path)
    if not target.is_file():
        raise CommandError(f"{target} is not a file.")
    return target.read_bytes()
