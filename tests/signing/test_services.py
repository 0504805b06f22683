"""Signing acts in their circuits through signing.services: levels, successive signatures,
delegation, the seal (PKCS#12 and PKCS#11), the procès-verbal, archives, and every refusal —
each asserting that nothing was written."""

from __future__ import annotations

import hashlib

import pytest

from deliberations.enums import ActStatus
from deliberations.models import Act
from signing import services
from signing.exceptions import (
    CertificateRefused,
    DocumentChanged,
    DocumentNotReady,
    DocumentOutdated,
    InvalidSigningInput,
    NotAllowedToSign,
    SignatureFieldError,
    SigningNotConfigured,
    StepNotSignable,
    TrustServiceUnavailable,
    WrongPassword,
)
from signing.models import Signature, StepSigningPolicy
from signing.selectors import latest_report
from tests.factories.workflow import DelegationFactory
from tests.signing.conftest import (
    PASSWORD,
    adopted_deliberation,
    arrete_in_circuit,
    sealed_decision,
    set_level,
)
from tests.signing.helpers import (
    content,
    overwrite,
    pdfsig_of,
    raw_certificate,
    state,
    stored_signatures,
    summary,
)
from tests.signing.test_keys import REFUSALS
from workflow.enums import StepStatus
from workflow.exceptions import NotAuthorised
from workflow.journal import events_for, verify_journal
from workflow.models import Decision

TRUSTED = "Certificate is Trusted."
VALID = "Signature is Valid."


def sign(town, step, who="maire", **kwargs):
    return services.sign_step(
        step_run=step,
        actor=getattr(town, who),
        certificate=kwargs.pop("certificate", town.certificates.get(who)),
        password=kwargs.pop("password", PASSWORD),
        **kwargs,
    )


# --- Levels, through the whole circuit path ----------------------------------------------------


@pytest.mark.parametrize(
    ("level", "ades"),
    [
        ("B-B", ("INDETERMINATE", "SIG_CONSTRAINTS_FAILURE")),
        ("B-T", ("INDETERMINATE", "NO_POE")),
        ("B-LT", ("INDETERMINATE", "NO_POE")),
        ("B-LTA", ("PASSED", "OK")),
    ],
)
def test_sign_step_at_each_level_validates_and_approves_the_step(commune, nss_db, level, ades):
    set_level(commune, level)
    act, first, second, document = adopted_deliberation(commune)

    version = sign(commune, first)

    report = latest_report(version)
    stamps = [("document_timestamp", "DocTimeStamp", None, True, None, None, False)]
    assert summary(report.report) == [
        ("signature", "Sig_President", level, True, *ades, False),
        *(stamps if level == "B-LTA" else []),
    ]
    assert (report.all_valid, report.ades_indications, report.sha256) == (
        True,
        ["/".join(ades)],
        version.output_sha256,
    )
    assert report.report["signatures"][0]["signer"]["common_name"] == "Marie DUPONT"
    assert pdfsig_of(version, nss_db) == [("Sig_President", VALID, TRUSTED)]
    assert (version.kind, version.level, version.field_name, version.sequence) == (
        "signature",
        level,
        "Sig_President",
        1,
    )
    assert (version.signer_name, version.quality, version.mention) == ("Marie DUPONT", "Maire", "")
    assert (version.input_sha256, version.output_sha256) == (
        document.content_sha256,
        hashlib.sha256(content(version)).hexdigest(),
    )
    original = content_of(document)
    assert content(version)[: len(original)] == original  # an approval signature: appended
    first.refresh_from_db()
    second.refresh_from_db()
    document.refresh_from_db()
    assert (first.status, second.status, document.frozen_at is not None) == (
        StepStatus.DONE,
        StepStatus.ACTIVE,
        True,
    )
    decision = Decision.objects.get(step_run=first)
    assert version.decision == decision
    assert decision.signature == {
        "document_sha256": version.output_sha256,
        "level": level,
        "validation_report": f"sha256:{report.report_sha256}",
    }
    assert [e.action for e in events_for(act)][-3:] == [
        "act.circuit.approved",
        "document.frozen",
        "act.signed",
    ]
    event = events_for(act).last()
    assert (event.data["output_sha256"], event.data["field"], event.data["level"]) == (
        version.output_sha256,
        "Sig_President",
        level,
    )
    assert verify_journal().ok


def test_two_signatures_keep_the_first_valid_and_sign_the_act(commune, nss_db):
    act, first, second, document = adopted_deliberation(commune)

    maire = sign(commune, first)
    secretaire = sign(commune, second, "secretaire")

    report = latest_report(secretaire).report
    assert summary(report) == [
        ("signature", "Sig_President", "B-LT", True, "INDETERMINATE", "NO_POE", False),
        ("signature", "Sig_Secretaire", "B-LT", True, "INDETERMINATE", "NO_POE", False),
    ]
    assert [s["modification_level"] for s in report["signatures"]] == [
        "FORM_FILLING",
        "LTA_UPDATES",
    ]
    assert (report["all_valid"], report["unsigned_fields"]) == (True, [])
    assert pdfsig_of(secretaire, nss_db) == [
        ("Sig_President", VALID, TRUSTED),
        ("Sig_Secretaire", VALID, TRUSTED),
    ]
    assert (secretaire.sequence, secretaire.input_sha256) == (2, maire.output_sha256)
    assert content(secretaire)[: maire.size] == content(maire)  # an incremental update
    assert (secretaire.signer_name, secretaire.quality) == ("Jean MARTIN", "Secrétaire de séance")
    act.refresh_from_db()
    assert act.status == ActStatus.SIGNED
    assert [e.action for e in events_for(act) if e.action.startswith(("act.", "document."))][
        -5:
    ] == [
        "act.circuit.approved",
        "document.frozen",
        "act.signed",
        "act.circuit.completed",
        "act.signed",
    ]
    assert Signature.objects.filter(document=document).count() == 2  # every version kept


def test_a_delegate_signs_for_the_maire_with_the_legal_mention(commune):
    DelegationFactory(
        collectivite=commune.collectivite,
        delegator=commune.maire,
        delegate=commune.adjointe,
        act_types=["arrete"],
        quality="Adjointe déléguée aux finances",
    )
    act, step, _document = arrete_in_circuit(commune)

    version = sign(commune, step, "adjointe")

    mention = "Pour le Maire et par délégation, Sophie LEFÈVRE, Adjointe déléguée aux finances"
    assert (version.field_name, version.mention, version.on_behalf_of) == (
        "Sig_Etape1",
        mention,
        commune.maire,
    )
    assert (version.signer_name, version.quality) == (
        "Sophie LEFÈVRE",
        "Adjointe déléguée aux finances",
    )
    decision = Decision.objects.get(step_run=step)
    assert (decision.actor, decision.on_behalf_of) == (commune.adjointe, commune.maire)
    event = events_for(act).last()
    assert (event.action, event.on_behalf_of_name, event.data["mention"]) == (
        "act.signed",
        "Marie Dupont",
        mention,
    )
    act.refresh_from_db()
    assert (act.status, latest_report(version).all_valid) == (ActStatus.SIGNED, True)


# --- The server seal ---------------------------------------------------------------------------


def test_a_seal_step_is_sealed_with_the_pkcs12_seal(commune, seal_env):
    act, step, _document = sealed_decision(commune)

    version = services.sign_step(step_run=step, actor=commune.clerk, use_seal=True)

    report = latest_report(version).report
    assert summary(report) == [
        ("signature", "Sig_Etape1", "B-LT", True, "INDETERMINATE", "NO_POE", False)
    ]
    assert report["signatures"][0]["signer"]["common_name"] == "Commune de Démo (cachet serveur)"
    assert (version.kind, version.signer_name, version.quality, version.certificate) == (
        "seal",
        "Commune de Saint-Exemple",
        "Cachet serveur",
        None,
    )
    assert events_for(act).last().action == "act.sealed"


def test_a_seal_step_is_sealed_with_a_pkcs11_token(
    commune, softhsm_token, monkeypatch, nss_db, tmp_path
):
    from signing.keys import clear_seal_cache

    monkeypatch.setenv("DELIBRE_SEAL_P11_LIBRARY", softhsm_token.library)
    monkeypatch.setenv("DELIBRE_SEAL_P11_TOKEN", softhsm_token.token_label)
    monkeypatch.setenv("DELIBRE_SEAL_P11_KEY", softhsm_token.object_label)
    monkeypatch.setenv("DELIBRE_SEAL_P11_PIN", softhsm_token.pin)
    chain = tmp_path / "seal-chain.pem"
    chain.write_bytes(commune.pki.cert_path("intermediate").read_bytes())
    monkeypatch.setenv("DELIBRE_SEAL_P11_CHAIN", str(chain))
    services.update_signing_settings(
        collectivite=commune.collectivite,
        actor=commune.admin,
        seal_backend="pkcs11",
        seal_pkcs11_library_env="DELIBRE_SEAL_P11_LIBRARY",
        seal_pkcs11_token_env="DELIBRE_SEAL_P11_TOKEN",
        seal_pkcs11_key_env="DELIBRE_SEAL_P11_KEY",
        seal_pkcs11_pin_env="DELIBRE_SEAL_P11_PIN",
        seal_chain_env="DELIBRE_SEAL_P11_CHAIN",
    )
    _act, step, _document = sealed_decision(commune)
    clear_seal_cache()
    try:
        version = services.sign_step(step_run=step, actor=commune.clerk, use_seal=True)
    finally:
        clear_seal_cache()

    report = latest_report(version).report
    assert summary(report) == [
        ("signature", "Sig_Etape1", "B-LT", True, "INDETERMINATE", "NO_POE", False)
    ]
    assert report["signatures"][0]["signer"]["common_name"] == "Commune de Démo (cachet serveur)"
    assert pdfsig_of(version, nss_db) == [("Sig_Etape1", VALID, TRUSTED)]


def test_the_seal_is_checked_and_loaded_once(commune, seal_env):
    from signing.keys import _seals

    check = services.check_seal(collectivite=commune.collectivite, actor=commune.admin)
    again = services.check_seal(collectivite=commune.collectivite, actor=commune.admin)

    assert (check.usable, check.problem, check.certificate.common_name) == (
        True,
        "",
        "Commune de Démo (cachet serveur)",
    )
    assert (again.certificate, len(_seals)) == (check.certificate, 1)


def test_check_seal_names_the_missing_variable(commune):
    services.update_signing_settings(
        collectivite=commune.collectivite,
        actor=commune.admin,
        seal_backend="pkcs12",
        seal_pkcs12_path_env="DELIBRE_SEAL_NOT_SET_ANYWHERE",
        seal_pkcs12_password_env="DELIBRE_SEAL_NOT_SET_EITHER",
    )
    with pytest.raises(SigningNotConfigured) as refused:
        services.check_seal(collectivite=commune.collectivite, actor=commune.admin)
    assert str(refused.value) == (
        "The environment variable DELIBRE_SEAL_NOT_SET_ANYWHERE is not set on the server: ask "
        "the operator to set it, then test the seal again."
    )


# --- Refusals: nothing written ---------------------------------------------------------------


@pytest.mark.parametrize(("label", "problem", "message"), REFUSALS)
def test_a_bad_certificate_is_refused_before_anything_is_written(commune, label, problem, message):
    _act, first, _second, document = adopted_deliberation(commune)
    certificate = raw_certificate(commune.maire, commune.pki, label)
    before = state(first, document)

    with pytest.raises(CertificateRefused) as refused:
        sign(commune, first, certificate=certificate)

    assert (refused.value.problem, str(refused.value)) == (problem, message)
    assert state(first, document) == before


def _refusal(town, exc, message, call, step, document):
    before = state(step, document)
    with pytest.raises(exc) as refused:
        call()
    assert str(refused.value) == message
    assert state(step, document) == before
    return refused.value


def test_a_wrong_password_is_refused(commune):
    _act, first, _second, document = adopted_deliberation(commune)
    _refusal(
        commune,
        WrongPassword,
        "Wrong password for this certificate file: type it again. It is the password given with the certificate, not the one you log in with.",
        lambda: sign(commune, first, password="mauvais"),
        first,
        document,
    )


def test_someone_who_is_not_an_assignee_cannot_sign(commune):
    _act, first, _second, document = adopted_deliberation(commune)
    certificate = raw_certificate(commune.validator, commune.pki, "claire-petit")
    _refusal(
        commune,
        NotAuthorised,
        "You cannot decide on this step: you are not one of its assignees, neither directly, "
        "nor through a desk, nor by a delegation in force for this act. If you should be, ask "
        "an administrator to check the circuit and its desks.",
        lambda: sign(commune, first, "validator", certificate=certificate),
        first,
        document,
    )


def test_a_delegate_out_of_scope_is_refused_with_the_reason(commune):
    DelegationFactory(
        collectivite=commune.collectivite,
        delegator=commune.maire,
        delegate=commune.adjointe,
        act_types=["decision"],
    )
    _act, step, document = arrete_in_circuit(commune)
    _refusal(
        commune,
        NotAuthorised,
        "Your delegation from Marie Dupont does not cover this act (its type or its matière is "
        "outside the delegation's scope): ask Marie Dupont to decide, or to extend the delegation.",
        lambda: sign(commune, step, "adjointe"),
        step,
        document,
    )


def test_the_second_signer_cannot_sign_before_the_first(commune):
    _act, _first, second, document = adopted_deliberation(commune)
    _refusal(
        commune,
        StepNotSignable,
        "This step is not waiting for a signature: reload the folder to see where it is.",
        lambda: sign(commune, second, "secretaire"),
        second,
        document,
    )


def test_someone_elses_certificate_is_refused(commune):
    _act, first, _second, document = adopted_deliberation(commune)
    _refusal(
        commune,
        NotAllowedToSign,
        "This certificate is someone else's: sign with your own.",
        lambda: sign(commune, first, certificate=commune.certificates["secretaire"]),
        first,
        document,
    )


def test_a_seal_step_is_not_signed_with_a_personal_certificate(commune, seal_env):
    _act, step, document = sealed_decision(commune)
    certificate = raw_certificate(commune.clerk, commune.pki, "claire-petit")
    _refusal(
        commune,
        InvalidSigningInput,
        "This step is sealed with the collectivité's server seal, not signed personally.",
        lambda: services.sign_step(
            step_run=step, actor=commune.clerk, certificate=certificate, password=PASSWORD
        ),
        step,
        document,
    )


def test_a_document_changed_since_it_entered_the_circuit_is_refused(commune):
    _act, first, _second, document = adopted_deliberation(commune)
    overwrite(document.file.name, content_of(document).replace(b"page 2", b"PAGE 2"))
    _refusal(
        commune,
        DocumentChanged,
        "The document changed since it entered the circuit: it is not the one the earlier "
        "signers approved, so it cannot be signed. Nothing was signed.",
        lambda: sign(commune, first),
        first,
        document,
    )


def test_a_signed_version_changed_in_storage_is_refused(commune):
    _act, first, second, document = adopted_deliberation(commune)
    version = sign(commune, first)
    overwrite(version.file.name, content(version) + b"\n% appended\n")
    _refusal(
        commune,
        DocumentChanged,
        "The document changed since it entered the circuit: it is not the one the earlier "
        "signers approved, so it cannot be signed. Nothing was signed.",
        lambda: sign(commune, second, "secretaire"),
        second,
        document,
    )


def test_an_act_changed_after_its_document_was_rendered_is_refused(commune):
    act, first, _second, document = adopted_deliberation(commune)
    Act.objects.filter(pk=act.pk).update(objet="Subvention au comité des fêtes (corrigée)")
    _refusal(
        commune,
        DocumentOutdated,
        "The act changed since its document was rendered: render the document again, check "
        "it, then sign.",
        lambda: sign(commune, first),
        first,
        document,
    )


def test_an_act_without_its_document_is_refused(commune):
    _act, first, _second, document = adopted_deliberation(commune)
    document.status = "pending"
    document.save(update_fields=["status"])
    _refusal(
        commune,
        DocumentNotReady,
        "The document of this act is not rendered yet: render it from the Documents panel, "
        "then sign.",
        lambda: sign(commune, first),
        first,
        document,
    )


def test_an_unreachable_tsa_stops_the_signature(commune, dead_port):
    services.update_signing_settings(
        collectivite=commune.collectivite,
        actor=commune.admin,
        tsa_url=f"http://127.0.0.1:{dead_port}/tsa",
        default_level="B-T",
    )
    _act, first, _second, document = adopted_deliberation(commune)
    _refusal(
        commune,
        TrustServiceUnavailable,
        "The time-stamping service does not answer. Nothing was signed; try again later.",
        lambda: sign(commune, first),
        first,
        document,
    )


def test_an_unreachable_revocation_service_stops_the_signature(commune, offline_pki):
    _act, first, _second, document = adopted_deliberation(commune)
    certificate = raw_certificate(commune.maire, offline_pki, "marie-dupont")
    _refusal(
        commune,
        TrustServiceUnavailable,
        "The revocation status of the certificate of Marie DUPONT cannot be checked now: the "
        "OCSP or CRL service does not answer. Nothing was signed; try again later.",
        lambda: sign(commune, first, certificate=certificate),
        first,
        document,
    )


def test_signing_needs_a_trusted_root(commune):
    from signing.models import TrustedRoot

    TrustedRoot.objects.update(is_active=False)
    _act, first, _second, document = adopted_deliberation(commune)
    _refusal(
        commune,
        SigningNotConfigured,
        "No trusted certification authority is configured: an administrator must add one in "
        "the signing settings before anyone can sign.",
        lambda: sign(commune, first),
        first,
        document,
    )


def test_a_field_count_that_does_not_match_the_circuit_is_refused(commune):
    _act, first, _second, document = adopted_deliberation(commune)
    document.signature_fields = document.signature_fields[:1]
    document.save(update_fields=["signature_fields"])
    _refusal(
        commune,
        SigningNotConfigured,
        "The document has 1 signature fields but its circuit has 2 signatures: an "
        "administrator must name the field of each signature step in the signing settings.",
        lambda: sign(commune, first),
        first,
        document,
    )


def test_a_step_policy_names_the_field_and_the_level(commune, nss_db):
    from workflow.models import CircuitStep

    step = CircuitStep.objects.get(circuit=commune.signatures, position=1)
    services.set_step_policy(
        step=step, actor=commune.admin, level="B-LTA", field_name="Sig_Secretaire"
    )
    _act, first, _second, _document = adopted_deliberation(commune)

    version = sign(commune, first)

    assert (version.field_name, version.level) == ("Sig_Secretaire", "B-LTA")
    assert StepSigningPolicy.objects.get(step=step).level == "B-LTA"


def content_of(document) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


# --- The procès-verbal ----------------------------------------------------------------------


@pytest.fixture
def minutes(commune):
    """A closed séance and its procès-verbal (president: the maire, secretary: Jean MARTIN)."""
    from django.utils import timezone

    from deliberations.models import Seance
    from tests.factories import SeanceFactory

    seance = SeanceFactory(
        assembly=commune.assembly,
        president=commune.mandates[0],
        secretary=commune.mandates[2],
        created_by=commune.clerk,
    )
    Seance.objects.filter(pk=seance.pk).update(status="closed", closed_at=timezone.now())
    seance.refresh_from_db()
    return seance, fake_seance_document(seance)


def fake_seance_document(seance):
    import hashlib as _hashlib

    from django.utils import timezone

    from core.files import store_bytes
    from exports.models import RenderedDocument
    from exports.services import inputs_sha256
    from exports.snapshots import build_inputs
    from signing.fields import add_signature_fields
    from tests.signing.conftest import make_document

    inputs = build_inputs("minutes", seance=seance)
    specs = [("Sig_President", 1, (30, 60, 290, 150)), ("Sig_Secretaire", 1, (320, 60, 565, 150))]
    pdf = add_signature_fields(make_document(2), specs)
    return RenderedDocument.objects.create(
        collectivite=seance.collectivite,
        kind="minutes",
        seance=seance,
        template_name=inputs.template_name,
        template_sha256="0" * 64,
        snapshot=inputs.snapshot,
        customisation=inputs.customisation,
        snapshot_sha256=inputs_sha256(inputs),
        content_sha256=_hashlib.sha256(pdf).hexdigest(),
        file=store_bytes(f"documents/{seance.collectivite_id}/minutes", pdf, extension="pdf"),
        page_count=2,
        signature_fields=[{"name": n, "label": n, "page": p, "box": list(b)} for n, p, b in specs],
        status="ready",
        rendered_at=timezone.now(),
    )


def test_the_president_and_the_secretary_sign_the_proces_verbal(commune, minutes, nss_db):
    seance, document = minutes

    secretary = services.sign_document(
        document=document,
        actor=commune.secretaire,
        certificate=commune.certificates["secretaire"],
        password=PASSWORD,
    )
    president = services.sign_document(
        document=document,
        actor=commune.maire,
        certificate=commune.certificates["maire"],
        password=PASSWORD,
    )

    assert [(v.field_name, v.quality) for v in (secretary, president)] == [
        ("Sig_Secretaire", "Secrétaire de séance"),
        ("Sig_President", "Maire"),
    ]
    report = latest_report(president).report
    assert summary(report) == [
        ("signature", "Sig_Secretaire", "B-LT", True, "INDETERMINATE", "NO_POE", False),
        ("signature", "Sig_President", "B-LT", True, "INDETERMINATE", "NO_POE", False),
    ]
    assert sorted(pdfsig_of(president, nss_db)) == [
        ("Sig_President", VALID, TRUSTED),
        ("Sig_Secretaire", VALID, TRUSTED),
    ]
    assert [e.action for e in events_for(seance)][-3:] == [
        "document.frozen",
        "document.signed",
        "document.signed",
    ]


def test_only_the_president_and_the_secretary_sign_the_proces_verbal(commune, minutes):
    _seance, document = minutes
    certificate = commune.certificates["adjointe"]
    before = (Signature.objects.count(), stored_signatures())
    with pytest.raises(NotAllowedToSign) as refused:
        services.sign_document(
            document=document, actor=commune.adjointe, certificate=certificate, password=PASSWORD
        )
    assert str(refused.value) == (
        "Only the president and the secretary of the séance sign its procès-verbal."
    )
    services.sign_document(
        document=document,
        actor=commune.maire,
        certificate=commune.certificates["maire"],
        password=PASSWORD,
    )
    with pytest.raises(SignatureFieldError) as again:
        services.sign_document(
            document=document,
            actor=commune.maire,
            certificate=commune.certificates["maire"],
            password=PASSWORD,
        )
    assert str(again.value) == "You have already signed this document."
    assert before[0] + 1 == Signature.objects.count()


# --- Archives (B-LTA) --------------------------------------------------------------------------


def test_due_archives_get_a_new_document_timestamp(commune):
    set_level(commune, "B-LTA")
    act, first, _second, _document = adopted_deliberation(commune)
    signed = sign(commune, first)

    nothing = services.renew_due_archives(horizon_days=30)
    renewed = services.renew_due_archives(horizon_days=365 * 40)

    assert (nothing.checked, nothing.renewed, nothing.failed) == (1, [], [])
    [version] = renewed.renewed
    assert (version.kind, version.sequence, version.input_sha256, version.signer) == (
        "archive_timestamp",
        2,
        signed.output_sha256,
        None,
    )
    report = latest_report(version).report
    assert summary(report) == [
        ("signature", "Sig_President", "B-LTA", True, "PASSED", "OK", False),
        ("document_timestamp", "DocTimeStamp", None, True, None, None, False),
        ("document_timestamp", "DocTimeStamp", None, True, None, None, False),
    ]
    assert content(version)[: signed.size] == content(signed)
    event = events_for(act).last()
    assert (event.action, event.actor_name) == ("document.archive_renewed", "")
