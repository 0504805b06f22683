"""What comes back from the prefecture: import a file, poll the connector, apply each message.

A return is read by exports.actes.reader (safe, lenient), checked to be addressed to the
collectivité (SIREN), stored as received, then each message is applied once (the same message
imported twice changes nothing: unique SHA-256 of its XML):

    1-2 ARActe            transmission acknowledged (IDActe, DateReception); the act goes
                          signed → transmitted → acknowledged (ActFlow); a published act keeps
                          its status, the acknowledgement is recorded on the transmission
    1-3 AnomalieActe,     transmission in anomaly with the reason; the act stays signed so it
    AnomalieEnveloppe     can be fixed and sent again (a new transmission)
    2-1, 3-1, 4-1, 5-1    a message to handle, shown on the act page with its possible answers
                          (and an indicative two-month deadline for 3-1 and 4-1)
    3-5, 4-5              the answer that they acknowledge is marked acknowledged
    6-2 ARAnnulation      the act's transmission and the act are cancelled (ActFlow.cancel)
    7-2 RetourClassification  imported through deliberations.services.import_classification
                          when an administrator imports it, else kept to be imported by one;
                          its date is remembered so that a stale classification is refused

Journal codes: ``act.acknowledged``, ``act.transmission.anomaly``,
``act.prefecture_message.received`` (``prefecture_message.received`` on the collectivité's chain
when no act matches), ``act.transmission.cancelled``, ``act.transmission.answer_acknowledged``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.files import removed_on_error, store_bytes
from deliberations.enums import ActStatus, Role
from deliberations.models import Act, Collectivite, User
from deliberations.permissions import has_role, require_role
from deliberations.services import import_classification
from deliberations.services._common import locked
from workflow.journal import record_event
from workflow.lifecycles import ActFlow

from .. import reader
from ..archive import read_tar
from ..codes import MessageKind, parse_id_acte
from ..connectors import s2low_connector
from ..enums import (
    PrefectureMessageKind,
    PrefectureMessageStatus,
    TransmissionKind,
    TransmissionStatus,
)
from ..exceptions import ActesError, ReturnRefused, TdtError, TdtUnavailable
from ..models import PrefectureMessage, TdtSettings, Transmission
from ..selectors import add_months, tdt_settings_for
from ._common import require_operator
from .transmissions import send_transmission

log = logging.getLogger("delibre.actes")
RETURNS_FOLDER = "actes/returns"
#: Letters after which the collectivité has (indicatively) two months to act.
_TWO_MONTHS = {PrefectureMessageKind.DEMANDE_PIECES, PrefectureMessageKind.LETTRE_OBSERVATIONS}
_INCOMING = {kind.value for kind in PrefectureMessageKind}
#: How long after its acknowledgement an act's S2LOW mailbox is still polled for letters (the
#: prefect has two months to write or refer the act to the court; a margin is added).
LETTERS_WINDOW = dt.timedelta(days=120)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, MessageKind):
        return value.value
    if isinstance(value, tuple | list):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    return value


def message_data(message: reader.ActesMessage) -> dict[str, Any]:
    """What is kept of a message besides its file (the classification itself is summarised)."""
    data: dict[str, Any] = {}
    for item in dataclasses.fields(message):
        value = getattr(message, item.name)
        if item.name == "classification":
            data["classification"] = {
                "date": value.version_date.isoformat(),
                "matieres": len(value.matieres),
                "piece_types": len(value.piece_types),
            }
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            data[item.name] = _jsonable(dataclasses.asdict(value))
        else:
            data[item.name] = _jsonable(value)
    return data


def _message_date(message: reader.ActesMessage) -> dt.date | None:
    for name in ("date_reception", "date_courrier", "date", "date_depot", "classification_date"):
        value = getattr(message, name, None)
        if isinstance(value, dt.date):
            return value
    return None


def addressed_sirens(package: reader.IncomingPackage) -> set[str]:
    found = set()
    if package.envelope is not None and package.envelope.siren:
        found.add(package.envelope.siren)
    for message in package.messages:
        parsed = parse_id_acte(message.id_acte or "")
        if parsed is not None:
            found.add(parsed.siren)
        sender = getattr(message, "sender_siren", None)
        if sender:
            found.add(sender)
    return found


def _check_addressed(collectivite: Collectivite, package: reader.IncomingPackage) -> None:
    if not package.messages:
        raise ReturnRefused(
            _("The file holds no message of the prefecture (only an envelope): nothing to import.")
        )
    others = addressed_sirens(package) - {collectivite.siren}
    if others:
        raise ReturnRefused(
            _(
                "This file is addressed to the SIREN %(other)s, not to %(name)s (SIREN %(siren)s): "
                "import it in the right collectivité."
            )
            % {
                "other": ", ".join(sorted(others)),
                "name": collectivite.name,
                "siren": collectivite.siren,
            }
        )
    for message in package.messages:
        if message.kind.value not in _INCOMING:
            raise ReturnRefused(
                _(
                    "%(name)s is a message a collectivité sends (%(root)s), not a return of the "
                    "prefecture: nothing was imported."
                )
                % {"name": message.file_name or _("the file"), "root": message.kind.root}
            )


# -- Matching a message to a transmission -------------------------------------------------------


def _act_transmissions(collectivite: Collectivite, number: str | None, day: dt.date | None):
    if not number:
        return Transmission.objects.none()
    query = Transmission.objects.filter(
        collectivite=collectivite, kind=TransmissionKind.ACTE, act__number=number
    )
    if day is not None:
        query = query.filter(act__decision_date=day)
    return query.order_by("-pk")


def _match(collectivite: Collectivite, message: reader.ActesMessage) -> Transmission | None:
    """The act transmission a message is about: by IDActe, else by act number and date, else
    (envelope anomaly) by the message file it names."""
    if message.id_acte:
        known = (
            Transmission.objects.filter(
                collectivite=collectivite, kind=TransmissionKind.ACTE, id_acte=message.id_acte
            )
            .order_by("-pk")
            .first()
        )
        if known is not None:
            return known
    if isinstance(message, reader.AnomalieEnveloppe):
        return (
            Transmission.objects.filter(
                collectivite=collectivite,
                kind=TransmissionKind.ACTE,
                message_name__in=message.forms,
            )
            .order_by("-pk")
            .first()
        )
    return _act_transmissions(collectivite, message.act_number, message.act_date).first()


def _act_of(
    collectivite: Collectivite, message: reader.ActesMessage, transmission: Transmission | None
) -> Act | None:
    if transmission is not None:
        return transmission.act
    if message.act_number:
        query = Act.objects.filter(collectivite=collectivite, number=message.act_number)
        if message.act_date is not None:
            query = query.filter(decision_date=message.act_date)
        return query.first()
    return None


# -- Applying each kind -------------------------------------------------------------------------


@dataclass
class _Context:
    collectivite: Collectivite
    actor: Any
    tdt: TdtSettings | None
    content: bytes


def _remember_classification_date(context: _Context, day: dt.date | None) -> None:
    """Keep the newest classification date the prefecture announced (a conditional update)."""
    if context.tdt is None or day is None:
        return
    TdtSettings.objects.filter(pk=context.tdt.pk).filter(
        Q(known_classification_date__isnull=True) | Q(known_classification_date__lt=day)
    ).update(known_classification_date=day)


def _acknowledge(context: _Context, transmission: Transmission, message: reader.ARActe) -> bool:
    """Record the AR on the transmission and move the act. False when nothing applies."""
    assert transmission.act_id is not None  # matched among act transmissions
    act = locked(Act, transmission.act_id)
    current = locked(Transmission, transmission.pk)
    latest = (
        Transmission.objects.filter(act=act, kind=TransmissionKind.ACTE).order_by("-pk").first()
    )
    if (
        latest is None
        or latest.pk != current.pk
        or current.status
        not in (
            TransmissionStatus.SENT,
            TransmissionStatus.QUEUED,
            TransmissionStatus.FAILED,
        )
    ):
        return False
    current.status = TransmissionStatus.ACKNOWLEDGED
    current.id_acte = message.id_acte or ""
    current.ack_date = message.date_reception
    current.acknowledged_at = timezone.now()
    current.outcome_unknown = False
    current.last_error = ""
    current.save(
        update_fields=[
            "status",
            "id_acte",
            "ack_date",
            "acknowledged_at",
            "outcome_unknown",
            "last_error",
            "updated_at",
        ]
    )
    before = act.status
    if act.status == ActStatus.SIGNED:
        flow = ActFlow(act)
        flow.run("transmit")
        flow.run("acknowledge")
        act.save(update_fields=["status", "updated_at"])
    record_event(
        current,
        "act.acknowledged",
        actor=context.actor,
        data={
            "transmission": current.pk,
            "id_acte": current.id_acte,
            "date_reception": current.ack_date,
            "act_status": {"before": before, "after": act.status},
        },
    )
    return True


def _anomaly(context: _Context, transmission: Transmission, message: reader.ActesMessage) -> bool:
    if transmission.act_id is not None:
        locked(Act, transmission.act_id)
    current = locked(Transmission, transmission.pk)
    if current.status not in (TransmissionStatus.SENT, TransmissionStatus.QUEUED):
        return False
    nature = getattr(message, "nature", "")
    detail = getattr(message, "detail", "")
    current.status = TransmissionStatus.ANOMALY
    current.anomaly = f"{nature} — {detail}".strip(" —")
    current.outcome_unknown = False
    current.save(update_fields=["status", "anomaly", "outcome_unknown", "updated_at"])
    record_event(
        current,
        "act.transmission.anomaly",
        actor=context.actor,
        data={"transmission": current.pk, "nature": nature, "detail": detail},
    )
    return True


def _cancelled(context: _Context, transmission: Transmission, message: reader.ARAnnulation) -> bool:
    act = locked(Act, transmission.act_id)
    current = locked(Transmission, transmission.pk)
    if current.status != TransmissionStatus.ACKNOWLEDGED:
        return False
    current.status = TransmissionStatus.CANCELLED
    current.save(update_fields=["status", "updated_at"])
    pending = Transmission.objects.filter(
        cancels=current,
        kind=TransmissionKind.ANNULATION,
        status__in=[TransmissionStatus.SENT, TransmissionStatus.QUEUED],
    )
    for cancellation in pending:
        cancellation.status = TransmissionStatus.ACKNOWLEDGED
        cancellation.ack_date = message.date_reception
        cancellation.acknowledged_at = timezone.now()
        cancellation.save(update_fields=["status", "ack_date", "acknowledged_at", "updated_at"])
    before = act.status
    flow = ActFlow(act)
    if flow.can("cancel"):
        flow.run("cancel")
        act.save(update_fields=["status", "updated_at"])
    record_event(
        current,
        "act.transmission.cancelled",
        actor=context.actor,
        data={
            "transmission": current.pk,
            "id_acte": current.id_acte,
            "date_reception": message.date_reception,
            "act_status": {"before": before, "after": act.status},
        },
    )
    return True


def _answer_acknowledged(context: _Context, message: reader.ARReponse) -> bool:
    kinds = (
        [TransmissionKind.PIECES_COMPLEMENTAIRES]
        if message.kind is MessageKind.AR_PIECE_COMPLEMENTAIRE
        else [
            TransmissionKind.REPONSE_LETTRE_OBSERVATIONS,
            TransmissionKind.REJET_LETTRE_OBSERVATIONS,
        ]
    )
    answer = (
        Transmission.objects.filter(
            collectivite=context.collectivite,
            kind__in=kinds,
            reply_to__id_acte=message.id_acte or "",
            status=TransmissionStatus.SENT,
        )
        .order_by("-pk")
        .first()
    )
    if answer is None:
        return False
    current = locked(Transmission, answer.pk)
    current.status = TransmissionStatus.ACKNOWLEDGED
    current.ack_date = message.date_reception
    current.acknowledged_at = timezone.now()
    current.save(update_fields=["status", "ack_date", "acknowledged_at", "updated_at"])
    record_event(
        current,
        "act.transmission.answer_acknowledged",
        actor=context.actor,
        data={"transmission": current.pk, "date_reception": message.date_reception},
    )
    return True


def _classification(
    context: _Context, message: reader.RetourClassification, content: bytes, name: str
) -> bool:
    _remember_classification_date(context, message.classification_date)
    actor = context.actor
    if actor is None or not has_role(actor, context.collectivite, Role.ADMIN):
        return False
    import_classification(
        collectivite=context.collectivite, actor=actor, content=content, source_name=name
    )
    return True


def _apply(
    context: _Context,
    message: reader.ActesMessage,
    *,
    xml: bytes,
    stored_name: str,
    file_name: str,
    file_sha256: str,
    source: str,
    external_id: str,
) -> PrefectureMessage:
    kind = message.kind.value
    transmission = _match(context.collectivite, message)
    act = _act_of(context.collectivite, message, transmission)
    status = PrefectureMessageStatus.INFO
    deadline = None
    applied = False
    if isinstance(message, reader.ARActe):
        _remember_classification_date(context, message.classification_date_current)
        applied = transmission is not None and _acknowledge(context, transmission, message)
    elif isinstance(message, reader.AnomalieActe | reader.AnomalieEnveloppe):
        if isinstance(message, reader.AnomalieActe):
            _remember_classification_date(context, message.classification_date_current)
        applied = transmission is not None and _anomaly(context, transmission, message)
    elif isinstance(message, reader.CourrierPrefecture | reader.DefereTA):
        status = PrefectureMessageStatus.NEW
        if kind in _TWO_MONTHS:
            start = _message_date(message) or timezone.localdate()
            deadline = add_months(start, 2)
        applied = True
    elif isinstance(message, reader.ARReponse):
        applied = _answer_acknowledged(context, message)
    elif isinstance(message, reader.ARAnnulation):
        applied = transmission is not None and _cancelled(context, transmission, message)
    elif isinstance(message, reader.RetourClassification):
        applied = _classification(context, message, xml, message.file_name or file_name)
        status = PrefectureMessageStatus.CLOSED if applied else PrefectureMessageStatus.NEW
    data = message_data(message)
    data["applied"] = applied
    record = PrefectureMessage.objects.create(
        collectivite=context.collectivite,
        act=act,
        transmission=transmission,
        kind=kind,
        id_acte=message.id_acte or (transmission.id_acte if transmission else ""),
        message_date=_message_date(message),
        received_at=timezone.now(),
        source=source,
        external_id=external_id,
        file=stored_name,
        file_name=file_name[:255],
        file_sha256=file_sha256,
        message_sha256=hashlib.sha256(xml).hexdigest(),
        message_name=(message.file_name or "")[:255],
        data=data,
        status=status,
        deadline=deadline,
    )
    record_event(
        record,
        "act.prefecture_message.received" if record.act_id else "prefecture_message.received",
        actor=context.actor,
        data={
            "message": record.pk,
            "kind": kind,
            "id_acte": record.id_acte,
            "transmission": transmission.pk if transmission else None,
            "applied": applied,
            "source": source,
            "sha256": file_sha256,
        },
    )
    return record


def _xml_members(content: bytes, package: reader.IncomingPackage) -> dict[str, bytes]:
    if len(package.messages) == 1 and not (
        content[:2] == b"\x1f\x8b" or content[257:262] == b"ustar"
    ):
        return {package.messages[0].file_name: content}
    return dict(read_tar(content=content))


def import_prefecture_file(
    *,
    collectivite: Collectivite,
    actor: User | None,
    content: bytes,
    name: str = "",
    source: str = "upload",
    external_id: str = "",
) -> list[PrefectureMessage]:
    """Import a file received from the prefecture (tar.gz package or one XML message).

    ``actor`` None is Délibre itself (polling, a command). Messages already imported are
    returned as they are (nothing changes). Raises InvalidActesMessage, UnsafeArchive or
    ReturnRefused, and then nothing is imported. Side effects: see the module docstring.
    """
    require_operator(actor, collectivite)
    package = reader.read_incoming(content=content, name=name)
    _check_addressed(collectivite, package)
    members = _xml_members(content, package)
    digests = {
        message.file_name: hashlib.sha256(members.get(message.file_name, content)).hexdigest()
        for message in package.messages
    }
    known = {
        record.message_sha256: record
        for record in PrefectureMessage.objects.filter(
            collectivite=collectivite, message_sha256__in=digests.values()
        )
    }
    if all(digest in known for digest in digests.values()):
        return [known[digests[m.file_name]] for m in package.messages]
    file_sha256 = hashlib.sha256(content).hexdigest()
    extension = (
        "tar.gz"
        if content[:2] == b"\x1f\x8b"
        else ("tar" if content[257:262] == b"ustar" else "xml")
    )
    stored = store_bytes(RETURNS_FOLDER, content, extension=extension)
    results: list[PrefectureMessage] = []
    try:
        with removed_on_error(stored), transaction.atomic():
            _apply_all(
                collectivite,
                actor,
                package,
                members,
                digests,
                known,
                results,
                stored=stored,
                name=name,
                file_sha256=file_sha256,
                source=source,
                external_id=external_id,
                content=content,
            )
    except IntegrityError:
        # The same message imported at the same moment by another process: it won.
        found = {
            record.message_sha256: record
            for record in PrefectureMessage.objects.filter(
                collectivite=collectivite, message_sha256__in=digests.values()
            )
        }
        if not all(digest in found for digest in digests.values()):
            raise
        return [found[digests[m.file_name]] for m in package.messages]
    return results


def _apply_all(
    collectivite: Collectivite,
    actor: Any,
    package: reader.IncomingPackage,
    members: dict[str, bytes],
    digests: dict[str, str],
    known: dict[str, PrefectureMessage],
    results: list[PrefectureMessage],
    *,
    stored: str,
    name: str,
    file_sha256: str,
    source: str,
    external_id: str,
    content: bytes,
) -> None:
    context = _Context(
        collectivite=collectivite, actor=actor, tdt=tdt_settings_for(collectivite), content=content
    )
    for message in package.messages:
        digest = digests[message.file_name]
        if digest in known:
            results.append(known[digest])
            continue
        results.append(
            _apply(
                context,
                message,
                xml=members.get(message.file_name, content),
                stored_name=stored,
                file_name=name or message.file_name,
                file_sha256=file_sha256,
                source=source,
                external_id=external_id,
            )
        )


def import_classification_message(*, message: PrefectureMessage, actor: User) -> PrefectureMessage:
    """Import a RetourClassification received earlier (administrators).

    Side effects: deliberations.services.import_classification; the message is closed.
    """
    require_role(actor, message.collectivite, Role.ADMIN)
    if message.kind != PrefectureMessageKind.RETOUR_CLASSIFICATION:
        raise ReturnRefused(_("This message is not a classification."))
    from core.files import read_bytes

    content = read_bytes(message.file.name or "")
    package = reader.read_incoming(content=content, name=message.file_name)
    members = _xml_members(content, package)
    xml = next(
        (
            members.get(m.file_name, content)
            for m in package.messages
            if isinstance(m, reader.RetourClassification)
        ),
        content,
    )
    with transaction.atomic():
        current = locked(PrefectureMessage, message.pk)
        import_classification(
            collectivite=current.collectivite,
            actor=actor,
            content=xml,
            source_name=current.file_name,
        )
        current.status = PrefectureMessageStatus.CLOSED
        current.save(update_fields=["status"])
        record_event(
            current,
            "prefecture_message.classification_imported",
            actor=actor,
            data={"message": current.pk},
        )
    return current


def close_message(
    *, message: PrefectureMessage, actor: User | None, note: str = ""
) -> PrefectureMessage:
    """Mark a message handled without answering it through @ctes (e.g. a referral to the court
    followed outside Délibre). Side effects: journal ``act.prefecture_message.closed``."""
    require_operator(actor, message.collectivite)
    with transaction.atomic():
        current = locked(PrefectureMessage, message.pk)
        if current.status != PrefectureMessageStatus.NEW:
            raise ReturnRefused(_("This message is already handled."))
        current.status = PrefectureMessageStatus.CLOSED
        current.save(update_fields=["status"])
        record_event(
            current,
            "act.prefecture_message.closed" if current.act_id else "prefecture_message.closed",
            actor=actor,
            data={"message": current.pk, "note": note},
        )
    return current


# -- Polling ------------------------------------------------------------------------------------


@dataclass
class PollReport:
    """What one poll did, for the command's output and the logs."""

    sent: int = 0
    checked: int = 0
    imported: int = 0
    errors: list[str] = field(default_factory=list)


def _stale_queued(collectivite: Collectivite) -> list[int]:
    """Queued transmissions whose task never ran (lost broker, restarted worker)."""
    limit = timezone.now() - dt.timedelta(minutes=10)
    return list(
        Transmission.objects.filter(
            collectivite=collectivite,
            status=TransmissionStatus.QUEUED,
            outcome_unknown=False,
            queued_at__lt=limit,
        ).values_list("pk", flat=True)
    )


def _poll_s2low(collectivite: Collectivite, tdt: TdtSettings, report: PollReport) -> None:
    try:
        connector = s2low_connector(tdt)
    except ActesError as exc:
        report.errors.append(str(exc.message))
        return
    if connector is None:
        return
    waiting = Transmission.objects.filter(
        collectivite=collectivite,
        kind__in=[TransmissionKind.ACTE, TransmissionKind.ANNULATION],
        status=TransmissionStatus.SENT,
        connector="s2low",
    ).exclude(external_id="")
    for transmission in waiting:
        report.checked += 1
        try:
            status = connector.status(transmission.external_id)
        except TdtError as exc:
            report.errors.append(f"{transmission.envelope_name}: {exc.message}")
            continue
        if status.return_xml and status.code in (4, -1, 6, 0):
            name = f"s2low-{transmission.external_id}.xml"
            try:
                import_prefecture_file(
                    collectivite=collectivite,
                    actor=None,
                    content=status.return_xml,
                    name=name,
                    source="s2low",
                    external_id=transmission.external_id,
                )
                report.imported += 1
            except ActesError as exc:
                report.errors.append(f"{name}: {exc.message}")
    since = timezone.now() - LETTERS_WINDOW
    acknowledged = Transmission.objects.filter(
        collectivite=collectivite,
        kind=TransmissionKind.ACTE,
        status=TransmissionStatus.ACKNOWLEDGED,
        connector="s2low",
        acknowledged_at__gte=since,
    ).exclude(external_id="")
    known = set(
        PrefectureMessage.objects.filter(collectivite=collectivite, source="s2low")
        .exclude(external_id="")
        .values_list("external_id", flat=True)
    )
    for transmission in acknowledged:
        try:
            refs = connector.client.list_prefecture_messages(
                transaction_id=int(transmission.external_id)
            )
        except TdtError as exc:
            report.errors.append(f"{transmission.envelope_name}: {exc.message}")
            continue
        for ref in refs:
            if str(ref.transaction_id) in known:
                continue
            try:
                content = connector.client.download_prefecture_message(
                    transaction_id=ref.transaction_id
                )
                import_prefecture_file(
                    collectivite=collectivite,
                    actor=None,
                    content=content,
                    name=f"s2low-{ref.transaction_id}.tar.gz",
                    source="s2low",
                    external_id=str(ref.transaction_id),
                )
                report.imported += 1
            except (ActesError, TdtUnavailable) as exc:
                report.errors.append(f"S2LOW {ref.transaction_id}: {exc.message}")


def _poll_folder(collectivite: Collectivite, tdt: TdtSettings, report: PollReport) -> None:
    """Import every file of the returns folder, then move it to ``imported/`` or ``refused/``."""
    from ..connectors import resolve_path

    if not tdt.return_folder_path:
        return
    try:
        folder = Path(
            resolve_path(
                tdt.return_folder_path, label=_("returns folder"), collectivite=collectivite
            )
        )
    except ActesError as exc:
        report.errors.append(str(exc.message))
        return
    if not folder.is_dir():
        report.errors.append(
            _("The returns folder %(folder)s does not exist.") % {"folder": folder}
        )
        return
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        if not path.name.lower().endswith((".xml", ".tar.gz", ".tgz", ".tar")):
            continue
        outcome = "imported"
        try:
            import_prefecture_file(
                collectivite=collectivite,
                actor=None,
                content=path.read_bytes(),
                name=path.name,
                source="folder",
            )
            report.imported += 1
        except ActesError as exc:
            outcome = "refused"
            report.errors.append(f"{path.name}: {exc.message}")
        target = folder / outcome
        target.mkdir(exist_ok=True)
        path.replace(target / path.name)


def poll_collectivite(*, collectivite: Collectivite, actor: User | None = None) -> PollReport:
    """Send what waits, ask S2LOW about what is on its way, import what came back.

    ``actor`` None is the periodic task; a clerk or an administrator may also ask for it at once
    (the desk's "Check now"). Each step is its own transaction; a failure on one transmission or
    file is reported and the others go on. Raises NotAllowed for anyone else. Side effects: those
    of send_transmission and import_prefecture_file.
    """
    require_operator(actor, collectivite)
    report = PollReport()
    for transmission_id in _stale_queued(collectivite):
        outcome = send_transmission(transmission_id=transmission_id)
        report.sent += outcome.transmission.status == TransmissionStatus.SENT
    tdt = tdt_settings_for(collectivite)
    if tdt is None:
        return report
    _poll_s2low(collectivite, tdt, report)
    _poll_folder(collectivite, tdt, report)
    for error in report.errors:
        log.warning("poll %s: %s", collectivite.slug, error)
    return report
