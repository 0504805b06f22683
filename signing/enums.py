"""Vocabulary of signatures, keys, trust and batches (docs/glossary.md, issue 5)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .pades import PadesLevel
from .trust import RevocationPolicy


class Level(models.TextChoices):
    """PAdES baseline levels (ETSI EN 319 142-1), each including the previous one."""

    B_B = PadesLevel.B_B.value, _("PAdES B-B (signature only)")
    B_T = PadesLevel.B_T.value, _("PAdES B-T (with a signature timestamp)")
    B_LT = PadesLevel.B_LT.value, _("PAdES B-LT (with revocation data, for the long term)")
    B_LTA = PadesLevel.B_LTA.value, _("PAdES B-LTA (with an archive timestamp, renewed)")

    @property
    def pades(self) -> PadesLevel:
        return PadesLevel(self.value)


class RevocationMode(models.TextChoices):
    """How strictly the revocation of a signing certificate is checked before signing."""

    REQUIRE = (
        RevocationPolicy.REQUIRE.value,
        _("Required: refuse to sign when the OCSP or CRL service does not answer"),
    )
    SOFT_FAIL = (
        RevocationPolicy.SOFT_FAIL.value,
        _("Best effort: check when the service answers (levels B-LT and B-LTA still require it)"),
    )


class SealBackend(models.TextChoices):
    NONE = "none", _("No server seal")
    PKCS12 = "pkcs12", _("PKCS#12 file on the server")
    PKCS11 = "pkcs11", _("PKCS#11 token or HSM")


class SignatureKind(models.TextChoices):
    """What produced a signed version of a document."""

    SIGNATURE = "signature", _("Personal signature")
    SEAL = "seal", _("Server seal")
    ARCHIVE_TIMESTAMP = "archive_timestamp", _("Archive timestamp (B-LTA renewal)")


class BatchStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to start")
    RUNNING = "running", _("Signing")
    DONE = "done", _("Finished")


class BatchItemStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SIGNED = "signed", _("Signed")
    FAILED = "failed", _("Not signed")
