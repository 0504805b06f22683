"""Snapshots of an act (``delibre.act/1``) and of its signature proof sheet (``delibre.proof/1``).

Approval circuits (workflow.models CircuitRun, StepRun, StepAssignee, Decision) are read through
``apps.get_model`` and guarded: this module works before the circuits exist (the proof sheet is
then built from the journal, other acts are signed by the head of the executive) and after.

Signature fields (their names are the contract with signing/):

- deliberations: ``Sig_President`` (president of the séance, usually the mayor) and
  ``Sig_Secretaire`` (secrétaire de séance);
- other acts with a circuit: one field per signature or seal step, ``Sig_Etape<position>``
  (``Sig_Etape<position>_<n>`` for each assignee of an "all" step);
- other acts without circuit: ``Sig_Signataire`` (the mayor or president);
- every act, when the collectivité reserves it: ``Sig_Publication`` (ADR 0002).

A block signed by delegation carries ``"delegation": {"delegator": "le Maire"}`` (SNAPSHOTS.md);
who signs by delegation is only known when the signature is applied, so the signing code adds
it to the block of the step concerned when it renders again before the first signature.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldError, ObjectDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberations.enums import ActStatus, ActType, AgendaItemStatus
from deliberations.models import Act, AgendaItem, Annex, Mandate, User
from workflow.models import AuditEvent

from ..exceptions import DocumentUnavailable, UnknownDocumentRequest
from .common import (
    ACT_CONTENT_ACTIONS,
    LANGUAGE,
    authority_role,
    collectivite_block,
    document_settings,
    drop_empty,
    head_of_executive,
    iso_date,
    iso_datetime,
    last_event_at,
    office_of,
    person,
    portal_url,
    seance_block,
    short_name,
    timezone_info,
)
from .seances import attendance_block, item_presences, sitting_signatures, vote_block

#: The public verification page printed (URL and QR code) on every act.
VERIFICATION_PATH = "/verify/act/{token}/"
PUBLICATION_FIELD = "Sig_Publication"


def verification_url(token: str) -> str:
    return settings.PUBLIC_URL + VERIFICATION_PATH.format(token=token)


def voted_item(act: Act) -> AgendaItem | None:
    """The agenda item on which the act was voted (the latest, if it was voted again)."""
    return (
        act.agenda_items.filter(status=AgendaItemStatus.VOTED, vote__isnull=False)
        .select_related(
            "vote",
            "seance__assembly",
            "seance__collectivite",
            "seance__president__official",
            "seance__secretary__official",
        )
        .order_by("-seance__date")
        .first()
    )


def scheduled_item(act: Act) -> AgendaItem | None:
    return (
        act.agenda_items.select_related(
            "seance__assembly", "seance__president__official", "seance__secretary__official"
        )
        .order_by("-seance__date")
        .first()
    )


def is_draft(act: Act, item: AgendaItem | None) -> bool:
    """A project: not numbered yet, or a deliberation whose vote is not (or no longer) recorded."""
    if act.act_type == ActType.DELIBERATION:
        return item is None or not act.number
    return not act.number


def act_rendered_at(act: Act) -> str:
    last = last_event_at(act.journal_chain_key, ACT_CONTENT_ACTIONS)
    candidates = [value for value in (last, act.numbered_at) if value is not None]
    return iso_datetime(max(candidates) if candidates else act.created_at)


def annexes_block(act: Act, annex_mode: str) -> list[dict[str, str]]:
    return [
        {
            "title": annex.title,
            "mode": annex_mode,
            "sha256": annex.sha256,
            "filename": annex.original_name,
        }
        for annex in Annex.objects.filter(act=act).order_by("position", "pk")
    ]


def _decision_date(act: Act) -> dt.date | None:
    if act.decision_date:
        return act.decision_date
    if act.numbered_at:
        return timezone.localtime(act.numbered_at, timezone_info()).date()
    return None


def _user_signature_name(user: User, collectivite_id: int, on: dt.date) -> tuple[str, str]:
    """Name and quality of a user who signs: their elected office when they hold one."""
    try:
        official = user.elected_official  # type: ignore[attr-defined]
    except ObjectDoesNotExist:
        return user.display_name, ""
    if official.collectivite_id != collectivite_id:
        return user.display_name, ""
    mandate = Mandate.objects.filter(official=official).in_office(on).order_by("rank", "pk").first()
    return official.full_name, mandate.printed_quality if mandate else ""


# Approval circuits (read defensively) --------------------------------------------------------


def circuit_runs(act: Act) -> list[Any]:
    """The act's circuit runs with steps, assignees and decisions, oldest first ([] if none)."""
    try:
        run_model = apps.get_model("workflow", "CircuitRun")
    except LookupError:
        return []
    try:
        return list(
            run_model.objects.filter(act=act)
            .order_by("started_at", "pk")
            .prefetch_related(
                "steps__assignees__user__elected_official",
                "steps__assignees__group",
                "steps__decisions__actor",
                "steps__decisions__on_behalf_of",
            )
        )
    except (FieldError, AttributeError, ValueError):
        return []


def _run_is_live(run: Any) -> bool:
    return getattr(run, "status", "") not in ("cancelled", "recalled", "rejected", "returned")


def circuit_signatures(act: Act, on: dt.date) -> list[dict[str, str]]:
    """One block per signature or seal step of the act's latest live circuit run."""
    runs = [run for run in circuit_runs(act) if _run_is_live(run)]
    if not runs:
        return []
    blocks: list[dict[str, str]] = []
    for step in sorted(runs[-1].steps.all(), key=lambda s: s.position):
        kind = getattr(step, "kind", "")
        if kind not in ("signature", "seal"):
            continue
        role = getattr(step, "signer_quality", "") or getattr(step, "label", "") or _("Signature")
        assignees = list(step.assignees.all())
        if kind == "seal":
            blocks.append(
                {
                    "field": f"Sig_Etape{step.position}",
                    "role": role,
                    "name": act.collectivite.name,
                    "quality": _("Server seal"),
                }
            )
            continue
        each = getattr(step, "mode", "one") == "all" and len(assignees) > 1
        people = assignees if each else assignees[:1] if len(assignees) == 1 else []
        if not people:
            blocks.append(
                {"field": f"Sig_Etape{step.position}", "role": role, "name": role, "quality": ""}
            )
            continue
        for index, assignee in enumerate(people, start=1):
            if getattr(assignee, "user", None) is not None:
                name, quality = _user_signature_name(assignee.user, act.collectivite_id, on)
            else:
                name, quality = str(getattr(assignee, "group", "") or role), ""
            field = f"Sig_Etape{step.position}_{index}" if each else f"Sig_Etape{step.position}"
            blocks.append({"field": field, "role": role, "name": name, "quality": quality})
    return blocks


# The act ---------------------------------------------------------------------------------------


def act_snapshot(
    act: Act,
    *,
    annex_mode: str = "appended",
    verification_token: str = "",
    signers: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, Any]:
    """The data of the act's PDF (SNAPSHOTS.md ``pdf/act.html``), read from the models.

    ``signers`` lets signing/ name who will actually sign a block before the first signature:
    ``{"Sig_Etape2": {"name": …, "quality": …, "delegator": "le Maire"}}`` prints "Pour le
    Maire et par délégation," with the delegate's name and quality (and makes the delegate the
    author of the 2022 mention when it is the first block).
    """
    collectivite = act.collectivite
    options = document_settings(collectivite)
    item = voted_item(act) if act.act_type == ActType.DELIBERATION else None
    draft = is_draft(act, item)
    decision_date = _decision_date(act)
    body: dict[str, Any] = drop_empty(
        {
            "type": act.act_type,
            "number": act.number,
            "objet": act.objet,
            "decision_date": iso_date(decision_date),
            "nature_code": act.nature_abbreviation,
            "classification": {"code": act.matiere.code, "label": act.matiere.label}
            if act.matiere
            else None,
            "preamble": act.summary.strip(),
            "visas": list(act.visas),
            "considerants": list(act.considerants),
            "articles": list(act.articles),
            "budget": drop_empty(
                {
                    "amount": str(act.budget_amount),
                    "name": act.budget_name,
                    "year": act.budget_year,
                    "line": act.budget_line,
                }
            )
            if act.budget_amount is not None
            else None,
            "appeal_court": options.appeal_court,
            "annexes": annexes_block(act, annex_mode),
        }
    )
    body.setdefault("articles", [])
    snapshot: dict[str, Any] = {
        "schema": "delibre.act/1",
        "rendered_at": act_rendered_at(act),
        "language": LANGUAGE,
        "collectivite": collectivite_block(collectivite),
        "act": body,
    }
    if draft:
        snapshot["draft"] = True
    if act.rapporteur_id:
        snapshot["rapporteur"] = person(act.rapporteur)
    on = decision_date or timezone.localtime(act.created_at, timezone_info()).date()
    if act.act_type == ActType.DELIBERATION:
        sitting = item or scheduled_item(act)
        if sitting is not None:
            snapshot["seance"] = seance_block(sitting.seance)
        if item is not None and not draft:
            office = office_of(item.seance)
            attendance, _count = attendance_block(office, item_presences(item))
            vote = item.vote
            # The counts recorded with the vote are the legal ones (taken when it was cast).
            attendance.update(
                members_in_office=vote.members_in_office,
                present=vote.present,
                represented=vote.represented,
                absent=vote.members_in_office - vote.present - vote.represented,
            )
            snapshot["attendance"] = attendance
            snapshot["vote"] = vote_block(vote, office)
            snapshot["signatures"] = sitting_signatures(item.seance)
            president = item.seance.president
            snapshot["author"] = person(president) if president else None
    else:
        head = head_of_executive(collectivite, on)
        signatures = circuit_signatures(act, on)
        if not signatures and head is not None:
            signatures = [
                {
                    "field": "Sig_Signataire",
                    "role": authority_role(head),
                    "name": short_name(head),
                    "quality": head.printed_quality,
                }
            ]
        if not draft:
            snapshot["signatures"] = signatures
        if head is not None:
            issuer_place = collectivite.city or collectivite.name
            body["issuer"] = _("%(role)s of %(place)s,") % {
                "role": authority_role(head),
                "place": issuer_place,
            }
        first = next((s for s in signatures if s["name"] != s["role"]), None)
        if first is not None:
            snapshot["author"] = {"name": first["name"], "quality": first["quality"]}
        elif head is not None:
            snapshot["author"] = {"name": short_name(head), "quality": head.printed_quality}
    if not draft:
        snapshot.setdefault("signatures", [])
        if not snapshot.get("author"):
            snapshot["author"] = {"name": collectivite.name, "quality": ""}
        publication = drop_empty(
            {
                "portal_url": portal_url(collectivite, options),
                "seal_field": PUBLICATION_FIELD if options.publication_seal else "",
            }
        )
        if publication:
            snapshot["publication"] = publication
        snapshot["verification_url"] = verification_url(verification_token)
        if signers:
            _apply_signers(snapshot, signers)
    return {key: value for key, value in snapshot.items() if value is not None}


def _apply_signers(snapshot: dict[str, Any], signers: Mapping[str, Mapping[str, str]]) -> None:
    blocks = {block["field"]: block for block in snapshot["signatures"]}
    for field, who in signers.items():
        if not isinstance(who, Mapping) or set(who) - {"name", "quality", "delegator"}:
            raise UnknownDocumentRequest(
                _("A signer is given by name, quality and delegator only."), field="signers"
            )
        block = blocks.get(field)
        if block is None:  # a block the act no longer has (its circuit changed): ignored
            continue
        block["name"] = str(who.get("name") or block["name"])
        block["quality"] = str(who.get("quality", block["quality"]))
        if who.get("delegator"):
            block["delegation"] = {"delegator": str(who["delegator"])}
    first = snapshot["signatures"][0] if snapshot["signatures"] else None
    if first is not None and first["field"] in signers:
        snapshot["author"] = {"name": first["name"], "quality": first["quality"]}


def act_signature_fields(snapshot: dict[str, Any]) -> list[dict[str, str]]:
    """The empty visible signature fields to create: one per block, plus the publication seal."""
    fields = [
        {"name": block["field"], "label": f"{block['role']} — {block['name']}".strip(" —")}
        for block in snapshot.get("signatures", [])
    ]
    seal = snapshot.get("publication", {}).get("seal_field")
    if seal:
        fields.append({"name": seal, "label": _("Publication seal")})
    return fields


# The proof sheet ---------------------------------------------------------------------------------

#: Circuit decisions → proof sheet actions (SNAPSHOTS.md ``delibre.proof/1``).
_DECISION_ACTIONS = {
    "reject": "rejected",
    "skip": "skipped",
    "opinion_request": "commented",
    "opinion_answer": "commented",
    "recall": "returned",
}
#: Journal events that are decisions, when the act went through no circuit.
_JOURNAL_DECISIONS = {
    "act.validated": ("visa", "approved"),
    "act.returned": ("visa", "returned"),
    "act.signed": ("signature", "signed"),
    "act.sealed": ("seal", "sealed"),
}


def _approval_action(kind: str) -> str:
    return {"signature": "signed", "seal": "sealed"}.get(kind, "approved")


def _assignee_name(assignee: Any, collectivite_id: int, on: dt.date) -> str:
    if getattr(assignee, "user", None) is not None:
        return _user_signature_name(assignee.user, collectivite_id, on)[0]
    return str(getattr(assignee, "group", "") or "")


def _circuit_from_runs(act: Act, runs: list[Any], on: dt.date) -> dict[str, Any]:
    steps: list[dict[str, Any]] = []
    for run in runs:
        for step in sorted(run.steps.all(), key=lambda s: s.position):
            kind = getattr(step, "kind", "visa")
            decisions = []
            for decision in sorted(step.decisions.all(), key=lambda d: (d.created_at, d.pk)):
                action = getattr(decision, "action", "")
                decisions.append(
                    drop_empty(
                        {
                            "actor": _display(decision.actor),
                            "on_behalf_of": _display(decision.on_behalf_of)
                            if decision.on_behalf_of_id
                            else "",
                            "action": _approval_action(kind)
                            if action == "approve"
                            else _DECISION_ACTIONS.get(action, "commented"),
                            "at": iso_datetime(decision.created_at),
                            "comment": decision.comment,
                        }
                    )
                )
            steps.append(
                {
                    "position": len(steps) + 1,
                    "kind": kind if kind in ("visa", "signature", "seal") else "visa",
                    "mode": getattr(step, "mode", "one"),
                    "assignees": [
                        name
                        for name in (
                            _assignee_name(a, act.collectivite_id, on) for a in step.assignees.all()
                        )
                        if name
                    ],
                    "decisions": decisions,
                }
            )
    last = runs[-1]
    completed = getattr(last, "completed_at", None)
    return drop_empty(
        {
            "name": " → ".join(dict.fromkeys(getattr(r, "circuit_name", "") or "—" for r in runs)),
            "status_label": str(last.get_status_display())
            if hasattr(last, "get_status_display")
            else "",
            "started_at": iso_datetime(runs[0].started_at),
            "completed_at": iso_datetime(completed) if completed else None,
        }
    ) | {"steps": steps}


def _display(user: Any) -> str:
    return getattr(user, "display_name", "") or str(user or "")


def _circuit_from_journal(act: Act) -> dict[str, Any]:
    """Without approval circuit, the decisions the journal recorded (visa without circuit…)."""
    by_kind: dict[str, list[dict[str, str]]] = {"visa": [], "signature": [], "seal": []}
    events = AuditEvent.objects.filter(
        chain__key=act.journal_chain_key, action__in=list(_JOURNAL_DECISIONS)
    ).order_by("seq")
    for event in events:
        kind, action = _JOURNAL_DECISIONS[event.action]
        by_kind[kind].append(
            drop_empty(
                {
                    "actor": event.actor_name or _("system"),
                    "on_behalf_of": event.on_behalf_of_name,
                    "action": action,
                    "at": iso_datetime(event.created_at),
                    "comment": str((event.data or {}).get("comment", "") or ""),
                }
            )
        )
    steps = [
        {"position": 0, "kind": kind, "mode": "one", "assignees": [], "decisions": decisions}
        for kind, decisions in by_kind.items()
        if decisions
    ] or [{"position": 0, "kind": "visa", "mode": "one", "assignees": [], "decisions": []}]
    for position, step in enumerate(steps, start=1):
        step["position"] = position
    return {
        "name": _("No approval circuit: decisions recorded in the journal"),
        "status_label": str(ActStatus(act.status).label),
        "steps": steps,
    }


def proof_snapshot(act: Act, *, document: Any = None) -> dict[str, Any]:
    """The proof sheet of a folder: its circuit(s) with every decision, anchored in the journal.

    ``document`` is the act's current rendered PDF (named with its SHA-256). The journal anchor
    is the last event of the act's chain that is not about documents, so that rendering the
    sheet (which journals ``document.*`` events) does not change the next sheet.
    """
    collectivite = act.collectivite
    on = _decision_date(act) or timezone.localtime(act.created_at, timezone_info()).date()
    runs = circuit_runs(act)
    circuit = _circuit_from_runs(act, runs, on) if runs else _circuit_from_journal(act)
    last = (
        AuditEvent.objects.filter(chain__key=act.journal_chain_key)
        .exclude(action__startswith="document.")
        .order_by("-seq")
        .first()
    )
    if last is None:
        raise DocumentUnavailable(_("This act has no journal yet: its proof sheet cannot be made."))
    folder: dict[str, Any] = drop_empty(
        {
            "number": act.number,
            "objet": act.objet,
            "type_label": str(ActType(act.act_type).label),
        }
    )
    if document is not None and document.content_sha256:
        folder["document"] = {
            "filename": (act.number or _("draft")) + ".pdf",
            "sha256": document.content_sha256,
        }
    return {
        "schema": "delibre.proof/1",
        "rendered_at": iso_datetime(last.created_at),
        "language": LANGUAGE,
        "collectivite": collectivite_block(collectivite),
        "folder": folder,
        "circuit": circuit,
        "journal": {
            "chain": act.journal_chain_key,
            "last_event_seq": last.seq,
            "last_event_hash": last.hash,
            "last_event_at": iso_datetime(last.created_at),
        },
    }
