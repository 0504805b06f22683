"""Signing a flow in its circuit: one action signs every bordereau (DESIGN.md decision 7).

The ordonnateur, or a delegate whose delegation covers treasury flows, signs with a PKCS#12
(uploaded with its password at signing time; neither is kept) or with the PKCS#11 token
configured on the server. The signed file is written next to the original, checked as it will
be sent (DGFiP XSD, Hélios rules with InfoDematerialisee = 1, every signature verified), stored,
and the signature step is approved with the proof, all in one transaction: a step is never
marked signed without its file, nor the reverse.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.files import removed_on_error
from deliberations.models import User
from workflow import services as workflow
from workflow.eligibility import find_capacity, load_entries
from workflow.enums import RunStatus, StepStatus
from workflow.journal import record_event
from workflow.models import CircuitRun

from ..exceptions import PesInvalidFile, PesSignatureError, PesStateRefused
from ..models import PesFlow
from ..reader import read_pes_aller
from ..signers import PesSigner, check_certificate_usable
from ..verify import verify_flow
from ..xades import ProductionPlace, sign_flow_file
from ._common import file_digest, store_file, stored_copy, temporary_path
from .importing import record_signatures

#: What the decision records as the signature "level" of a PES flow.
PES_SIGNATURE_LEVEL = "XAdES-EPES (Hélios)"
DEFAULT_ROLE = "Ordonnateur"
DELEGATE_ROLE = "Ordonnateur délégué"


def active_run_id(flow: PesFlow) -> int:
    run_id = (
        CircuitRun.objects.filter(flow=flow, status=RunStatus.ACTIVE)
        .values_list("pk", flat=True)
        .first()
    )
    if run_id is None:
        raise PesStateRefused(_("This flow is not waiting in a circuit: there is nothing to sign."))
    return run_id


def claimed_role_for(step: Any, delegation: Any) -> str:
    """The role the signature claims: the step's quality (e.g. "Ordonnateur"), or for a
    delegate the quality of the delegation (e.g. "Adjointe déléguée aux finances")."""
    if delegation is not None:
        return (delegation.quality or DELEGATE_ROLE)[:200]
    return (step.signer_quality or DEFAULT_ROLE)[:200]


def sign_flow(
    *,
    flow: PesFlow,
    actor: User,
    signer: PesSigner,
    on_behalf_of: User | None = None,
    comment: str = "",
    now: dt.datetime | None = None,
) -> PesFlow:
    """Sign every unsigned bordereau of a flow waiting at its signature step, and approve it.

    ``signer`` is the key (exports.pes.signers: a PKCS#12 opened with the password typed now,
    or the PKCS#11 token). The actor must be an assignee of the step or a delegate whose
    delegation covers treasury flows; the signature claims the step's quality, or the
    delegation's. Refusals change nothing and write nothing: an expired (or not yet valid, or
    non-signing) certificate is refused before the flow is even read.
    Raises PesCertificateRefused, PesStateRefused, workflow NotAuthorised / AlreadyDecided,
    PesSignatureError. Side effects: the signed file in storage (the original is kept); the
    flow's current file and its bordereaux' signature details; the step approved with the
    signature proof, which completes the circuit (bordereaux signed); journal events
    ``pes.flow.signed`` and ``pes.circuit.completed`` on the flow's chain.
    """
    when = now or timezone.now()
    check_certificate_usable(signer.certificate, at=when)
    run_id = active_run_id(flow)
    with transaction.atomic(), removed_on_error() as stored:
        run, steps = workflow.lock_run(run_id)
        current: PesFlow = run.flow
        step = next((s for s in steps if s.status == StepStatus.ACTIVE), None)
        if run.status != RunStatus.ACTIVE or step is None:
            raise PesStateRefused(_("This flow is not waiting for a signature any more."))
        if not step.is_signature:
            raise PesStateRefused(
                _("The flow is waiting for a visa (“%(step)s”), not for a signature.")
                % {"step": step.label}
            )
        if step.opinion_pending:
            raise PesStateRefused(
                _("An opinion was asked on this step: wait for the answer before signing.")
            )
        capacity = find_capacity(
            load_entries(step.pk), current, actor, on_behalf_of=on_behalf_of, unsatisfied_only=True
        )
        role = claimed_role_for(step, capacity.delegation)
        collectivite = current.collectivite
        place = ProductionPlace(
            city=collectivite.city or None,
            postal_code=collectivite.postal_code or None,
            country="France",
        )
        with stored_copy(current.current_file.name) as source, temporary_path() as signed:
            outcome = sign_flow_file(
                source, signed, signer=signer, claimed_role=role, place=place, signing_time=when
            )
            try:
                read_pes_aller(signed, keep_pieces=False, for_sending=True)
            except PesInvalidFile as exc:
                raise PesSignatureError(
                    _("The signed flow does not pass the checks: %(issues)s")
                    % {"issues": "; ".join(str(i) for i in exc.issues if i.is_error)}
                ) from exc
            verification = verify_flow(signed)
            if not verification.valid:
                raise PesSignatureError(
                    _("A signature just made does not verify; nothing was signed.")
                )
            sha256, size = file_digest(signed)
            name = store_file(f"pes/{collectivite.pk}", signed)
            stored.append(name)
        before = current.current_sha256
        current.current_file.name = name
        current.current_sha256 = sha256
        current.size = size
        current.dematerialised = True
        current.save(
            update_fields=["current_file", "current_sha256", "size", "dematerialised", "updated_at"]
        )
        rows = list(current.bordereaux.order_by("position"))
        record_signatures(rows, verification)
        certificate = signer.certificate
        delegator = capacity.delegation.delegator if capacity.delegation is not None else None
        record_event(
            current,
            "pes.flow.signed",
            actor=actor,
            on_behalf_of=delegator,
            data={
                "flow": current.pk,
                "step": step.position,
                "signed": [s.element_id for s in outcome.signed],
                "already_signed": outcome.already_signed,
                "signer": certificate.subject.rfc4514_string(),
                "certificate_serial": str(certificate.serial_number),
                "certificate_issuer": certificate.issuer.rfc4514_string(),
                "claimed_role": role,
                "signing_time": outcome.signing_time,
                "sha256_before": before,
                "sha256": sha256,
            },
        )
        workflow.approve_step(
            step_run=step,
            actor=actor,
            comment=comment,
            on_behalf_of=on_behalf_of,
            signature=workflow.SignatureProof(
                document_sha256=sha256,
                level=PES_SIGNATURE_LEVEL,
                validation_report=f"pes:{current.pk}:{sha256}",
            ),
        )
    current.refresh_from_db()
    return current
