"""Pieces shared by the snapshot builders: dates, people, the collectivité, files, customisation.

Everything here only reads the database. Dates written into snapshots come from the data
(journal events, numbering, closing), never from "now", so that building the snapshot of
unchanged data twice gives the same dict, hence the same hashes and the same PDF bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.files import read_bytes
from deliberations.enums import MandateRole
from deliberations.models import Collectivite, Mandate, Seance
from deliberations.selectors import members_in_office, seance_day
from exports.documents.context import WORDING_KEYS
from workflow.models import AuditEvent

from ..models import DocumentSettings

LANGUAGE = "fr"
DEFAULT_COLOUR = "#1d3557"

#: Journal actions that change what an act's document says (its rendered_at is the last one).
ACT_CONTENT_ACTIONS = (
    "act.created",
    "act.updated",
    "act.annex.added",
    "act.annex.removed",
    "act.numbered",
    "act.voted",
    "act.vote_cancelled",
)
#: Journal actions that change the agenda sent with the convocation.
AGENDA_ACTIONS = (
    "seance.created",
    "seance.updated",
    "seance.item.added",
    "seance.item.removed",
    "seance.item.withdrawn",
    "seance.agenda.reordered",
    "seance.convened",
)


def timezone_info() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def iso_datetime(value: dt.datetime) -> str:
    """``2026-03-14T18:30:00+01:00``: local time of the collectivité, to the second."""
    return timezone.localtime(value, timezone_info()).replace(microsecond=0).isoformat()


def iso_date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def last_event_at(chain_key: str, actions: Iterable[str] | None = None) -> dt.datetime | None:
    """Time of the last journal event of a chain, among ``actions`` (all but documents')."""
    events = AuditEvent.objects.filter(chain__key=chain_key)
    events = (
        events.filter(action__in=list(actions))
        if actions is not None
        else events.exclude(action__startswith="document.")
    )
    return events.aggregate(last=Max("created_at"))["last"]


def drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    """Leave out absent values (None, "", [], {}) so snapshots only hold what is known."""
    return {key: value for key, value in data.items() if value not in (None, "", [], {})}


# People ----------------------------------------------------------------------------------------


def person(mandate: Mandate | None) -> dict[str, str] | None:
    """``{"name": "Mme Marie DUPONT", "quality": "Maire"}`` for president, rapporteur…"""
    if mandate is None:
        return None
    return {"name": mandate.official.formal_name, "quality": mandate.printed_quality}


def short_name(mandate: Mandate) -> str:
    """``Marie DUPONT``: the form used in lists of members and under signatures."""
    return mandate.official.full_name


def authority_role(mandate: Mandate | None) -> str:
    """How the signature block of the head of the executive is titled."""
    if mandate is not None and mandate.role == MandateRole.MAYOR:
        return _("The Mayor")
    if mandate is not None and mandate.role == MandateRole.PRESIDENT:
        return _("The President")
    return _("The president of the sitting")


def head_of_executive(collectivite: Collectivite, on: dt.date) -> Mandate | None:
    """The mayor (or president) in office on ``on``, from the collectivité's assemblies."""
    return (
        Mandate.objects.filter(
            assembly__collectivite=collectivite,
            role__in=[MandateRole.MAYOR, MandateRole.PRESIDENT],
        )
        .in_office(on)
        .select_related("official")
        .order_by("rank", "pk")
        .first()
    )


# Collectivité, logo, customisation --------------------------------------------------------------


def _media_type(data: bytes) -> str | None:
    head = data[:512].lstrip()
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in data[:2048]):
        return "image/svg+xml"
    return None


def logo_bytes(collectivite: Collectivite) -> bytes | None:
    """The collectivité's logo when it is a PNG, JPEG or SVG file the renderer can print."""
    if not collectivite.logo:
        return None
    try:
        data = read_bytes(collectivite.logo.name or "")
    except OSError:
        return None
    return data if _media_type(data) else None


def collectivite_block(collectivite: Collectivite) -> dict[str, Any]:
    block: dict[str, Any] = drop_empty(
        {
            "name": collectivite.name,
            "kind": collectivite.kind,
            "siren": collectivite.siren,
            "address": " ".join(collectivite.address.split()),
            "postal_code": collectivite.postal_code,
            "city": collectivite.city,
            "website": collectivite.website,
        }
    )
    logo = logo_bytes(collectivite)
    if logo is not None:
        block["logo"] = {
            "sha256": hashlib.sha256(logo).hexdigest(),
            "media_type": _media_type(logo),
        }
    return block


def document_settings(collectivite: Collectivite) -> DocumentSettings:
    """The collectivité's settings, or unsaved defaults when it has none yet."""
    found = DocumentSettings.objects.filter(collectivite=collectivite).first()
    return found or DocumentSettings(collectivite=collectivite)


def customisation_of(options: DocumentSettings) -> dict[str, Any]:
    """The renderer's customisation dict (SNAPSHOTS.md), holding only non-default values.

    Defaults are left out so that saving the settings page unchanged changes no hash.
    """
    custom: dict[str, Any] = {}
    lines = [line.strip() for line in options.header_lines or [] if line.strip()]
    if lines:
        custom["header_lines"] = lines
    if options.footer_text.strip():
        custom["footer_text"] = options.footer_text.strip()
    if options.primary_colour and options.primary_colour.lower() != DEFAULT_COLOUR:
        custom["primary_colour"] = options.primary_colour.lower()
    if not options.show_logo:
        custom["show_logo"] = False
    wording = {
        key: value.strip()
        for key, value in sorted((options.wording or {}).items())
        if key in WORDING_KEYS and isinstance(value, str) and value.strip()
    }
    if wording:
        custom["wording"] = wording
    return custom


def portal_url(collectivite: Collectivite, options: DocumentSettings) -> str:
    return options.portal_url or collectivite.website


# Séance ----------------------------------------------------------------------------------------


def seance_block(seance: Seance) -> dict[str, Any]:
    """The ``seance`` object shared by the act and every séance document."""
    return drop_empty(
        {
            "assembly": {"name": seance.assembly.name, "kind": seance.assembly.kind},
            "date": iso_datetime(seance.date),
            "place": seance.place,
            "convocation_date": iso_date(seance.convocation_date),
            "president": person(seance.president),
            "secretary": person(seance.secretary),
            "public": True,
            "urgency": seance.urgency,
        }
    )


def office_of(seance: Seance) -> list[Mandate]:
    """Members in office on the day of the séance, in the order of the assembly's table."""
    return list(members_in_office(seance.assembly, seance_day(seance)))
