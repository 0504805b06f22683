"""PES flows in approval circuits: configuration, inbox, delegation, signature of every
bordereau in one action, refusals that change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from exports.pes import read_pes_aller, validate_xsd, verify_flow
from exports.pes import services as pes
from exports.pes.exceptions import PesCertificateRefused, PesSignatureError, PesStateRefused
from exports.pes.keys import signer_from_upload
from exports.pes.models import Bordereau, PesFlow
from tests.factories.workflow import DelegationFactory, make_circuit, signature, visa
from workflow import services as workflow
from workflow.enums import CircuitPhase, DelegationScope, StepKind
from workflow.exceptions import InvalidWorkflowInput, NotAuthorised
from workflow.models import AuditEvent, CircuitRun, Decision, StepRun
from workflow.selectors import inbox_for

from .conftest import xmlsec1_verify
from .fixtures import P12_PASSWORD, start, steps_of


def _state(flow: PesFlow, settings) -> tuple:
    flow.refresh_from_db()
    media = sorted(p.name for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())
    return (
        flow.status,
        flow.current_sha256,
        sorted(flow.bordereaux.values_list("status", "signed")),
        Decision.objects.count(),
        AuditEvent.objects.count(),
        media,
    )


def _content(flow: PesFlow) -> bytes:
    with default_storage.open(flow.current_file.name, "rb") as handle:
        return handle.read()


def _signer(data, password=P12_PASSWORD):
    return signer_from_upload(data=data, password=password)


# --- configuration -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (
            lambda desk, ordo: [visa("Visa", desk)],
            "A PES circuit ends with the signature of the ordonnateur: add that step.",
        ),
        (
            lambda desk, ordo: [
                visa("Visa", desk),
                workflow.StepSpec(kind=StepKind.SEAL, label="Cachet", users=[ordo]),
            ],
            "Step 2: bordereaux are signed by the ordonnateur or a delegate, in person; a "
            "server seal is not a signature the treasury accepts.",
        ),
        (
            lambda desk, ordo: [signature("Ordo", ordo), signature("Ordo encore", ordo)],
            "Step 2: a PES circuit has one signature step, decided by any one of its assignees "
            "(each bordereau carries one signature).",
        ),
        (
            lambda desk, ordo: [signature("Ordo", ordo), visa("Visa après", desk)],
            "Step 2: visas come before the signatures (nothing is added to a document once it "
            "is signed).",
        ),
    ],
)
def test_pes_circuits_are_visas_then_one_signature(
    commune, pes_admin, finance_desk, ordonnateur, steps, message
):
    with pytest.raises(InvalidWorkflowInput) as caught:
        make_circuit(commune, pes_admin, *steps(finance_desk, ordonnateur), phase=CircuitPhase.PES)

    assert str(caught.value) == message


def test_a_pes_circuit_has_no_act_type(commune, pes_admin, ordonnateur):
    with pytest.raises(InvalidWorkflowInput) as caught:
        make_circuit(
            commune,
            pes_admin,
            signature("Ordo", ordonnateur),
            phase=CircuitPhase.PES,
            act_types=["deliberation"],
        )

    assert str(caught.value) == (
        "A PES circuit applies to treasury flows, not to acts: choose no act type."
    )


# --- running --------------------------------------------------------------------------------------


def test_starting_a_circuit_puts_every_bordereau_in_circuit(imported_flow, finance, pes_circuit):
    run = start(imported_flow, finance)

    imported_flow.refresh_from_db()
    assert (run.flow_id, run.act_id, run.phase, imported_flow.status) == (
        imported_flow.pk,
        None,
        "pes",
        "in_circuit",
    )
    assert set(imported_flow.bordereaux.values_list("status", flat=True)) == {"in_circuit"}
    assert list(
        AuditEvent.objects.filter(chain__key=f"pesflow:{imported_flow.pk}").values_list(
            "action", flat=True
        )
    ) == ["pes.flow.imported", "pes.circuit.started"]
    with pytest.raises(Exception) as again:
        start(imported_flow, finance)
    assert str(again.value) == (
        "A PES flow goes into a circuit once imported or built, or after it came back from "
        "one; this flow is “In signature circuit”."
    )


def test_the_inbox_shows_the_flow_to_the_desk_then_to_the_ordonnateur(
    imported_flow, finance, chef, ordonnateur, pes_circuit, django_assert_max_num_queries
):
    run = start(imported_flow, finance)
    items = inbox_for(chef)
    assert [(i.act, i.flow, i.step.label) for i in items] == [
        (None, imported_flow, "Visa du service des finances")
    ]
    assert inbox_for(ordonnateur) == []

    workflow.approve_step(step_run=steps_of(run)[0], actor=chef, comment="Vu.")

    with django_assert_max_num_queries(3):
        items = inbox_for(ordonnateur)
    assert [(i.flow, i.step.label, i.on_behalf_of) for i in items] == [
        (imported_flow, "Signature de l'ordonnateur", None)
    ]
    assert inbox_for(chef) == []


def test_the_signature_step_is_not_approved_without_signing(at_signature, ordonnateur, settings):
    step = StepRun.objects.get(run__flow=at_signature, position=2)
    before = _state(at_signature, settings)

    with pytest.raises(InvalidWorkflowInput) as caught:
        workflow.approve_step(step_run=step, actor=ordonnateur)

    assert str(caught.value) == (
        "The bordereaux of a PES flow are signed from the flow's page, with your certificate: "
        "approving the step alone does not sign them."
    )
    assert _state(at_signature, settings) == before


def test_signing_signs_every_bordereau_in_one_action(
    at_signature, ordonnateur, signer_p12, pki, tmp_path
):
    flow = pes.sign_flow(
        flow=at_signature,
        actor=ordonnateur,
        signer=_signer(signer_p12),
        comment="Bon pour paiement",
    )

    assert (flow.status, flow.dematerialised, flow.signed_at is not None) == ("signed", True, True)
    assert [
        (b.status, b.signed, b.signer_name, b.claimed_role, b.signature_policy)
        for b in flow.bordereaux.order_by("position")
    ] == [
        (
            "signed",
            True,
            "Jeanne Ordonnatrice",
            "Ordonnateur",
            "urn:oid:1.2.250.1.131.1.5.18.21.1.7",
        )
    ] * 3
    content = _content(flow)
    assert content.startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>')
    assert (validate_xsd(content, version="5.17"), validate_xsd(content, version="5.30")) == (
        [],
        [],
    )
    assert read_pes_aller(content, for_sending=True).warnings == []
    assert content.count(b'<InfoDematerialisee V="1"/>') == 2
    verification = verify_flow(content, trust_roots=[pki.root])
    assert [(b.valid, b.chain_valid) for b in verification.bordereaux] == [(True, True)] * 3
    path = tmp_path / "signed.xml"
    path.write_bytes(content)
    for index in (1, 2, 3):
        completed = xmlsec1_verify(path, index, trusted_pem=pki.root_pem)
        assert completed.returncode == 0, completed.stderr
    run = CircuitRun.objects.get(flow=flow)
    decision = Decision.objects.get(step_run__run=run, step_run__position=2)
    assert (run.status, decision.signature["level"], decision.comment) == (
        "completed",
        "XAdES-EPES (Hélios)",
        "Bon pour paiement",
    )
    assert decision.signature["document_sha256"] == flow.current_sha256
    assert list(
        AuditEvent.objects.filter(chain__key=f"pesflow:{flow.pk}").values_list("action", flat=True)
    ) == [
        "pes.flow.imported",
        "pes.circuit.started",
        "pes.circuit.approved",
        "pes.flow.signed",
        "pes.circuit.completed",
    ]
    with default_storage.open(flow.original_file.name, "rb") as handle:
        assert b"Signature" not in handle.read()


def test_tampering_with_one_amount_breaks_exactly_that_bordereau(signed_flow, pki, tmp_path):
    content = _content(signed_flow)
    tampered = content.replace(b'<MtHT V="450.00"/>', b'<MtHT V="451.00"/>', 1)
    assert tampered != content

    verification = verify_flow(tampered)

    assert [(b.id_bord, b.valid) for b in verification.bordereaux] == [
        ("10", True),
        ("11", True),
        ("5", False),
    ]
    path = tmp_path / "tampered.xml"
    path.write_bytes(tampered)
    assert [
        xmlsec1_verify(path, index, trusted_pem=pki.root_pem).returncode for index in (1, 2, 3)
    ] == [0, 0, 1]


def test_an_expired_certificate_is_refused_before_anything_is_written(
    at_signature, ordonnateur, expired_p12, settings
):
    before = _state(at_signature, settings)

    with pytest.raises(PesCertificateRefused) as caught:
        pes.sign_flow(flow=at_signature, actor=ordonnateur, signer=_signer(expired_p12))

    assert str(caught.value).startswith("The certificate of ")
    assert "Paul Ancien" in str(caught.value) and "expired on" in str(caught.value)
    assert _state(at_signature, settings) == before


def test_a_wrong_password_is_refused(signer_p12):
    with pytest.raises(PesSignatureError) as caught:
        _signer(signer_p12, password="wrong")

    assert str(caught.value) == (
        "This certificate file cannot be opened (wrong password or not a PKCS#12): type the password again, or choose the .p12 or .pfx file of your certificate."
    )


def test_a_clerk_cannot_sign_and_nothing_changes(at_signature, finance, signer_p12, settings):
    before = _state(at_signature, settings)

    with pytest.raises(NotAuthorised):
        pes.sign_flow(flow=at_signature, actor=finance, signer=_signer(signer_p12))

    assert _state(at_signature, settings) == before


def test_signing_is_refused_while_the_visa_is_awaited(
    imported_flow, finance, ordonnateur, signer_p12, pes_circuit, settings
):
    start(imported_flow, finance)
    before = _state(imported_flow, settings)

    with pytest.raises(PesStateRefused) as caught:
        pes.sign_flow(flow=imported_flow, actor=ordonnateur, signer=_signer(signer_p12))

    assert str(caught.value) == (
        "The flow is waiting for a visa (“Visa du service des finances”), not for a signature."
    )
    assert _state(imported_flow, settings) == before


def test_the_delegate_signs_with_the_claimed_role_of_the_delegation(
    at_signature, adjointe, ordonnateur, pes_delegation, signer_p12
):
    items = inbox_for(adjointe)
    assert [(i.flow, i.on_behalf_of) for i in items] == [(at_signature, ordonnateur)]

    flow = pes.sign_flow(flow=at_signature, actor=adjointe, signer=_signer(signer_p12))

    assert set(flow.bordereaux.values_list("claimed_role", flat=True)) == {
        "Adjointe déléguée aux finances"
    }
    decision = Decision.objects.get(step_run__run__flow=flow, step_run__position=2)
    assert (decision.actor, decision.on_behalf_of) == (adjointe, ordonnateur)
    event = AuditEvent.objects.get(chain__key=f"pesflow:{flow.pk}", action="pes.flow.signed")
    assert (event.actor_id, event.on_behalf_of_id, event.data["claimed_role"]) == (
        adjointe.pk,
        ordonnateur.pk,
        "Adjointe déléguée aux finances",
    )
    role = "<xad:ClaimedRole>Adjointe déléguée aux finances</xad:ClaimedRole>"
    assert _content(flow).count(role.encode("iso-8859-1")) == 3


def test_a_delegation_for_acts_does_not_cover_treasury_flows(
    at_signature, commune, adjointe, ordonnateur, signer_p12, settings
):
    DelegationFactory(
        collectivite=commune,
        delegator=ordonnateur,
        delegate=adjointe,
        scope=DelegationScope.ACTS,
    )
    assert inbox_for(adjointe) == []
    before = _state(at_signature, settings)

    with pytest.raises(NotAuthorised) as caught:
        pes.sign_flow(flow=at_signature, actor=adjointe, signer=_signer(signer_p12))

    assert str(caught.value) == (
        "Your delegation from Olivier Garnier does not cover the signature of treasury flows "
        "(PES): it must be given for them explicitly."
    )
    assert _state(at_signature, settings) == before


def test_rejecting_returns_the_flow_which_can_go_round_again(
    at_signature, ordonnateur, finance, chef
):
    step = StepRun.objects.get(run__flow=at_signature, position=2)

    workflow.reject_step(step_run=step, actor=ordonnateur, reason="Pièce 3 sans justificatif")

    at_signature.refresh_from_db()
    assert (at_signature.status, CircuitRun.objects.get(flow=at_signature).status) == (
        "returned",
        "returned",
    )
    assert set(Bordereau.objects.values_list("status", flat=True)) == {"returned"}
    run = start(at_signature, finance)
    at_signature.refresh_from_db()
    assert (run.status, at_signature.status) == ("active", "in_circuit")


def test_recalling_returns_the_flow_before_anyone_acted(imported_flow, finance, pes_circuit):
    run = start(imported_flow, finance)

    workflow.recall(run=run, actor=finance, reason="Oubli d'un mandat")

    imported_flow.refresh_from_db()
    assert imported_flow.status == "returned"
    assert AuditEvent.objects.filter(action="pes.circuit.recalled").count() == 1


def test_a_token_signer_is_refused_when_none_is_configured(monkeypatch):
    from exports.pes.keys import token_available, token_signer

    monkeypatch.delenv("DELIBRE_PES_PKCS11_LIBRARY", raising=False)
    assert token_available() is False
    with pytest.raises(PesSignatureError):
        token_signer()


def test_notifications_of_a_flow_name_it_and_link_to_its_page(
    imported_flow, finance, chef, pes_circuit, django_capture_on_commit_callbacks
):
    from workflow.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        start(imported_flow, finance)

    notification = Notification.objects.get(user=chef)
    assert (notification.flow, notification.act, notification.message) == (
        imported_flow,
        None,
        "The folder “PESALR2_24310063300011_250302_001” is waiting for a decision: Visa du "
        "service des finances.",
    )
