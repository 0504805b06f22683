"""Lifecycles of the aggregates: the only code that changes a ``status`` (STYLE.md §3).

Each flow wraps one instance; services lock the row, call one transition, then save with
``update_fields=["status", ...]`` and record the audit event. viewflow's ``permission=`` is not
used: who may act is checked by the services (DESIGN.md decision 1). An illegal move raises
:class:`~workflow.exceptions.TransitionRefused` with a translated message and changes nothing.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from viewflow import fsm
from viewflow.fsm.base import TransitionDescriptor

from deliberations.enums import ActStatus, ActType, AgendaItemStatus, SeanceStatus

from .enums import BordereauStatus, PesFlowStatus, TransmissionStatus
from .exceptions import TransitionRefused

S = ActStatus


def _is_voted(flow: ActFlow) -> fsm.State.CONDITION:
    return fsm.State.CONDITION(
        ActType(flow.obj.act_type).is_voted, _("Only deliberations are voted in séance.")
    )


def _is_not_voted(flow: ActFlow) -> fsm.State.CONDITION:
    return fsm.State.CONDITION(
        not ActType(flow.obj.act_type).is_voted,
        _("A deliberation is signed after its vote in séance."),
    )


def _is_numbered(flow: ActFlow) -> fsm.State.CONDITION:
    return fsm.State.CONDITION(
        bool(flow.obj.number), _("The act must be numbered before it is signed.")
    )


def _has_decision_date(flow: ActFlow) -> fsm.State.CONDITION:
    return fsm.State.CONDITION(
        flow.obj.decision_date is not None,
        _("An imported act needs the date it was decided (vote or signature)."),
    )


class Lifecycle:
    """Common plumbing: state accessors and translation of viewflow's refusals."""

    status_enum: ClassVar[Any]
    subject: ClassVar[str]

    def __init__(self, obj: Any):
        self.obj = obj

    def run(self, transition: str, **kwargs: Any) -> Any:
        """Apply one transition by name; raise TransitionRefused if it is not allowed now."""
        method = getattr(self, transition)
        before = self.obj.status
        try:
            return method(**kwargs)
        except fsm.TransitionConditionsUnmet as exc:
            raise TransitionRefused(
                exc.unmet_message or _("This action is not possible now.")
            ) from exc
        except fsm.TransitionNotAllowed as exc:
            raise TransitionRefused(
                _("This action is not possible while the %(subject)s is “%(status)s”.")
                % {"subject": self.subject, "status": self.status_enum(before).label}
            ) from exc

    def can(self, transition: str) -> bool:
        return bool(getattr(self, transition).can_proceed())

    def available(self) -> list[str]:
        names = {
            name
            for klass in type(self).__mro__
            for name, attr in vars(klass).items()
            if isinstance(attr, TransitionDescriptor)
        }
        return sorted(name for name in names if self.can(name))


class ActFlow(Lifecycle):
    """Délibération: draft → in_circuit → validated → scheduled → adopted|rejected → signed →
    transmitted → acknowledged → published. Arrêté and other acts: draft → in_circuit → signed →
    transmitted → acknowledged → published. See docs/lifecycles.md."""

    status = fsm.State(ActStatus, default=ActStatus.DRAFT)
    status_enum = ActStatus
    subject = gettext_lazy("act")

    @status.setter()
    def _set_status(self, value: str) -> None:
        self.obj.status = value

    @status.getter()
    def _get_status(self) -> str:
        return self.obj.status

    @status.transition(
        source=[S.DRAFT, S.RETURNED], target=S.IN_CIRCUIT, label=gettext_lazy("Send to circuit")
    )
    def submit(self) -> None:
        """The drafter sends the project into its approval circuit."""

    @status.transition(
        source=S.IN_CIRCUIT, target=S.RETURNED, label=gettext_lazy("Return to the drafter")
    )
    def return_to_drafter(self) -> None:
        """A validator rejects: the drafter fixes and resubmits; the history stays."""

    @status.transition(source=S.IN_CIRCUIT, target=S.DRAFT, label=gettext_lazy("Recall"))
    def recall(self) -> None:
        """The emitter takes back a folder nobody has acted on yet (droit de remords)."""

    @status.transition(
        source=[S.DRAFT, S.RETURNED, S.IN_CIRCUIT],
        target=S.VALIDATED,
        label=gettext_lazy("Validate"),
    )
    def validate(self) -> None:
        """The circuit's visas are complete (or no circuit applies): ready for its séance."""

    @status.transition(
        source=[S.VALIDATED, S.POSTPONED],
        target=S.SCHEDULED,
        conditions=[_is_voted],
        label=gettext_lazy("Put on an agenda"),
    )
    def schedule(self) -> None:
        """The project is put on the agenda of a séance."""

    @status.transition(
        source=S.SCHEDULED, target=S.VALIDATED, label=gettext_lazy("Remove from the agenda")
    )
    def unschedule(self) -> None:
        """Taken off the agenda before the séance (or withdrawn from it during the séance)."""

    @status.transition(source=S.SCHEDULED, target=S.POSTPONED, label=gettext_lazy("Postpone"))
    def postpone(self) -> None:
        """Postponed to a later séance."""

    @status.transition(
        source=S.SCHEDULED, target=S.ADOPTED, conditions=[_is_voted], label=gettext_lazy("Adopt")
    )
    def adopt(self) -> None:
        """The assembly adopted it (or took note of it)."""

    @status.transition(
        source=S.SCHEDULED, target=S.REJECTED, conditions=[_is_voted], label=gettext_lazy("Reject")
    )
    def reject(self) -> None:
        """The assembly voted against it."""

    @status.transition(
        source=[S.ADOPTED, S.REJECTED], target=S.SCHEDULED, label=gettext_lazy("Cancel the vote")
    )
    def reopen_vote(self) -> None:
        """The vote is corrected during the open séance, before any signature."""

    @status.transition(
        source=S.ADOPTED,
        target=S.SIGNED,
        conditions=[_is_voted, _is_numbered],
        label=gettext_lazy("Sign"),
    )
    def sign_adopted(self) -> None:
        """The adopted deliberation has received every expected signature."""

    @status.transition(
        source=[S.IN_CIRCUIT, S.VALIDATED],
        target=S.SIGNED,
        conditions=[_is_not_voted, _is_numbered],
        label=gettext_lazy("Sign"),
    )
    def sign_decision(self) -> None:
        """An arrêté or decision has received its signatures at the end of its circuit."""

    @status.transition(
        source=S.DRAFT,
        target=S.SIGNED,
        conditions=[_is_numbered, _has_decision_date],
        label=gettext_lazy("Import as signed"),
    )
    def import_signed(self) -> None:
        """A past act taken over from the software the collectivité used before (history import,
        docs/adr/0009-history-import.md): created as a draft by ``history.services``, it was
        decided, signed and numbered outside Délibre, so it becomes signed at once with its own
        number and decision date (no circuit, no vote recorded here, no counter consumed). Its
        later steps are the ordinary ones: ``transmit``/``acknowledge`` when the prefecture
        acknowledged it, ``publish``. Only the history import calls it (journal ``act.imported``).
        """

    @status.transition(source=S.SIGNED, target=S.TRANSMITTED, label=gettext_lazy("Transmit"))
    def transmit(self) -> None:
        """Sent to the prefecture (contrôle de légalité)."""

    @status.transition(
        source=S.TRANSMITTED, target=S.ACKNOWLEDGED, label=gettext_lazy("Acknowledge")
    )
    def acknowledge(self) -> None:
        """The prefecture's acknowledgement (ARActe) arrived."""

    @status.transition(
        source=[S.SIGNED, S.TRANSMITTED, S.ACKNOWLEDGED],
        target=S.PUBLISHED,
        label=gettext_lazy("Publish"),
    )
    def publish(self) -> None:
        """Put online for citizens (records the date put online)."""

    @status.transition(
        source=[S.DRAFT, S.RETURNED, S.VALIDATED, S.POSTPONED],
        target=S.WITHDRAWN,
        label=gettext_lazy("Withdraw"),
    )
    def withdraw(self) -> None:
        """The project is abandoned."""

    @status.transition(
        source=[S.TRANSMITTED, S.ACKNOWLEDGED, S.PUBLISHED],
        target=S.CANCELLED,
        label=gettext_lazy("Cancel"),
    )
    def cancel(self) -> None:
        """The transmission is cancelled (annulation @ctes)."""


class SeanceFlow(Lifecycle):
    """Séance: planned → convened → open → closed."""

    status = fsm.State(SeanceStatus, default=SeanceStatus.PLANNED)
    status_enum = SeanceStatus
    subject = gettext_lazy("séance")

    @status.setter()
    def _set_status(self, value: str) -> None:
        self.obj.status = value

    @status.getter()
    def _get_status(self) -> str:
        return self.obj.status

    @status.transition(
        source=SeanceStatus.PLANNED, target=SeanceStatus.CONVENED, label=gettext_lazy("Convene")
    )
    def convene(self) -> None:
        """Convocations are sent to the members."""

    @status.transition(
        source=[SeanceStatus.PLANNED, SeanceStatus.CONVENED],
        target=SeanceStatus.OPEN,
        label=gettext_lazy("Open"),
    )
    def open(self) -> None:
        """The president opens the séance; attendance and votes can be recorded."""

    @status.transition(
        source=SeanceStatus.OPEN, target=SeanceStatus.CLOSED, label=gettext_lazy("Close")
    )
    def close(self) -> None:
        """Every item has been voted, postponed or withdrawn."""


class AgendaItemFlow(Lifecycle):
    """Agenda item (part of the séance aggregate): planned → voted | postponed | withdrawn;
    a vote cancelled during the open séance brings it back to planned."""

    status = fsm.State(AgendaItemStatus, default=AgendaItemStatus.PLANNED)
    status_enum = AgendaItemStatus
    subject = gettext_lazy("agenda item")

    @status.setter()
    def _set_status(self, value: str) -> None:
        self.obj.status = value

    @status.getter()
    def _get_status(self) -> str:
        return self.obj.status

    @status.transition(
        source=AgendaItemStatus.PLANNED, target=AgendaItemStatus.VOTED, label=gettext_lazy("Vote")
    )
    def vote(self) -> None:
        """The vote on the item is recorded."""

    @status.transition(
        source=AgendaItemStatus.VOTED,
        target=AgendaItemStatus.PLANNED,
        label=gettext_lazy("Cancel the vote"),
    )
    def cancel_vote(self) -> None:
        """A vote recorded by mistake is cancelled while the séance is open."""

    @status.transition(
        source=AgendaItemStatus.PLANNED,
        target=AgendaItemStatus.POSTPONED,
        label=gettext_lazy("Postpone"),
    )
    def postpone(self) -> None:
        """The item is postponed to a later séance."""

    @status.transition(
        source=AgendaItemStatus.PLANNED,
        target=AgendaItemStatus.WITHDRAWN,
        label=gettext_lazy("Withdraw"),
    )
    def withdraw(self) -> None:
        """The item is taken off the agenda of a convened séance."""


B = BordereauStatus


class BordereauFlow(Lifecycle):
    """Bordereau (PES): imported|built → in_circuit → signed → sent → acknowledged | rejected.

    Also: returned (rejected or recalled in its circuit; it can be sent into a circuit again or
    withdrawn), signed directly when it was imported already signed, withdrawn. The services of
    exports.pes and the PES circuits of workflow.services.runs call these; see
    docs/lifecycles.md."""

    status = fsm.State(BordereauStatus, default=BordereauStatus.IMPORTED)
    status_enum = BordereauStatus
    subject = gettext_lazy("bordereau")

    @status.setter()
    def _set_status(self, value: str) -> None:
        self.obj.status = value

    @status.getter()
    def _get_status(self) -> str:
        return self.obj.status

    @status.transition(
        source=[B.IMPORTED, B.BUILT, B.RETURNED],
        target=B.IN_CIRCUIT,
        label=gettext_lazy("Send to circuit"),
    )
    def submit(self) -> None:
        """The flow is sent into its signature circuit."""

    @status.transition(
        source=B.IN_CIRCUIT, target=B.RETURNED, label=gettext_lazy("Return to the finance service")
    )
    def return_to_finance(self) -> None:
        """Rejected in the circuit, or recalled by its sender before anyone acted."""

    @status.transition(source=B.IN_CIRCUIT, target=B.SIGNED, label=gettext_lazy("Sign"))
    def sign(self) -> None:
        """The ordonnateur (or a delegate) signed every bordereau of the flow."""

    @status.transition(
        source=B.IMPORTED, target=B.SIGNED, label=gettext_lazy("Accept a signed import")
    )
    def accept_signed(self) -> None:
        """The flow was imported already signed, and every signature verifies."""

    @status.transition(source=B.SIGNED, target=B.SENT, label=gettext_lazy("Send"))
    def send(self) -> None:
        """Delivered to the treasury (folder drop or S2LOW Hélios)."""

    @status.transition(source=B.SENT, target=B.ACKNOWLEDGED, label=gettext_lazy("Acknowledge"))
    def acknowledge(self) -> None:
        """A PES_ACQUIT says the treasury accepted the bordereau."""

    @status.transition(source=B.SENT, target=B.REJECTED, label=gettext_lazy("Reject"))
    def reject(self) -> None:
        """A PES_ACQUIT says the treasury rejected the bordereau."""

    @status.transition(
        source=[B.IMPORTED, B.BUILT, B.RETURNED],
        target=B.WITHDRAWN,
        label=gettext_lazy("Withdraw"),
    )
    def withdraw(self) -> None:
        """Abandoned before signature (a corrected flow will be imported or built again)."""


F = PesFlowStatus


class PesFlowFlow(Lifecycle):
    """The summary status of a PES flow, moved together with its bordereaux."""

    status = fsm.State(PesFlowStatus, default=PesFlowStatus.IMPORTED)
    status_enum = PesFlowStatus
    subject = gettext_lazy("PES flow")

    @status.setter()
    def _set_status(self, value: str) -> None:
        self.obj.status = value

    @status.getter()
    def _get_status(self) -> str:
        return self.obj.status

    @status.transition(
        source=[F.IMPORTED, F.BUILT, F.RETURNED],
        target=F.IN_CIRCUIT,
        label=gettext_lazy("Send to circuit"),
    )
    def submit(self) -> None:
        """Sent into its signature circuit."""

    @status.transition(
        source=F.IN_CIRCUIT, target=F.RETURNED, label=gettext_lazy("Return to the finance service")
    )
    def return_to_finance(self) -> None:
        """Rejected in the circuit, or recalled by its sender."""

    @status.transition(source=F.IN_CIRCUIT, target=F.SIGNED, label=gettext_lazy("Sign"))
    def sign(self) -> None:
        """Every bordereau is signed."""

    @status.transition(
        source=F.IMPORTED, target=F.SIGNED, label=gettext_lazy("Accept a signed import")
    )
    def accept_signed(self) -> None:
        """Imported already signed, every signature verified."""

    @status.transition(source=F.SIGNED, target=F.SENT, label=gettext_lazy("Send"))
    def send(self) -> None:
        """Delivered to the treasury."""

    @status.transition(source=F.SENT, target=F.ACKNOWLEDGED, label=gettext_lazy("Acknowledge"))
    def acknowledge(self) -> None:
        """The treasury accepted every bordereau."""

    @status.transition(
        source=F.SENT, target=F.PARTLY_ACCEPTED, label=gettext_lazy("Acknowledge in part")
    )
    def acknowledge_partly(self) -> None:
        """The treasury accepted some bordereaux and rejected others."""

    @status.transition(source=F.SENT, target=F.REJECTED, label=gettext_lazy("Reject"))
    def reject(self) -> None:
        """The treasury rejected every bordereau (or the whole file)."""

    @status.transition(
        source=[F.IMPORTED, F.BUILT, F.RETURNED],
        target=F.WITHDRAWN,
        label=gettext_lazy("Withdraw"),
    )
    def withdraw(self) -> None:
        """Abandoned before signature."""


T = TransmissionStatus


class TransmissionFlow(Lifecycle):
    """Sending a flow: queued → sending → sent | failed; a transient error puts it back in the
    queue (bounded attempts), a permanent one fails it (the flow can be sent again)."""

    status = fsm.State(TransmissionStatus, default=TransmissionStatus.QUEUED)
    status_enum = TransmissionStatus
    subject = gettext_lazy("transmission")

    @status.setter()
    def _set_status(self, value: str) -> None:
        self.obj.status = value

    @status.getter()
    def _get_status(self) -> str:
        return self.obj.status

    @status.transition(source=T.QUEUED, target=T.SENDING, label=gettext_lazy("Start sending"))
    def start(self) -> None:
        """A worker claims the transmission (only one can)."""

    @status.transition(source=T.SENDING, target=T.SENT, label=gettext_lazy("Sent"))
    def succeed(self) -> None:
        """The folder or S2LOW took the file."""

    @status.transition(source=T.SENDING, target=T.QUEUED, label=gettext_lazy("Try again later"))
    def postpone(self) -> None:
        """A transient error (network, platform down): another attempt will be made."""

    @status.transition(source=[T.QUEUED, T.SENDING], target=T.FAILED, label=gettext_lazy("Fail"))
    def fail(self) -> None:
        """A permanent error, or too many attempts."""
