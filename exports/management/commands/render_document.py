"""Render the documents of an act or a séance now, and print what was stored."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import DelibreError
from deliberations.enums import Role
from deliberations.models import Act, Membership, Seance, User

from ... import services
from ...enums import ACT_KINDS, SEANCE_KINDS, DocumentKind, DocumentStatus


class Command(BaseCommand):
    help = (
        "Render the documents of an act (act, proof) or of a séance (convocations, agenda, "
        "synthesis, minutes, deliberation_list, pack) and wait for them. Unchanged documents "
        "are not rendered again. Exit status 1 if one failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("target", choices=["act", "seance"])
        parser.add_argument("id", type=int)
        parser.add_argument(
            "--kind",
            action="append",
            choices=[kind.value for kind in DocumentKind],
            help="Document to render (repeatable); default: the act, or every séance document.",
        )
        parser.add_argument("--annex-mode", choices=["appended", "bundled"], default="appended")
        parser.add_argument(
            "--user",
            help="Username of the clerk or administrator who asks (default: an administrator "
            "of the collectivité).",
        )

    def handle(self, *args, **options):
        model = Act if options["target"] == "act" else Seance
        target = model.objects.select_related("collectivite").filter(pk=options["id"]).first()
        if target is None:
            raise CommandError(f"No {options['target']} with id {options['id']}.")
        allowed = ACT_KINDS if model is Act else SEANCE_KINDS
        kinds = [DocumentKind(k) for k in options["kind"] or []] or (
            [DocumentKind.ACT] if model is Act else list(SEANCE_KINDS)
        )
        if any(kind not in allowed for kind in kinds):
            raise CommandError(f"These kinds of document do not apply to this {options['target']}.")
        actor = self._actor(options["user"], target.collectivite)
        try:
            if model is Act:
                documents = [
                    services.request_document(
                        kind=kind, target=target, actor=actor, annex_mode=options["annex_mode"]
                    )
                    for kind in kinds
                ]
            else:
                assert isinstance(target, Seance)
                documents = services.request_seance_documents(
                    seance=target, actor=actor, kinds=kinds
                )
        except DelibreError as exc:
            raise CommandError(str(exc.message)) from exc
        failed = 0
        for document in documents:
            # Renders here when no worker did it yet (idempotent when one did).
            document = services.render_document(document_id=document.pk)
            who = f" {document.recipient.official.full_name}" if document.recipient else ""
            line = (
                f"{document.pk} {document.kind}{who} v{document.version} {document.status} "
                f"pages={document.page_count or 0} sha256={document.content_sha256 or '-'}"
            )
            if document.status == DocumentStatus.READY:
                self.stdout.write(line)
            else:
                failed += 1
                self.stderr.write(f"{line} error={document.error}")
        if failed:
            raise CommandError(f"{failed} document(s) failed.", returncode=1)

    def _actor(self, username: str | None, collectivite) -> User:
        if username:
            actor = User.objects.filter(username=username).first()
            if actor is None:
                raise CommandError(f"No user {username}.")
            return actor
        membership = (
            Membership.objects.filter(collectivite=collectivite, role=Role.ADMIN)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        if membership is None:
            raise CommandError("The collectivité has no administrator: give --user.")
        return membership.user
