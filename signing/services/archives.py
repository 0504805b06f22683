"""Long-term archives: renewing the document timestamp of B-LTA documents before it expires.

A B-LTA document stays verifiable as long as its last document timestamp can be verified: its
TSA certificate must not have expired (notes/signing.md §6). :func:`renew_due_archives` (Celery
beat, daily; command ``renew_archives``) adds a new document timestamp to every archive whose
last one expires within the collectivité's horizon. Each renewal is a new signed version, with
its validation report and the journal event ``document.archive_renewed``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import DelibreError

from ..enums import Level, SignatureKind
from ..exceptions import SignatureNotValid
from ..models import Signature as SignedVersion
from ..pades import extend_lta, needs_lta_renewal
from ..selectors import archive_candidates, is_latest, signing_settings_for, trust_settings_for
from ..validation import validate_pdf
from .versions import chain_of, require_tsa, store_version

log = logging.getLogger("delibre.signing")


def renew_archive(*, version: SignedVersion) -> SignedVersion:
    """Add a document timestamp to the latest version of a document; return the new version.

    Refused (nothing stored) when the version is not the latest, its file changed, the TSA or a
    revocation service does not answer, or the result does not validate. Runs as the system
    (no actor). Side effects: the new file; ``document.archive_renewed``.
    """
    if not is_latest(version):
        raise SignatureNotValid(_("Only the latest signed version of a document is renewed."))
    chain = chain_of(version.document)
    options = signing_settings_for(version.collectivite_id)
    require_tsa(options, Level.B_LTA)
    trust = trust_settings_for(version.collectivite_id, options=options)
    renewed = extend_lta(chain.content, trust=trust, timestamper_url=options.tsa_url)
    report = validate_pdf(renewed, trust=trust, allow_fetching=trust.allow_fetching)
    if not report.all_valid:
        raise SignatureNotValid(
            _("The renewed archive failed its validation, so nothing was kept.")
        )
    return store_version(
        chain=chain,
        signed=renewed,
        report=report,
        actor=None,
        event="document.archive_renewed",
        event_data={"previous_version": version.sequence},
        kind=SignatureKind.ARCHIVE_TIMESTAMP,
        level=Level.B_LTA,
        signed_at=report.validated_at,
    )


@dataclass
class RenewalSummary:
    checked: int = 0
    renewed: list[SignedVersion] = field(default_factory=list)
    failed: list[tuple[SignedVersion, str]] = field(default_factory=list)


def renew_due_archives(
    *, horizon_days: int | None = None, now: dt.datetime | None = None
) -> RenewalSummary:
    """Renew every archive whose last document timestamp expires within the horizon.

    The horizon is the collectivité's (``lta_horizon_days``) unless ``horizon_days`` is given.
    Idempotent: a renewed archive is not due again for years. A failure is reported and the
    other archives are still renewed. Side effects: as :func:`renew_archive`, per archive.
    """
    summary = RenewalSummary()
    now = now or timezone.now()
    horizons: dict[int, int] = {}
    for version in archive_candidates():
        summary.checked += 1
        cid = version.collectivite_id
        if cid not in horizons:
            horizons[cid] = horizon_days or signing_settings_for(cid).lta_horizon_days
        try:
            chain = chain_of(version.document)
            if not needs_lta_renewal(chain.content, horizon_days=horizons[cid], now=now):
                continue
            summary.renewed.append(renew_archive(version=version))
        except DelibreError as exc:
            log.warning(
                "archive %s (document %s) not renewed: %s", version.pk, version.document_id, exc
            )
            summary.failed.append((version, str(exc.message)))
    return summary
