"""Signed versions: where the key comes from, what the next signature signs, signing and
validating, and storing a new version in one transaction (docs/adr/0007, decisions 1 and 2).

Shared by :mod:`signing.services.signing` (circuits, séance documents) and
:mod:`signing.services.archives` (B-LTA renewals).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from core.files import read_bytes, store_bytes
from deliberations.models import User
from exports.enums import DocumentStatus
from exports.models import RenderedDocument
from workflow.journal import record_event
from workflow.models import Decision

from ..enums import Level, SignatureKind
from ..exceptions import (
    DocumentChanged,
    DocumentNotReady,
    DocumentOutdated,
    InvalidSigningInput,
    NotAllowedToSign,
    SignatureNotValid,
    SignedMeanwhile,
    SigningNotConfigured,
    WrongPassword,
)
from ..keys import get_server_seal, load_pkcs12_signer
from ..models import Signature as SignedVersion
from ..models import SigningSettings, UserCertificate, ValidationReport
from ..pades import StampText, sign_pdf
from ..reports import SIGNATURE, CertificateInfo
from ..selectors import current_version, seal_settings_for
from ..validation import PdfValidationReport, validate_pdf

if TYPE_CHECKING:
    from pyhanko.sign.signers import Signer

    from ..trust import TrustSettings

log = logging.getLogger("delibre.signing")
security_log = logging.getLogger("delibre.security")


# --- Keys ---------------------------------------------------------------------------------------


@dataclass
class KeySource:
    """Where the signing key comes from: the signer's PKCS#12 and its password, or the seal.

    Opened once (a batch signs many acts with one opening); the password is dropped as soon as
    the key is open. It is never stored nor logged (``repr`` hides it).
    """

    certificate: UserCertificate | None = None
    password: str | None = field(default=None, repr=False)
    use_seal: bool = False
    _signer: Any = field(default=None, repr=False)

    def check(self, actor: User, *, seal_step: bool) -> None:
        """Cheap checks of what was chosen, before anything else is done."""
        if seal_step and not self.use_seal:
            raise InvalidSigningInput(
                _(
                    "This step is sealed with the collectivité's server seal, not signed personally."
                ),
                field="use_seal",
            )
        if not seal_step and self.use_seal:
            raise InvalidSigningInput(
                _("This step needs your personal signature: choose your certificate."),
                field="use_seal",
            )
        if self.use_seal:
            return
        if self.certificate is None:
            raise InvalidSigningInput(
                _("Choose the certificate you sign with."), field="certificate"
            )
        if self.certificate.user_id != actor.pk:
            raise NotAllowedToSign(_("This certificate is someone else's: sign with your own."))
        if self._signer is None and not self.password:
            raise InvalidSigningInput(_("Type the password of your certificate."), field="password")

    def open(self, options: SigningSettings) -> Signer:
        """The pyHanko signer (raises WrongPassword, KeyUnavailable, SigningNotConfigured)."""
        if self._signer is None:
            if self.use_seal:
                self._signer = get_server_seal(settings=seal_settings_for(options))
                security_log.info("key.seal.used collectivite=%s", options.collectivite_id)
            else:
                assert self.certificate is not None  # checked by check()
                data = read_bytes(self.certificate.file.name or "")
                try:
                    self._signer = load_pkcs12_signer(data=data, password=self.password or "")
                except WrongPassword:
                    security_log.warning(
                        "key.certificate.wrong_password certificate=%s user=%s",
                        self.certificate.pk,
                        self.certificate.user_id,
                    )
                    raise
                finally:
                    self.password = None
                security_log.info(
                    "key.certificate.opened certificate=%s user=%s",
                    self.certificate.pk,
                    self.certificate.user_id,
                )
        return self._signer

    @property
    def kind(self) -> SignatureKind:
        return SignatureKind.SEAL if self.use_seal else SignatureKind.SIGNATURE


# --- The document chain -------------------------------------------------------------------------


@dataclass
class Chain:
    """What the next signature signs: the rendered file, or the last signed version."""

    document: RenderedDocument
    previous: SignedVersion | None
    content: bytes = field(repr=False)
    sha256: str

    @property
    def sequence(self) -> int:
        return (self.previous.sequence if self.previous is not None else 0) + 1


def is_outdated(document: RenderedDocument) -> bool:
    """Would the document's data be different if it were rendered now? (pure read)

    Compares the snapshot hash the documents service would compute today with the stored one:
    a vote corrected or an act edited after rendering makes it outdated.
    """
    from exports.services import inputs_sha256
    from exports.snapshots import build_inputs

    if document.act_id is not None:
        annexes = (document.snapshot.get("act") or {}).get("annexes") or []
        mode = annexes[0].get("mode", "appended") if annexes else "appended"
        inputs = build_inputs(
            document.kind,
            act=document.act,
            annex_mode=mode,
            verification_token=document.verification_token,
        )
    else:
        inputs = build_inputs(document.kind, seance=document.seance, recipient=document.recipient)
    return inputs_sha256(inputs) != document.snapshot_sha256


def chain_of(document: RenderedDocument | None) -> Chain:
    """The bytes the next signature must sign, checked against their recorded SHA-256.

    Raises :class:`DocumentNotReady`, :class:`DocumentChanged` (the file is not the one that
    entered the circuit: replaced or altered in storage) or, before the first signature,
    :class:`DocumentOutdated`. No side effect.
    """
    if document is None or document.status != DocumentStatus.READY or not document.file:
        raise DocumentNotReady()
    previous = current_version(document)
    if previous is not None:
        expected, name = previous.output_sha256, previous.file.name or ""
    else:
        expected, name = document.content_sha256, document.file.name or ""
    try:
        content = read_bytes(name)
    except OSError as exc:
        log.warning("document %s: file %s unreadable: %s", document.pk, name, exc)
        raise DocumentChanged() from exc
    digest = hashlib.sha256(content).hexdigest()
    if digest != expected:
        log.warning(
            "document %s: file %s has SHA-256 %s, %s expected", document.pk, name, digest, expected
        )
        raise DocumentChanged()
    if previous is None and document.frozen_at is None and is_outdated(document):
        raise DocumentOutdated()
    return Chain(document=document, previous=previous, content=content, sha256=digest)


# --- Signing and storing ------------------------------------------------------------------------


def require_tsa(options: SigningSettings, level: Level) -> None:
    if level != Level.B_B and not options.tsa_url:
        raise SigningNotConfigured(
            _(
                "Level %(level)s needs a time-stamping authority, and none is configured: an "
                "administrator must set its URL in the signing settings."
            )
            % {"level": level.value}
        )


def sign_and_validate(
    content: bytes,
    *,
    signer: Signer,
    field_name: str,
    level: Level,
    stamp: StampText,
    trust: TrustSettings,
    tsa_url: str,
) -> tuple[bytes, PdfValidationReport]:
    """Sign, then validate the whole result; pure (network aside): nothing is stored.

    Raises what ``sign_pdf`` raises (certificate refused, TSA or revocation service down…) and
    :class:`SignatureNotValid` when the signed document does not validate.
    """
    signed = sign_pdf(
        content,
        signer=signer,
        field_name=field_name,
        level=level.pades,
        stamp=stamp,
        trust=trust,
        timestamper_url=tsa_url or None,
        check_certificate=True,
    )
    report = validate_pdf(signed, trust=trust, allow_fetching=trust.allow_fetching)
    if not report.all_valid:
        problems = [
            f"{s.field_name}: {'; '.join(s.problems) or _('not valid')}"
            for s in report.signatures
            if not s.acceptable
        ]
        raise SignatureNotValid(
            _("The signed document failed its validation, so nothing was kept: %(problems)s")
            % {"problems": " / ".join(problems) or _("no valid signature")}
        )
    return signed, report


def report_fingerprint(data: dict[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()


def ades_indications(report: PdfValidationReport) -> list[str]:
    return [
        f"{s.ades_indication}/{s.ades_subindication}"
        for s in report.signatures
        if s.kind == SIGNATURE
    ]


@contextmanager
def _removed_unless_committed(name: str, output_sha256: str) -> Iterator[None]:
    """Delete the stored file if the block fails and its version was not committed.

    Not ``core.files.removed_on_error``: callbacks run at commit (notifications queued by the
    approval, eager tasks) may raise *after* the commit, and the committed version's file must
    then stay.
    """
    try:
        yield
    except BaseException:
        if not SignedVersion.objects.filter(output_sha256=output_sha256).exists():
            default_storage.delete(name)
        raise


def store_version(
    *,
    chain: Chain,
    signed: bytes,
    report: PdfValidationReport,
    actor: User | None,
    event: str,
    event_data: dict[str, Any],
    approve: Callable[[str, str], Decision | None] | None = None,
    on_behalf_of: User | None = None,
    **fields: Any,
) -> SignedVersion:
    """Store a new signed version in one transaction (see the module docstring, phase 3).

    ``approve`` is called first (it locks the circuit run, then the act), then the document row
    is locked and the chain head re-read: a version signed meanwhile raises
    :class:`SignedMeanwhile`. The file is removed if anything fails.
    """
    output_sha256 = hashlib.sha256(signed).hexdigest()
    report_data = report.as_dict()
    report_sha256 = report_fingerprint(report_data)
    document = chain.document
    name = store_bytes(
        f"signatures/{document.collectivite_id}/{document.pk}", signed, extension="pdf"
    )
    with _removed_unless_committed(name, output_sha256), transaction.atomic():
        decision = approve(output_sha256, report_sha256) if approve is not None else None
        locked = RenderedDocument.objects.select_for_update().get(pk=document.pk)
        head = SignedVersion.objects.filter(document=locked).aggregate(last=Max("sequence"))
        if (head["last"] or 0) != chain.sequence - 1:
            raise SignedMeanwhile()
        if locked.frozen_at is None:
            from exports.services import freeze_document

            freeze_document(document=locked, actor=actor)
        version = SignedVersion.objects.create(
            collectivite_id=document.collectivite_id,
            document=locked,
            act_id=document.act_id,
            seance_id=document.seance_id,
            decision=decision,
            sequence=chain.sequence,
            input_sha256=chain.sha256,
            output_sha256=output_sha256,
            file=name,
            size=len(signed),
            on_behalf_of=on_behalf_of,
            **fields,
        )
        ValidationReport.objects.create(
            signature=version,
            sha256=output_sha256,
            report=report_data,
            report_sha256=report_sha256,
            all_valid=report.all_valid,
            ades_indications=ades_indications(report),
            allow_fetching=report.allow_fetching,
            validated_at=report.validated_at,
        )
        record_event(
            locked,
            event,
            actor=actor,
            on_behalf_of=on_behalf_of,
            data={
                "signature": version.pk,
                "document": locked.pk,
                "document_kind": locked.kind,
                "version": version.sequence,
                "kind": version.kind,
                "field": version.field_name,
                "level": version.level,
                "input_sha256": version.input_sha256,
                "output_sha256": output_sha256,
                "certificate": {
                    "subject": version.certificate_subject,
                    "issuer": version.certificate_issuer,
                    "serial": version.certificate_serial,
                },
                "all_valid": report.all_valid,
                "report_sha256": report_sha256,
                **event_data,
            },
        )
    return version


def certificate_fields(signer: Signer) -> dict[str, Any]:
    cert = signer.signing_cert
    if cert is None:
        return {}
    info = CertificateInfo.of(cert)
    return {
        "certificate_subject": info.subject[:500],
        "certificate_issuer": info.issuer[:500],
        "certificate_serial": info.serial,
    }
