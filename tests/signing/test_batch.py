"""Batch signing: one password, each folder signed and validated on its own, failures listed."""

from __future__ import annotations

import datetime as dt

import pytest
from freezegun import freeze_time

from signing import services
from signing.exceptions import SigningObjectNotFound, WrongPassword
from signing.models import Signature, SigningBatch
from signing.services.batches import open_secret, seal_secret
from tests.signing.conftest import PASSWORD, arrete_in_circuit
from tests.signing.helpers import overwrite, stored_signatures
from workflow.enums import StepStatus
from workflow.journal import events_for

CHANGED = (
    "The document changed since it entered the circuit: it is not the one the earlier signers "
    "approved, so it cannot be signed. Nothing was signed."
)


def _start(town, steps, *, password=PASSWORD):
    return services.start_batch(
        actor=town.maire,
        collectivite=town.collectivite,
        step_run_ids=[step.pk for step in steps],
        certificate=town.certificates["maire"],
        password=password,
    )


def test_a_batch_signs_every_folder_but_the_one_whose_document_changed(
    commune, django_capture_on_commit_callbacks
):
    folders = [arrete_in_circuit(commune, objet=f"Arrêté de voirie n° {n}") for n in (1, 2, 3)]
    _act, _step, changed = folders[1]
    overwrite(changed.file.name, b"%PDF-1.7\n% replaced by someone\n%%EOF\n")

    with django_capture_on_commit_callbacks(execute=True):
        batch = _start(commune, [step for _act, step, _doc in folders])

    batch.refresh_from_db()
    assert (batch.status, batch.total, batch.signed_count, batch.failed_count, batch.percent) == (
        "done",
        3,
        2,
        1,
        100,
    )
    assert [(i.position, i.status, i.error_code, i.error) for i in batch.items.all()] == [
        (1, "signed", "", ""),
        (2, "failed", "document_changed", CHANGED),
        (3, "signed", "", ""),
    ]
    steps = [step for _act, step, _doc in folders]
    for step in steps:
        step.refresh_from_db()
    assert [s.status for s in steps] == [StepStatus.DONE, StepStatus.ACTIVE, StepStatus.DONE]
    assert [Signature.objects.filter(act=act).count() for act, _step, _doc in folders] == [1, 0, 1]
    assert [
        (e.action, e.data.get("signed"), e.data.get("failed"))
        for e in events_for(commune.collectivite)
        if e.action.startswith("signing.batch")
    ] == [("signing.batch.started", None, None), ("signing.batch.finished", 2, 1)]


def test_a_wrong_password_refuses_the_batch_before_anything_is_stored(commune):
    _act, step, _doc = arrete_in_circuit(commune)
    with pytest.raises(WrongPassword) as refused:
        _start(commune, [step], password="mauvais")
    assert (
        str(refused.value)
        == "Wrong password for this certificate file: type it again. It is the password given with the certificate, not the one you log in with."
    )
    assert (SigningBatch.objects.count(), Signature.objects.count(), stored_signatures()) == (
        0,
        0,
        [],
    )


def test_a_batch_cannot_reach_outside_the_collectivite(commune):
    from deliberations.exceptions import NotAllowed
    from tests.factories import CollectiviteFactory

    _act, step, _doc = arrete_in_circuit(commune)
    with pytest.raises(NotAllowed) as outsider:
        services.start_batch(
            actor=commune.maire,
            collectivite=CollectiviteFactory(),
            step_run_ids=[step.pk],
            certificate=commune.certificates["maire"],
            password=PASSWORD,
        )
    with pytest.raises(SigningObjectNotFound) as unknown:
        _start(commune, [step, type(step)(pk=step.pk + 1000)])
    assert (str(outsider.value), str(unknown.value)) == (
        "You do not belong to this collectivité.",
        "One of the folders chosen does not exist.",
    )
    assert SigningBatch.objects.count() == 0


def test_the_password_crosses_the_queue_encrypted_for_one_hour():
    token = seal_secret("mot de passe")
    assert "mot de passe" not in token
    assert open_secret(token) == "mot de passe"
    assert open_secret("not a token") is None
    with freeze_time(dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)):
        assert open_secret(token) is None


def test_a_batch_whose_password_expired_fails_its_items_and_runs_once(commune):
    _act, step, _doc = arrete_in_circuit(commune)
    batch = _start(commune, [step])  # the task is queued on commit: never run here

    services.run_batch(batch_id=batch.pk, password=None)
    again = services.run_batch(batch_id=batch.pk, password=PASSWORD)

    assert (again.status, again.signed_count, again.failed_count) == ("done", 0, 1)
    assert [(i.status, i.error_code) for i in again.items.all()] == [("failed", "batch_expired")]
    assert Signature.objects.count() == 0


def test_a_batch_delivered_again_counts_the_step_signed_before_its_worker_was_lost(commune):
    folders = [arrete_in_circuit(commune, objet=f"Arrêté de voirie n° {n}") for n in (1, 2)]
    batch = _start(commune, [step for _act, step, _doc in folders])  # queued at commit: not run
    _first_act, first_step, _doc = folders[0]
    # The first delivery signed folder 1 and was killed before it marked the item.
    signed = services.sign_step(
        step_run=first_step,
        actor=commune.maire,
        certificate=commune.certificates["maire"],
        password=PASSWORD,
    )

    batch = services.run_batch(batch_id=batch.pk, password=PASSWORD)

    assert (batch.status, batch.signed_count, batch.failed_count) == ("done", 2, 0)
    assert [(i.status, i.signature_id) for i in batch.items.order_by("position")] == [
        ("signed", signed.pk),
        ("signed", Signature.objects.get(act=folders[1][0]).pk),
    ]
    assert [Signature.objects.filter(act=act).count() for act, _step, _doc in folders] == [1, 1]


def test_a_batch_stopped_by_its_time_limit_lists_the_rest_as_not_signed(commune):
    folders = [arrete_in_circuit(commune, objet=f"Arrêté de voirie n° {n}") for n in (1, 2)]
    batch = _start(commune, [step for _act, step, _doc in folders])
    services.sign_step(
        step_run=folders[0][1],
        actor=commune.maire,
        certificate=commune.certificates["maire"],
        password=PASSWORD,
    )

    batch = services.interrupt_batch(batch_id=batch.pk)

    assert (batch.status, batch.signed_count, batch.failed_count) == ("done", 1, 1)
    assert [(i.status, i.error_code, i.error) for i in batch.items.order_by("position")] == [
        ("signed", "", ""),
        (
            "failed",
            "batch_interrupted",
            "The batch took too long and was stopped: sign this folder again.",
        ),
    ]
    assert [
        (e.action, e.data.get("signed"), e.data.get("failed"))
        for e in events_for(commune.collectivite)
        if e.action == "signing.batch.finished"
    ] == [("signing.batch.finished", 1, 1)]
