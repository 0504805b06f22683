"""The two ways an archive reaches the tiers de télétransmission, behind one small interface.

* ``FolderConnector`` writes the archive into a drop folder that the TdT (or an operator) picks
  up. Atomic and exclusive: the bytes go to a temporary file in the same folder, then a hard
  link gives it its final name, which fails if the name exists. A second delivery of the same
  archive finds the same bytes and succeeds without writing (idempotent); different bytes under
  the same name are refused. Safe to retry after any error.
* ``S2lowConnector`` posts through S2LOW's API (exports.actes.s2low). Creating a transaction is
  not idempotent: a timeout after the request left leaves the outcome unknown, and the caller
  must not post again before someone checks (services.send_transmission).

Secrets: the certificate, key and CA settings are paths, or ``env:NAME`` to read the path from
the environment; the key's password only ever comes from the environment variable named in the
settings. Nothing secret is stored in the database.
"""

from __future__ import annotations

import hashlib
import os
import re
import ssl
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import InvalidInput
from core.files import read_bytes
from deliberations.models import Collectivite

from .archive import read_tar
from .builder import Acte, Piece
from .codes import parse_message_file_name
from .enums import S2LOW_ANSWER_TYPES, TdtConnector, TransmissionKind
from .exceptions import TdtNotConfigured, TdtRefused, TdtUnavailable
from .models import TdtSettings, Transmission
from .reader import ActeMessage, read_message
from .s2low import S2lowClient
from .tdt_status import TdtStatus

ENV_PREFIX = "env:"
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def scope(collectivite: Collectivite) -> tuple[Path, str]:
    """Where a collectivité's files must lie, and how its environment variables must start.

    ``DELIBRE_ACTES_DIR/<slug>/`` and ``DELIBRE_ACTES_<SLUG>_``: the settings page is open to
    each collectivité's administrators, who must never point at another's folder, key or
    certificate.
    """
    root = Path(settings.DELIBRE_ACTES_DIR) / collectivite.slug
    prefix = "DELIBRE_ACTES_" + re.sub(r"[^A-Z0-9]", "_", collectivite.slug.upper()) + "_"
    return root, prefix


def location_problem(value: str, *, collectivite: Collectivite) -> str | None:
    """Why a path or ``env:NAME`` of the settings is not the collectivité's own, or None."""
    root, prefix = scope(collectivite)
    if value.startswith(ENV_PREFIX):
        name = value[len(ENV_PREFIX) :]
        if not ENV_NAME_RE.match(name) or not name.startswith(prefix):
            return _(
                "After env: write the name of an environment variable starting with %(prefix)s."
            ) % {"prefix": prefix}
        return None
    path = Path(value)
    if not path.is_absolute() or not path.resolve().is_relative_to(root.resolve()):
        return _("Give an absolute path inside %(root)s on the server.") % {"root": root}
    return None


def resolve_path(value: str, *, label: str, collectivite: Collectivite) -> str:
    """A settings value as a path: itself, or the content of the environment variable it names.

    Raises TdtNotConfigured when the value is not the collectivité's own (see ``scope``) or the
    variable is not set.
    """
    value = (value or "").strip()
    if not value:
        return ""
    problem = location_problem(value, collectivite=collectivite)
    if problem:
        raise TdtNotConfigured(problem)
    if value.startswith(ENV_PREFIX):
        name = value[len(ENV_PREFIX) :]
        resolved = os.environ.get(name, "")
        if not resolved:
            raise TdtNotConfigured(
                _(
                    "The environment variable %(name)s, which should give the %(label)s, is not "
                    "set on the server. Ask the server administrator to set it."
                )
                % {"name": name, "label": label}
            )
        return resolved
    return value


@dataclass(frozen=True)
class Delivery:
    """What the connector says about a delivery: the TdT's reference for it."""

    external_id: str


class FolderConnector:
    """Drop the archive in a folder, once (see the module docstring)."""

    kind = TdtConnector.FOLDER
    #: Delivering again is always safe: the same bytes under the same name are recognised.
    idempotent = True

    def __init__(self, tdt: TdtSettings):
        if not tdt.folder_path:
            raise TdtNotConfigured(
                _("No drop folder is configured: an administrator must set it in the settings.")
            )
        self.folder = Path(
            resolve_path(tdt.folder_path, label=_("drop folder"), collectivite=tdt.collectivite)
        )

    def deliver(self, transmission: Transmission) -> Delivery:
        content = read_bytes(transmission.archive.name or "")
        return Delivery(external_id=self.drop(name=transmission.archive_name, content=content))

    def drop(self, *, name: str, content: bytes) -> str:
        """Write ``content`` as ``name`` in the folder unless it is already there; return the path."""
        target = self.folder / name
        try:
            if not self.folder.is_dir():
                raise TdtNotConfigured(
                    _(
                        "The drop folder %(folder)s does not exist on the server: an "
                        "administrator must create it or correct the settings."
                    )
                    % {"folder": self.folder}
                )
            temporary = self.folder / f".{name}.{uuid.uuid4().hex}.part"
            with temporary.open("wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(temporary, target)  # atomic, and refuses an existing name
            except FileExistsError:
                existing = hashlib.sha256(target.read_bytes()).hexdigest()
                if existing != hashlib.sha256(content).hexdigest():
                    raise TdtRefused(
                        _(
                            "Another file named %(name)s is already in the drop folder: it was "
                            "left untouched. Ask the administrator to check the folder."
                        )
                        % {"name": name},
                        detail=str(target),
                    ) from None
            finally:
                temporary.unlink(missing_ok=True)
        except PermissionError as exc:
            raise TdtNotConfigured(
                _("Délibre may not write in the drop folder %(folder)s: check its permissions.")
                % {"folder": self.folder}
            ) from exc
        except OSError as exc:
            raise TdtUnavailable(
                _("The drop folder cannot be written right now. Délibre will try again."),
                detail=f"{type(exc).__name__}: {exc}",
                may_have_reached_server=False,
            ) from exc
        return str(target)


def acte_from_archive(content: bytes) -> Acte:
    """The Acte data as the stored archive carries it (what S2LOW receives is what was checked)."""
    members = read_tar(content=content)
    files = dict(members)
    message_name, message_xml = members[1]
    message = read_message(content=message_xml, name=message_name)
    if not isinstance(message, ActeMessage):
        raise TdtRefused(_("The stored archive does not hold an act."), detail=message_name)
    echo = message.acte

    def piece(name: str) -> Piece:
        parsed = parse_message_file_name(name)
        return Piece(
            filename=name, content=files[name], type_pj=(parsed.type_pj if parsed else "") or ""
        )

    assert echo.decision_date is not None and echo.nature is not None
    assert echo.classification_date is not None and echo.document is not None
    return Acte(
        number=echo.number,
        decision_date=echo.decision_date,
        nature=echo.nature,
        matieres=echo.matieres,
        objet=echo.objet,
        classification_date=echo.classification_date,
        document=piece(echo.document),
        annexes=tuple(piece(name) for name in echo.annexes),
        previous_id_acte=echo.previous_id_acte,
        document_papier=echo.document_papier == "O",
    )


class S2lowConnector:
    """Post archives' content through S2LOW's API, with the collectivité's client certificate."""

    kind = TdtConnector.S2LOW
    idempotent = False

    def __init__(self, tdt: TdtSettings):
        if not (tdt.s2low_url and tdt.client_cert):
            raise TdtNotConfigured(
                _(
                    "S2LOW is not configured: an administrator must give its address and the "
                    "collectivité's certificate in the transmission settings."
                )
            )
        collectivite = tdt.collectivite
        password_name = tdt.key_password_env.strip()
        problem = (
            location_problem(f"{ENV_PREFIX}{password_name}", collectivite=collectivite)
            if password_name
            else None
        )
        if problem:
            raise TdtNotConfigured(problem)
        password = os.environ.get(password_name) if password_name else None
        try:
            self.client = S2lowClient(
                base_url=tdt.s2low_url,
                cert_file=resolve_path(
                    tdt.client_cert, label=_("client certificate"), collectivite=collectivite
                ),
                key_file=resolve_path(
                    tdt.client_key, label=_("private key"), collectivite=collectivite
                )
                or None,
                key_password=password,
                ca_file=resolve_path(
                    tdt.ca_file, label=_("certificate authority"), collectivite=collectivite
                )
                or None,
                timeout=float(tdt.timeout_seconds or 30),
            )
        except InvalidInput as exc:
            raise TdtNotConfigured(str(exc.message)) from exc
        except (OSError, ssl.SSLError) as exc:
            raise TdtNotConfigured(
                _(
                    "The collectivité's certificate or key for S2LOW cannot be read: check the "
                    "paths (and the password variable) in the transmission settings."
                )
            ) from exc

    def deliver(self, transmission: Transmission) -> Delivery:
        kind = transmission.kind
        if kind == TransmissionKind.ACTE:
            acte = acte_from_archive(read_bytes(transmission.archive.name or ""))
            identifier = self.client.create_transaction(acte=acte, today=timezone.localdate())
        elif kind == TransmissionKind.ANNULATION:
            original = transmission.cancels
            if original is None or not original.external_id.isdigit():
                raise TdtRefused(
                    _(
                        "This act was not transmitted through S2LOW: its cancellation cannot be "
                        "sent through S2LOW either. Send it the way the act was sent."
                    )
                )
            identifier = self.client.cancel_transaction(transaction_id=int(original.external_id))
        else:
            identifier = self._answer(transmission)
        return Delivery(external_id=str(identifier))

    def _answer(self, transmission: Transmission) -> int:
        letter = transmission.reply_to
        type_envoie = S2LOW_ANSWER_TYPES.get(transmission.kind)
        if letter is None or not letter.external_id.isdigit() or type_envoie is None:
            raise TdtRefused(
                _(
                    "This letter did not come through S2LOW, or S2LOW takes no such answer: "
                    "answer it from S2LOW's own pages."
                )
            )
        members = dict(read_tar(content=read_bytes(transmission.archive.name or "")))
        pieces = [
            Piece(filename=entry["name"], content=members[entry["name"]], type_pj=entry["type_pj"])
            for entry in transmission.documents
        ]
        return self.client.send_response(
            transaction_id=int(letter.external_id),
            type_envoie=type_envoie,
            document=pieces[0],
            attachments=pieces[1:],
        )

    def status(self, external_id: str) -> TdtStatus:
        return self.client.get_status(transaction_id=int(external_id))


class TrainingConnector:
    """A training sandbox's connector (docs/adr/0010-training-sandbox.md): the delivery is only
    simulated — nothing is written to any folder, nothing is posted — and says so."""

    kind = "training"
    idempotent = True

    def deliver(self, transmission: Transmission) -> Delivery:
        return Delivery(external_id=simulated_reference(transmission.pk))


def simulated_reference(pk: int) -> str:
    return _("SIMULATION %(pk)d: training sandbox, nothing was sent to the prefecture.") % {
        "pk": pk
    }


def connector_for(
    transmission_connector: str, tdt: TdtSettings | None
) -> FolderConnector | S2lowConnector | TrainingConnector:
    """The connector a transmission goes through (simulated for a training sandbox). Raises
    TdtNotConfigured."""
    if tdt is None:
        raise TdtNotConfigured(
            _(
                "Transmission to the prefecture is not configured for this collectivité: an "
                "administrator must choose a connector in the transmission settings."
            )
        )
    if tdt.collectivite.is_training:
        return TrainingConnector()
    if transmission_connector == TdtConnector.S2LOW:
        return S2lowConnector(tdt)
    return FolderConnector(tdt)


def s2low_connector(tdt: TdtSettings | None) -> S2lowConnector | None:
    """The S2LOW connector when the collectivité uses S2LOW (for polling), else None; never
    for a training sandbox, which does not talk to S2LOW at all."""
    if tdt is None or tdt.connector != TdtConnector.S2LOW or tdt.collectivite.is_training:
        return None
    return S2lowConnector(tdt)
