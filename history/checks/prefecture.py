"""The prefecture's past acknowledgement of an act: its IDActe and its ARActe file."""

from __future__ import annotations

import hashlib

from django.utils.translation import gettext as _

from deliberations.enums import ActesNature
from deliberations.models import Collectivite

from .plan import ActPlan, Checker, FileFacts


def check_id_acte(act: ActPlan, collectivite: Collectivite, checker: Checker) -> None:
    from exports.actes.codes import parse_id_acte

    if not act.id_acte:
        return
    parsed = parse_id_acte(act.id_acte)
    if parsed is None:
        checker.problem(
            act.line,
            "id_acte",
            _("%(value)s is not an ACTES identifier (DDD-SIREN-YYYYMMDD-NUMBER-NA).")
            % {"value": act.id_acte},
            "id_acte_invalid",
        )
        return
    expected = {
        "siren": collectivite.siren,
        "number": act.number,
        "decision_date": act.decision_date,
        "nature": ActesNature(act.nature).abbreviation if act.nature else parsed.nature,
    }
    wrong = [name for name, value in expected.items() if value and getattr(parsed, name) != value]
    if wrong:
        checker.problem(
            act.line,
            "id_acte",
            _("The identifier %(value)s does not match the act (%(parts)s).")
            % {"value": act.id_acte, "parts": ", ".join(wrong)},
            "id_acte_mismatch",
        )
    if act.ar_date is None:
        checker.problem(
            act.line,
            "ar_date",
            _("An act with an IDActe was acknowledged: give the acknowledgement date."),
            "required",
        )


def check_ar_file(act: ActPlan, collectivite: Collectivite, checker: Checker) -> None:
    """The ARActe (1-2) file of the act, read by exports.actes.reader: it must be addressed to
    the collectivité and agree with the row; it fills the IDActe and date when left empty."""
    from exports.actes import reader
    from exports.actes.codes import MessageKind
    from exports.actes.exceptions import ActesError
    from exports.actes.services.returns import addressed_sirens

    if not act.ar_path:
        return
    content = checker.read(act.line, "ar_file", act.ar_path)
    if content is None:
        return
    try:
        package = reader.read_incoming(content=content, name=act.ar_path.rsplit("/", 1)[-1])
    except ActesError as exc:
        checker.problem(act.line, "ar_file", f"{act.ar_path}: {exc.message}", "ar_unreadable")
        return
    messages = [m for m in package.messages if m.kind is MessageKind.AR_ACTE]
    if len(package.messages) != 1 or not messages:
        checker.problem(
            act.line,
            "ar_file",
            _("%(path)s is not one acknowledgement of an act (ARActe, 1-2).")
            % {"path": act.ar_path},
            "ar_not_acknowledgement",
        )
        return
    message = messages[0]
    others = addressed_sirens(package) - {collectivite.siren}
    if others:
        checker.problem(
            act.line,
            "ar_file",
            _("This acknowledgement is addressed to the SIREN %(siren)s, not to this collectivité.")
            % {"siren": ", ".join(sorted(others))},
            "ar_other_siren",
        )
        return
    pairs = (
        ("number", message.act_number, act.number),
        ("decision_date", message.act_date, act.decision_date),
        ("id_acte", message.id_acte, act.id_acte),
        ("ar_date", getattr(message, "date_reception", None), act.ar_date),
    )
    for column, found, given in pairs:
        if found and given and found != given:
            checker.problem(
                act.line,
                column,
                _("The acknowledgement file says %(found)s, the manifest %(given)s.")
                % {"found": found, "given": given},
                "ar_mismatch",
            )
    act.id_acte = act.id_acte or (message.id_acte or "")
    act.ar_date = act.ar_date or getattr(message, "date_reception", None)
    act.ar_file = FileFacts(act.ar_path, hashlib.sha256(content).hexdigest(), len(content))
