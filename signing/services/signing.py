"""Signing acts in their circuits, and the séance documents their signers sign directly.

:func:`sign_step` is the only way a signature or seal step is approved (docs/adr/0003, "Contract
with the signing service"; docs/adr/0007). It runs in three phases:

1. **checks, nothing written**: the step is a signature/seal step waiting for a decision, the
   actor may decide it (assignee, desk member or delegate in dates and scope:
   ``workflow.eligibility``), the act's document is rendered, is the one that entered the circuit
   (SHA-256 of the rendered file, then of each signed version) and is not outdated, the key opens
   (wrong password), the certificate may sign now (expired, not yet valid, revoked, untrusted,
   wrong key usage: checked by ``signing.pades.sign_pdf`` before it signs);
2. **sign and validate, nothing written**: the pre-created field is filled (PAdES at the step's
   level), then the whole PDF is validated (pyHanko with diff analysis and AdES indication); a
   TSA or revocation service that does not answer, or a failed validation, stops here;
3. **store, one transaction**: the approval of the step (``workflow.services.approve_step`` with
   the :class:`SignatureProof`, which locks the run first), the document frozen at its first
   signature (``exports.services.freeze_document``), the new version, its report and the journal
   event. The signed file is deleted if the transaction does not commit.

Journal events: ``act.signed`` (personal signature on an act), ``act.sealed`` (server seal),
``document.signed`` (a séance document), on the chain of the act or séance, next to
``act.circuit.approved``/``completed`` and ``document.frozen``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from deliberations.enums import SeanceStatus
from deliberations.models import Act, User
from deliberations.permissions import require_role
from exports.enums import DocumentKind
from exports.models import RenderedDocument
from workflow.eligibility import Capacity, find_capacity, load_entries
from workflow.enums import DecisionAction, RunStatus, StepKind, StepMode, StepStatus
from workflow.models import Decision, OpinionRequest, StepRun

from ..enums import SignatureKind
from ..exceptions import (
    DocumentChanged,
    DocumentOutdated,
    NotAllowedToSign,
    SignatureFieldError,
    SigningNotConfigured,
    SigningObjectNotFound,
    StepNotSignable,
)
from ..models import Signature as SignedVersion
from ..models import UserCertificate
from ..pades import StampText
from ..selectors import (
    act_document,
    level_for,
    person_name,
    policy_for_step,
    seance_signer,
    signing_settings_for,
    trust_settings_for,
)
from .versions import (
    KeySource,
    certificate_fields,
    chain_of,
    require_tsa,
    sign_and_validate,
    store_version,
)

if TYPE_CHECKING:
    pass

log = logging.getLogger("delibre.signing")

#: The field the publication seal fills when the act is put online (docs/adr/0002).
PUBLICATION_FIELD = "Sig_Publication"
#: Séance documents signed directly by the séance's president and secretary (no circuit).
SEANCE_SIGNED_KINDS = (DocumentKind.MINUTES, DocumentKind.DELIBERATION_LIST)
_ARTICLES = ("Le ", "La ", "Les ", "L'", "L’")


# --- Fields -------------------------------------------------------------------------------------


def field_for_step(step: StepRun, entry_pk: int | None, document: RenderedDocument) -> str:
    """The pre-created field a step fills (docs/adr/0007, "Which field a step fills").

    1. the field named by the step's signing policy;
    2. the field named after the step, ``Sig_Etape<position>`` (``_<n>`` per assignee of an "all"
       step): the documents of acts that are not voted;
    3. otherwise the document's circuit fields in order, matched to the run's signature and
       seal steps in order (deliberations: ``Sig_President`` then ``Sig_Secretaire``); the
       counts must be equal, or the mapping is refused rather than guessed.
    """
    names = [str(f.get("name", "")) for f in document.signature_fields]
    policy = policy_for_step(step)
    if policy is not None and policy.field_name:
        if policy.field_name not in names:
            raise SigningNotConfigured(
                _(
                    "The field “%(name)s” set for this step does not exist in the document: "
                    "correct the step's signing policy."
                )
                % {"name": policy.field_name}
            )
        return policy.field_name
    circuit_fields = [n for n in names if n and n != PUBLICATION_FIELD]
    steps = (
        StepRun.objects.filter(run_id=step.run_id, kind__in=[StepKind.SIGNATURE, StepKind.SEAL])
        .order_by("position")
        .prefetch_related("assignees")
    )
    slots: list[tuple[int, int | None, str]] = []
    for run_step in steps:
        entries = sorted(run_step.assignees.all(), key=lambda e: e.pk)
        if run_step.mode == StepMode.ALL and len(entries) > 1:
            slots += [
                (run_step.pk, entry.pk, f"Sig_Etape{run_step.position}_{index}")
                for index, entry in enumerate(entries, start=1)
            ]
        else:
            slots.append((run_step.pk, None, f"Sig_Etape{run_step.position}"))
    mine = next(
        (slot for slot in slots if slot[0] == step.pk and slot[1] in (None, entry_pk)), None
    )
    if mine is None:
        raise StepNotSignable(_("This step is not a signature step of its circuit."))
    if mine[2] in circuit_fields:
        return mine[2]
    if len(slots) != len(circuit_fields):
        raise SigningNotConfigured(
            _(
                "The document has %(fields)d signature fields but its circuit has %(signatures)d "
                "signatures: an administrator must name the field of each signature step in the "
                "signing settings."
            )
            % {"fields": len(circuit_fields), "signatures": len(slots)}
        )
    return circuit_fields[slots.index(mine)]


def _require_unsigned(document: RenderedDocument, field_name: str) -> None:
    if SignedVersion.objects.filter(document=document, field_name=field_name).exists():
        raise SignatureFieldError(
            _("The signature field “%(name)s” is already signed.") % {"name": field_name},
            code="field_already_signed",
            field="field_name",
        )


# --- Stamps -------------------------------------------------------------------------------------


def stamp_quality(text: str) -> str:
    """ "Le secrétaire de séance" → "Secrétaire de séance" (the stamp reads "Name, Quality")."""
    text = " ".join((text or "").split())
    for article in _ARTICLES:
        if text.startswith(article) and len(text) > len(article):
            text = text[len(article) :]
            break
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class StampFacts:
    stamp: StampText
    signer_name: str
    quality: str
    mention: str = ""


def _mandate_quality(user: User, collectivite_id: int) -> str:
    from deliberations.models import Mandate

    mandate = (
        Mandate.objects.in_office(timezone.localdate())
        .filter(official__user=user, official__collectivite_id=collectivite_id)
        .order_by("rank", "pk")
        .first()
    )
    return mandate.printed_quality if mandate is not None else ""


def _stamp_for_step(
    step: StepRun, act: Act, actor: User, capacity: Capacity, *, seal: bool
) -> StampFacts:
    from workflow.selectors import delegation_mention

    now = timezone.now()
    if seal:
        quality = stamp_quality(step.signer_quality) or "Cachet serveur"
        name = act.collectivite.name
        return StampFacts(
            StampText(signer_name=name, quality=quality, signed_at=now), name, quality
        )
    if capacity.delegation is not None:
        mention = delegation_mention(capacity.delegation)
        head, separator, tail = mention.partition(" et par délégation, ")
        name, _comma, quality = tail.partition(", ")
        if separator and head.startswith("Pour "):
            stamp = StampText(signer_name=tail, on_behalf_of=head[len("Pour ") :], signed_at=now)
            return StampFacts(stamp, name, quality, mention)
        log.warning("unexpected delegation mention %r: stamped as is", mention)
        return StampFacts(StampText(signer_name=mention, signed_at=now), name, quality, mention)
    name = person_name(actor, act.collectivite_id)
    quality = stamp_quality(step.signer_quality) or _mandate_quality(actor, act.collectivite_id)
    return StampFacts(StampText(signer_name=name, quality=quality, signed_at=now), name, quality)


# --- Circuits -----------------------------------------------------------------------------------


def sign_step(
    *,
    step_run: StepRun,
    actor: User,
    certificate: UserCertificate | None = None,
    password: str | None = None,
    use_seal: bool = False,
    on_behalf_of: User | None = None,
    comment: str = "",
) -> SignedVersion:
    """Sign (or seal) the act of a circuit step and approve the step; return the new version.

    ``certificate`` and ``password`` for a signature step (the password is used to open the key
    and forgotten); ``use_seal`` for a seal step. ``on_behalf_of`` picks the delegator when the
    actor holds several delegations. Every refusal happens before anything is written (module
    docstring). Side effects: the signed file; the document frozen at the first signature; the
    step approved (next step activated, or the run completed and the act signed); journal
    events ``act.circuit.approved|completed``, ``document.frozen``, ``act.signed|act.sealed``;
    notifications after commit.
    """
    key = KeySource(certificate=certificate, password=password, use_seal=use_seal)
    return sign_step_with(
        step_run=step_run, actor=actor, key=key, on_behalf_of=on_behalf_of, comment=comment
    )


def sign_step_with(
    *,
    step_run: StepRun,
    actor: User,
    key: KeySource,
    on_behalf_of: User | None = None,
    comment: str = "",
) -> SignedVersion:
    """:func:`sign_step` with a key source that may be open already (batches open it once)."""
    step = (
        StepRun.objects.select_related(
            "run__act__collectivite", "run__act__matiere", "run__circuit"
        )
        .filter(pk=step_run.pk)
        .first()
    )
    if step is None:
        raise SigningObjectNotFound(_("This step does not exist."))
    run, act = step.run, step.run.act
    if act is None:
        raise StepNotSignable(
            _("This step belongs to a treasury flow: its bordereaux are signed from its page.")
        )
    if not StepKind(step.kind).signs:
        raise StepNotSignable(_("This step is a visa: it is approved, not signed."))
    if run.status != RunStatus.ACTIVE or step.status != StepStatus.ACTIVE:
        raise StepNotSignable(
            _("This step is not waiting for a signature: reload the folder to see where it is.")
        )
    if OpinionRequest.objects.filter(step_run=step, answered_at__isnull=True).exists():
        raise StepNotSignable(
            _("An opinion was asked on this step: wait for the answer before signing.")
        )
    capacity = find_capacity(
        load_entries(step.pk), act, actor, on_behalf_of=on_behalf_of, unsatisfied_only=True
    )
    seal = step.kind == StepKind.SEAL
    key.check(actor, seal_step=seal)
    document = act_document(act)
    if (
        document is not None
        and SignedVersion.objects.filter(act=act, document__kind=DocumentKind.ACT)
        .exclude(document=document)
        .exists()
    ):
        raise DocumentChanged()
    chain = chain_of(document)
    entry_pk = capacity.entry.pk
    field_name = field_for_step(step, entry_pk, chain.document)
    _require_unsigned(chain.document, field_name)
    options = signing_settings_for(act.collectivite_id)
    level = level_for(options, policy_for_step(step))
    require_tsa(options, level)
    trust = trust_settings_for(act.collectivite_id, options=options)
    signer = key.open(options)
    facts = _stamp_for_step(step, act, actor, capacity, seal=seal)
    signed, report = sign_and_validate(
        chain.content,
        signer=signer,
        field_name=field_name,
        level=level,
        stamp=facts.stamp,
        trust=trust,
        tsa_url=options.tsa_url,
    )
    delegator = capacity.delegation.delegator if capacity.delegation is not None else None

    def approve(output_sha256: str, report_sha256: str) -> Decision | None:
        from workflow.services.runs import SignatureProof, approve_step

        approve_step(
            step_run=step,
            actor=actor,
            comment=comment,
            on_behalf_of=delegator or on_behalf_of,
            signature=SignatureProof(
                document_sha256=output_sha256,
                level=level.value,
                validation_report=f"sha256:{report_sha256}",
            ),
        )
        return (
            Decision.objects.filter(step_run=step, actor=actor, action=DecisionAction.APPROVE)
            .order_by("-created_at", "-pk")
            .first()
        )

    return store_version(
        chain=chain,
        signed=signed,
        report=report,
        actor=actor,
        event="act.sealed" if seal else "act.signed",
        event_data={
            "step": step.position,
            "step_label": step.label,
            "run": run.pk,
            "mention": facts.mention,
        },
        approve=approve,
        on_behalf_of=delegator,
        step_run=step,
        kind=key.kind,
        signer=actor,
        certificate=key.certificate if not seal else None,
        field_name=field_name,
        level=level.value,
        signer_name=facts.signer_name[:300],
        quality=facts.quality[:300],
        mention=facts.mention[:500],
        signed_at=facts.stamp.signed_at or timezone.now(),
        **certificate_fields(signer),
    )


# --- Séance documents ---------------------------------------------------------------------------


def sign_document(
    *,
    document: RenderedDocument,
    actor: User,
    certificate: UserCertificate | None = None,
    password: str | None = None,
    field_name: str = "",
) -> SignedVersion:
    """Sign the procès-verbal (or the list of deliberations) of a closed séance.

    No circuit: its fields are signed by the séance's president (``Sig_President``) and
    secretary (``Sig_Secretaire``), each with their own certificate, in any order. Same checks
    as :func:`sign_step`. Side effects: the signed file; the document frozen at its first
    signature; ``document.frozen``, ``document.signed`` on the séance's chain.
    """
    key = KeySource(certificate=certificate, password=password)
    current = (
        RenderedDocument.objects.select_related(
            "collectivite",
            "seance__president__official__user",
            "seance__secretary__official__user",
        )
        .filter(pk=document.pk)
        .first()
    )
    if current is None or current.seance_id is None or current.kind not in SEANCE_SIGNED_KINDS:
        raise StepNotSignable(
            _(
                "Only the procès-verbal and the list of deliberations of a séance are signed "
                "here; acts are signed in their circuit."
            )
        )
    require_role(actor, current.collectivite)
    seance = current.seance
    assert seance is not None
    if seance.status != SeanceStatus.CLOSED:
        raise StepNotSignable(_("The procès-verbal is signed once the séance is closed."))
    if not current.is_current:
        raise DocumentOutdated(
            _("A newer version of this document exists: sign the current version.")
        )
    names = [str(f.get("name", "")) for f in current.signature_fields]
    mine = [n for n in names if getattr(seance_signer(seance, n), "pk", None) == actor.pk]
    if not mine:
        raise NotAllowedToSign(
            _("Only the president and the secretary of the séance sign its procès-verbal.")
        )
    done = set(
        SignedVersion.objects.filter(document=current, field_name__in=mine).values_list(
            "field_name", flat=True
        )
    )
    if field_name:
        if field_name not in mine:
            raise NotAllowedToSign(_("This signature field is not yours to sign."))
        chosen = field_name
    else:
        todo = [n for n in mine if n not in done]
        if not todo:
            raise SignatureFieldError(
                _("You have already signed this document."), code="field_already_signed"
            )
        chosen = todo[0]
    _require_unsigned(current, chosen)
    key.check(actor, seal_step=False)
    chain = chain_of(current)
    options = signing_settings_for(current.collectivite_id)
    level = level_for(options)
    require_tsa(options, level)
    trust = trust_settings_for(current.collectivite_id, options=options)
    signer = key.open(options)
    block: dict[str, Any] = next(
        (b for b in current.snapshot.get("signatures", []) if b.get("field") == chosen), {}
    )
    name = person_name(actor, current.collectivite_id)
    quality = stamp_quality(str(block.get("role", "")))
    stamp = StampText(signer_name=name, quality=quality, signed_at=timezone.now())
    signed, report = sign_and_validate(
        chain.content,
        signer=signer,
        field_name=chosen,
        level=level,
        stamp=stamp,
        trust=trust,
        tsa_url=options.tsa_url,
    )
    return store_version(
        chain=chain,
        signed=signed,
        report=report,
        actor=actor,
        event="document.signed",
        event_data={"seance": seance.pk},
        kind=SignatureKind.SIGNATURE,
        signer=actor,
        certificate=key.certificate,
        field_name=chosen,
        level=level.value,
        signer_name=name[:300],
        quality=quality[:300],
        signed_at=stamp.signed_at or timezone.now(),
        **certificate_fields(signer),
    )
