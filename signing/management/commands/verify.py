"""Verify the signatures of a PDF or of a PES flow from the command line.

Exit status: 0 when every signature is valid (every bordereau of a PES flow), 1 when any is not
(or there is none), 2 when the file cannot be read or is neither a PDF nor a PES flow.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import DelibreError
from signing.services import verify_bytes
from signing.services.verification import VerificationResult
from signing.trust import TrustSettings

VALID, INVALID, UNREADABLE = 0, 1, 2


class Command(BaseCommand):
    help = (
        "Verify every signature of a signed PDF (PAdES) or every bordereau of a PES flow "
        "(XAdES). Exit status 0: all valid; 1: any not valid; 2: unreadable file."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="The PDF or PES XML file to verify.")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument(
            "--online",
            action="store_true",
            help="Fetch revocation data (OCSP, CRL) named in the certificates.",
        )
        parser.add_argument(
            "--trust-roots",
            help="PEM bundle of roots to trust instead of the instance's trusted authorities.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(
                f"{path}: cannot be read ({exc.strerror}).", returncode=UNREADABLE
            ) from exc
        trust = None
        if options["trust_roots"]:
            try:
                trust = TrustSettings.from_pem(Path(options["trust_roots"]).read_bytes())
            except (OSError, ValueError) as exc:
                raise CommandError(
                    f"{options['trust_roots']}: not a PEM bundle of certificates.",
                    returncode=UNREADABLE,
                ) from exc
        try:
            result = verify_bytes(data, allow_fetching=options["online"], trust=trust)
        except DelibreError as exc:
            raise CommandError(f"{path}: {exc.message}", returncode=UNREADABLE) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        else:
            self._describe(path, result)
        if not result.valid:
            raise CommandError(f"{path}: NOT VALID (see the report above).", returncode=INVALID)

    def _describe(self, path: Path, result: VerificationResult) -> None:
        data = result.as_dict()
        self.stdout.write(
            f"{path}: {result.kind.upper()}, {result.size} bytes, SHA-256 {result.sha256}"
        )
        match = data["match"]
        if match:
            latest = "latest version" if match["is_latest"] else "a later version exists"
            what = f"act {match['act_number']}" if match["act_number"] else match["document_kind"]
            self.stdout.write(
                f"Signed by this instance: {what} ({match['collectivite']}), "
                f"version {match['version']} ({latest})."
            )
        else:
            self.stdout.write("Not a file signed by this instance (unknown SHA-256).")
        if result.pdf is not None:
            for sig in result.pdf.signatures:
                who = sig.signer.common_name if sig.signer else "?"
                when = sig.timestamp_time or sig.signing_time
                verdict = "VALID" if sig.acceptable else "NOT VALID"
                checks = ", ".join(
                    [
                        "intact" if sig.intact and sig.valid else "BROKEN",
                        "trusted" if sig.trusted else ("REVOKED" if sig.revoked else "NOT TRUSTED"),
                        "MODIFIED AFTER SIGNING" if sig.modified_after_signing else "not modified",
                    ]
                )
                ades = (
                    f"AdES {sig.ades_indication}/{sig.ades_subindication}"
                    if sig.ades_indication
                    else ""
                )
                self.stdout.write(
                    f"  #{sig.index} {sig.kind} {sig.field_name}: {who}, {when}, "
                    f"{sig.level or '-'}, {checks} {ades} -> {verdict}"
                )
                for note in sig.problems:
                    self.stdout.write(f"      {note}")
        if result.pes is not None:
            for b in result.pes.bordereaux:
                verdict = "VALID" if b.valid else ("NOT SIGNED" if not b.signed else "NOT VALID")
                self.stdout.write(
                    f"  bordereau {b.kind} {b.exercice}/{b.id_bord}: {b.signer_common_name or '-'}, "
                    f"{b.signing_time or '-'} -> {verdict}"
                )
                for problem in b.problems:
                    self.stdout.write(f"      {problem}")
        if result.valid:
            self.stdout.write(self.style.SUCCESS("Every signature is valid."))
