"""The act: "extrait du registre des délibérations" or arrêté (schema ``delibre.act/1``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from .context import (
    Customisation,
    common_context,
    count,
    file_bytes,
    format_amount,
    format_date,
    format_datetime,
    opt,
    parse_date,
    parse_datetime,
    person,
    req,
    str_list,
)
from .exceptions import InvalidSnapshot
from .graft import foreign_pages, open_pdf
from .qr import qr_svg_data_uri
from .renderer import BundledFile, Prepared, foreign_page_classes

VOTE_MODES = {"detail", "totals", "result", "noted"}
VOTE_RESULTS = {"adopted", "rejected", "noted"}
BALLOT_CHOICES = ("for", "against", "abstention", "not_voting")
ANNEX_MODES = {"appended", "bundled"}


def paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs; single line breaks are kept inside a paragraph."""
    return [part.strip() for part in text.replace("\r\n", "\n").split("\n\n") if part.strip()]


def _articles(act: Mapping[str, Any], path: str) -> list[dict[str, Any]]:
    articles = []
    for index, value in enumerate(req(act, "articles", path, list)):
        here = f"{path}.articles[{index}]"
        if isinstance(value, str):
            title, text = "", value
        elif isinstance(value, Mapping):
            title, text = opt(value, "title", here, str, ""), req(value, "text", here)
        else:
            raise InvalidSnapshot(field=here)
        articles.append({"number": index + 1, "title": title, "paragraphs": paragraphs(text)})
    if not articles:
        raise InvalidSnapshot(
            _("The document data lacks the field %(field)s.") % {"field": f"{path}.articles"},
            field=f"{path}.articles",
        )
    return articles


def vote_context(vote: Mapping[str, Any], path: str) -> dict[str, Any]:
    """Counts, result sentence and named votes of one vote (shared with the procès-verbal)."""
    mode = req(vote, "mode", path)
    result = req(vote, "result", path)
    if mode not in VOTE_MODES or result not in VOTE_RESULTS:
        raise InvalidSnapshot(field=path)
    counted = mode in {"detail", "totals"}
    counts = {choice: count(vote, choice, path, required=counted) for choice in BALLOT_CHOICES}
    if result == "noted":
        sentence = _("The assembly takes note.")
    elif result == "rejected":
        sentence = _("Rejected.")
    elif counted and counts["against"] == 0 and counts["abstention"] == 0:
        sentence = _("Adopted unanimously.")
    elif counted and counts["against"] == 0:
        sentence = _("Adopted unanimously of the votes cast.")
    elif counted:
        sentence = _("Adopted by a majority of the votes cast.")
    else:
        sentence = _("Adopted.")
    ballots_data = opt(vote, "ballots", path, dict)
    named = []
    if ballots_data and mode == "detail" and not opt(vote, "secret", path, bool, False):
        labels = {
            "for": _("For"),
            "against": _("Against"),
            "abstention": _("Abstention"),
            "not_voting": _("Did not take part"),
        }
        for choice in BALLOT_CHOICES:
            names = str_list(ballots_data, choice, f"{path}.ballots")
            if names:
                named.append({"label": labels[choice], "names": names, "count": len(names)})
    return {
        "counted": counted,
        "noted": result == "noted",
        "result": result,
        "for": counts["for"],
        "against": counts["against"],
        "abstention": counts["abstention"],
        "not_voting": counts["not_voting"],
        "votes_cast": (counts["for"] or 0) + (counts["against"] or 0) if counted else None,
        "secret": opt(vote, "secret", path, bool, False),
        "casting_vote": opt(vote, "president_casting_vote", path, bool, False),
        "sentence": sentence,
        "named": named,
    }


def attendance_context(attendance: Mapping[str, Any], path: str) -> dict[str, Any]:
    """Members in office, present, represented, voting, quorum and names (act and PV)."""
    represented = []
    for index, item in enumerate(opt(attendance, "represented_names", path, list, [])):
        here = f"{path}.represented_names[{index}]"
        represented.append(
            {"name": req(item, "name", here), "proxy_holder": req(item, "proxy_holder", here)}
        )
    quorum = opt(attendance, "quorum", path, dict, {})
    return {
        "members_in_office": count(attendance, "members_in_office", path),
        "present": count(attendance, "present", path),
        "represented": count(attendance, "represented", path),
        "absent": count(attendance, "absent", path, required=False),
        "voting": count(attendance, "voting", path),
        "quorum_required": count(quorum, "required", f"{path}.quorum", required=False),
        "quorum_reached": opt(quorum, "reached", f"{path}.quorum", bool, True),
        "quorum_waived": opt(quorum, "waived", f"{path}.quorum", bool, False),
        "present_names": str_list(attendance, "present_names", path),
        "represented_names": represented,
        "absent_names": str_list(attendance, "absent_names", path),
        "excused_names": str_list(attendance, "excused_names", path),
        "secretary": person(attendance, "secretary", path, required=False),
    }


def seance_context(seance: Mapping[str, Any], path: str) -> dict[str, Any]:
    assembly = req(seance, "assembly", path, dict)
    date = parse_datetime(req(seance, "date", path), f"{path}.date")
    convocation = opt(seance, "convocation_date", path)
    return {
        "assembly": req(assembly, "name", f"{path}.assembly"),
        "date": format_date(date),
        "datetime": format_datetime(date),
        "place": req(seance, "place", path),
        "convocation_date": format_date(parse_date(convocation, f"{path}.convocation_date"))
        if convocation
        else "",
        "president": person(seance, "president", path, required=False),
        "secretary": person(seance, "secretary", path, required=False),
        "public": opt(seance, "public", path, bool, True),
        "urgency": opt(seance, "urgency", path, bool, False),
    }


def signatures_context(items: list[Any], path: str) -> list[dict[str, Any]]:
    signatures = []
    for index, item in enumerate(items):
        here = f"{path}[{index}]"
        delegation = opt(item, "delegation", here, dict)
        signatures.append(
            {
                "field": req(item, "field", here),
                "role": req(item, "role", here),
                "name": req(item, "name", here),
                "quality": opt(item, "quality", here, str, ""),
                "delegator": req(delegation, "delegator", f"{here}.delegation")
                if delegation
                else "",
            }
        )
    return signatures


def _annexes(
    act: Mapping[str, Any], path: str, files: Mapping[str, bytes]
) -> tuple[list[dict[str, Any]], list[Any], list[BundledFile]]:
    listed, pages, bundled = [], [], []
    for index, annex in enumerate(opt(act, "annexes", path, list, [])):
        here = f"{path}.annexes[{index}]"
        title = req(annex, "title", here)
        mode = req(annex, "mode", here)
        if mode not in ANNEX_MODES:
            raise InvalidSnapshot(field=f"{here}.mode")
        data = file_bytes(annex, here, files)
        filename = opt(annex, "filename", here, str, f"annexe-{index + 1}.pdf")
        if mode == "appended":
            annex_pages = foreign_pages(open_pdf(data))
            pages.extend(annex_pages)
            listed.append({"title": title, "appended": True, "page_count": len(annex_pages)})
        else:
            open_pdf(data)  # an unreadable annex is refused in both modes
            bundled.append(BundledFile(filename=filename, description=title, content=data))
            listed.append({"title": title, "appended": False, "filename": filename})
    return listed, pages, bundled


def build_act(
    snapshot: Mapping[str, Any], files: Mapping[str, bytes], custom: Customisation
) -> Prepared:
    path = "snapshot.act"
    act = req(snapshot, "act", "snapshot", dict)
    act_type = req(act, "type", path)
    is_deliberation = act_type == "deliberation"
    # A draft (projet) is the text before its vote or signature: no number, vote, attendance,
    # signature or publication box is required, and the document says it is not an act.
    is_draft = opt(snapshot, "draft", "snapshot", bool, False)
    number = opt(act, "number", path, str, "") if is_draft else req(act, "number", path)
    objet = req(act, "objet", path)
    date_value = opt(act, "decision_date", path) if is_draft else req(act, "decision_date", path)
    decision_date = parse_date(date_value, f"{path}.decision_date") if date_value else None
    if is_draft:
        if is_deliberation:
            kind_label = _("Draft deliberation")
        elif act_type == "arrete":
            kind_label = _("Draft order")
        else:
            kind_label = _("Draft act")
    elif is_deliberation:
        kind_label = _("Deliberation no. %(number)s") % {"number": number}
    else:
        kind_label = _("Order no. %(number)s") % {"number": number}
    title = f"{kind_label} — {objet[:150]}"
    context = common_context(snapshot, files, custom, title=title)

    classification = opt(act, "classification", path, dict)
    budget = opt(act, "budget", path, dict)
    annexes, pages, bundled = _annexes(act, path, files)
    signatures = signatures_context(
        opt(snapshot, "signatures", "snapshot", list, [])
        if is_draft
        else req(snapshot, "signatures", "snapshot", list),
        "snapshot.signatures",
    )
    author = person(snapshot, "author", "snapshot", required=not is_draft)
    publication = opt(snapshot, "publication", "snapshot", dict, {})
    verification_url = (
        opt(snapshot, "verification_url", "snapshot", str, "")
        if is_draft
        else req(snapshot, "verification_url", "snapshot")
    )
    seance = opt(snapshot, "seance", "snapshot", dict) if is_draft else None
    attendance = opt(snapshot, "attendance", "snapshot", dict) if is_draft else None
    vote = opt(snapshot, "vote", "snapshot", dict) if is_draft else None
    if is_deliberation and not is_draft:
        seance = req(snapshot, "seance", "snapshot", dict)
        attendance = req(snapshot, "attendance", "snapshot", dict)
        vote = req(snapshot, "vote", "snapshot", dict)
    context.update(
        {
            "is_deliberation": is_deliberation,
            "is_draft": is_draft,
            "kind_label": kind_label,
            "act": {
                "type": act_type,
                "number": number,
                "objet": objet,
                "decision_date": format_date(decision_date) if decision_date else "",
                "nature_code": opt(act, "nature_code", path, str, ""),
                "classification": (
                    f"{req(classification, 'code', f'{path}.classification')} – "
                    f"{req(classification, 'label', f'{path}.classification')}"
                )
                if classification
                else "",
                "issuer": opt(act, "issuer", path, str, ""),
                "preamble": paragraphs(opt(act, "preamble", path, str, "")),
                "visas": str_list(act, "visas", path),
                "considerants": str_list(act, "considerants", path),
                "articles": _articles(act, path),
                "budget": {
                    "amount": format_amount(
                        req(budget, "amount", f"{path}.budget"), f"{path}.budget.amount"
                    ),
                    "line": opt(budget, "line", f"{path}.budget", str, ""),
                    "name": opt(budget, "name", f"{path}.budget", str, ""),
                    "year": opt(budget, "year", f"{path}.budget", int),
                }
                if budget
                else None,
                "appeal_court": opt(act, "appeal_court", path, str, ""),
                "annexes": annexes,
            },
            "seance": seance_context(seance, "snapshot.seance")
            if is_deliberation and seance
            else None,
            "attendance": attendance_context(attendance, "snapshot.attendance")
            if is_deliberation and attendance
            else None,
            "rapporteur": person(snapshot, "rapporteur", "snapshot", required=False),
            "vote": vote_context(vote, "snapshot.vote") if is_deliberation and vote else None,
            "signatures": signatures,
            "signed_at_place": opt(snapshot, "signed_at_place", "snapshot", str, "")
            or context["collectivite"]["city"],
            "author": author,
            "publication": {
                "portal_url": opt(publication, "portal_url", "snapshot.publication", str, ""),
                "seal_field": opt(publication, "seal_field", "snapshot.publication", str, ""),
            },
            "verification_url": verification_url,
            "qr_uri": qr_svg_data_uri(verification_url) if verification_url else "",
            "foreign_pages": foreign_page_classes(pages),
        }
    )
    return Prepared(
        context=context,
        family="act",
        title=title,
        header_text=kind_label,
        foreign_pages=pages,
        bundled=bundled,
    )
