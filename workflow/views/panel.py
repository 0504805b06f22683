"""The forms of the decision panel shown on the act page (deliberations.views.acts)."""

from __future__ import annotations

from typing import Any

from deliberations.models import Act

from ..forms import (
    AnswerForm,
    ApproveForm,
    OpinionForm,
    RecallForm,
    RejectForm,
    SkipForm,
    StartCircuitForm,
)
from ..selectors import Panel


def circuit_forms(act: Act, user: Any, panel: Panel) -> dict[str, Any]:
    """Blank forms for the actions the panel offers (only those the user may take)."""
    forms: dict[str, Any] = {}
    if panel.may_start and panel.startable:
        forms["start"] = StartCircuitForm(circuits=panel.startable)
    if panel.can_decide:
        forms["approve"] = ApproveForm()
        forms["reject"] = RejectForm()
        forms["opinion"] = OpinionForm(collectivite=act.collectivite, user=user)
    if panel.opinion_to_answer:
        forms["answer"] = AnswerForm()
    if panel.can_skip:
        forms["skip"] = SkipForm()
    if panel.can_recall:
        forms["recall"] = RecallForm()
    return forms
