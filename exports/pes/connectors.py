"""How a signed flow reaches the treasury: a drop folder, or S2LOW's Hélios module.

Both are safe to call again for the same flow, which is what lets a transmission be retried
without ever being received twice:

* the folder connector writes the bytes to a temporary file in the folder, then gives it its
  final name with a hard link, which fails when the name exists; finding the same bytes under
  the name means an earlier attempt succeeded (its answer was lost); different bytes are refused;
* S2LOW refuses a file it has already received ("doublon détecté", detected on the file's
  SHA-1): an attempt whose answer was lost, tried again, gets that refusal, which says the file
  is there. The transaction number is then read from nowhere: the transmission records that the
  platform had it already.

Errors: :class:`PesDeliveryUnavailable` (try again later: network, platform down, disk full)
and :class:`PesDeliveryFailed` (permanent: refused file, certificate, configuration).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from .exceptions import PesDeliveryFailed, PesDeliveryUnavailable, PesNotConfigured


@dataclass(frozen=True)
class Delivery:
    """What a connector did: the platform's reference (or the file's path) and a note."""

    external_id: str
    target: str
    already_there: bool = False


def default_folder(kind: str, slug: str) -> Path:
    """``DELIBRE_PES_DIR/<kind>/<slug>``: the folders used when none is configured."""
    return Path(settings.DELIBRE_PES_DIR) / kind / slug


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def drop_in_folder(*, folder: Path, name: str, source: Path) -> Delivery:
    """Write the file ``source`` as ``folder/name`` unless the same bytes are already there.

    Raises PesDeliveryFailed when another file has the name or the folder is not writable,
    PesDeliveryUnavailable for other file-system errors (disk full…).
    """
    target = folder / name
    temporary = folder / f".{name}.{uuid.uuid4().hex}.part"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with source.open("rb") as reader, temporary.open("wb") as writer:
            shutil.copyfileobj(reader, writer, 1 << 20)
            writer.flush()
            os.fsync(writer.fileno())
        try:
            os.link(temporary, target)  # atomic, and refuses an existing name
        except FileExistsError:
            if _sha256_of(target) != _sha256_of(source):
                raise PesDeliveryFailed(
                    _(
                        "Another file named %(name)s is already in the drop folder; it was left "
                        "untouched. Ask the administrator to check the folder."
                    )
                    % {"name": name}
                ) from None
            return Delivery(external_id="", target=str(target), already_there=True)
        finally:
            temporary.unlink(missing_ok=True)
    except PermissionError as exc:
        raise PesDeliveryFailed(
            _("Délibre may not write in the drop folder %(folder)s: check its permissions.")
            % {"folder": folder}
        ) from exc
    except OSError as exc:
        raise PesDeliveryUnavailable(
            _("The drop folder cannot be written right now (%(reason)s). Délibre will try again.")
            % {"reason": exc.strerror or type(exc).__name__}
        ) from exc
    return Delivery(external_id="", target=str(target))


def send_to_s2low(*, client: object, name: str, content: bytes) -> Delivery:
    """Post the flow to S2LOW's Hélios module (``client``: an exports.actes.s2low.S2lowClient)."""
    from exports.actes.exceptions import TdtError, TdtRefused, TdtUnavailable

    try:
        identifier = client.helios_send(filename=name, content=content)  # type: ignore[attr-defined]
    except TdtUnavailable as exc:
        raise PesDeliveryUnavailable(str(exc.message)) from exc
    except TdtRefused as exc:
        if "doublon" in (exc.detail or "").lower():
            return Delivery(external_id="", target="S2LOW", already_there=True)
        raise PesDeliveryFailed(str(exc.message)) from exc
    except TdtError as exc:
        raise PesDeliveryFailed(str(exc.message)) from exc
    return Delivery(external_id=str(identifier), target="S2LOW")


def s2low_client_for(collectivite: object) -> object:
    """The S2LOW client of the collectivité's account (the prefecture transmission settings,
    exports.actes: one account holds the ACTES and Hélios modules). Raises PesNotConfigured."""
    from exports.actes.connectors import S2lowConnector
    from exports.actes.exceptions import TdtNotConfigured
    from exports.actes.models import TdtSettings

    tdt = TdtSettings.objects.filter(collectivite=collectivite).first()
    if tdt is None:
        raise PesNotConfigured(
            _(
                "S2LOW is not configured for this collectivité: an administrator must give its "
                "address and certificate in the transmission settings."
            )
        )
    try:
        return S2lowConnector(tdt).client
    except TdtNotConfigured as exc:
        raise PesNotConfigured(str(exc.message)) from exc
