"""Signers' own certificates: a PKCS#12 uploaded once, its password typed at every signature.

The password given at upload only opens the file to read the certificate; it is never stored
nor logged. Journal events (on the user's chain ``user:<id>``): ``signing.certificate.added``,
``signing.certificate.deleted``.
"""

from __future__ import annotations

import hashlib

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.files import removed_on_error, store_bytes
from deliberations.models import User
from workflow.journal import record_event

from ..exceptions import (
    CertificateProblem,
    CertificateRefused,
    InvalidSigningInput,
    NotAllowedToSign,
)
from ..keys import check_key_usage, common_name, load_pkcs12_signer
from ..models import UserCertificate
from ..reports import CertificateInfo

#: What a signing certificate needs (one of them), as TrustSettings.signer_key_usages.
SIGNER_KEY_USAGES = frozenset({"non_repudiation", "digital_signature"})
#: A PKCS#12 with its chain weighs a few KiB; anything much larger is not one.
MAX_PKCS12_BYTES = 256 * 1024


def add_certificate(*, actor: User, data: bytes, password: str, label: str = "") -> UserCertificate:
    """Keep the actor's PKCS#12 to sign with it later (its password is asked each time).

    Refused: not a PKCS#12 with a key and its certificate, wrong password, expired or not meant
    for signatures, already uploaded. Side effects: the file in private storage; the row;
    ``signing.certificate.added``.
    """
    if not data:
        raise InvalidSigningInput(_("Choose your certificate file (.p12 or .pfx)."), field="file")
    if len(data) > MAX_PKCS12_BYTES:
        raise InvalidSigningInput(
            _("This file is too large to be a certificate file (.p12 or .pfx)."), field="file"
        )
    signer = load_pkcs12_signer(data=data, password=password or "")
    cert = signer.signing_cert
    if cert is None:  # load_pkcs12_signer refuses files without a certificate
        raise InvalidSigningInput(_("Choose your certificate file (.p12 or .pfx)."), field="file")
    check_key_usage(cert, accepted=SIGNER_KEY_USAGES)
    info = CertificateInfo.of(cert)
    now = timezone.now()
    if info.not_after <= now:
        raise CertificateRefused(
            _("The certificate of %(name)s expired on %(date)s: it can no longer sign.")
            % {"name": common_name(cert), "date": info.not_after.date().isoformat()},
            problem=CertificateProblem.EXPIRED,
        )
    fingerprint = hashlib.sha256(cert.dump()).hexdigest()
    if UserCertificate.objects.filter(user=actor, fingerprint=fingerprint).exists():
        raise InvalidSigningInput(_("This certificate is already in your list."), field="file")
    name = store_bytes(f"signing/certificates/{actor.pk}", data, extension="p12")
    with removed_on_error(name), transaction.atomic():
        certificate = UserCertificate.objects.create(
            user=actor,
            label=(label or "").strip()[:120],
            file=name,
            file_sha256=hashlib.sha256(data).hexdigest(),
            common_name=info.common_name[:300],
            subject=info.subject[:500],
            issuer=info.issuer[:500],
            serial=info.serial,
            fingerprint=fingerprint,
            not_before=info.not_before,
            not_after=info.not_after,
        )
        record_event(
            certificate,
            "signing.certificate.added",
            actor=actor,
            data={
                "certificate": certificate.pk,
                "subject": certificate.subject,
                "issuer": certificate.issuer,
                "serial": certificate.serial,
                "fingerprint": fingerprint,
                "not_after": certificate.not_after,
            },
        )
    return certificate


def delete_certificate(*, certificate: UserCertificate, actor: User) -> None:
    """Forget one of the actor's certificates (signatures made with it stay valid).

    Side effects: the row and the file are deleted (the file after commit);
    ``signing.certificate.deleted``.
    """
    if certificate.user_id != actor.pk:
        raise NotAllowedToSign(_("Only its owner can delete a certificate."))
    with transaction.atomic():
        current = UserCertificate.objects.select_for_update().filter(pk=certificate.pk).first()
        if current is None:
            return
        name = current.file.name or ""
        record_event(
            current,
            "signing.certificate.deleted",
            actor=actor,
            data={
                "certificate": current.pk,
                "subject": current.subject,
                "fingerprint": current.fingerprint,
            },
        )
        current.delete()
        transaction.on_commit(lambda: default_storage.delete(name))
