"""Two signers of an "each of the assignees" step signing the same version at the same moment:
the second signature was made on a version that is no longer the latest, so it is refused and
nothing of it is kept (it would otherwise drop the first signature). Real threads, each with its
own PostgreSQL connection."""

from __future__ import annotations

import threading

import pytest

from deliberations import services as delib
from deliberations.enums import ActType
from signing import services
from signing.exceptions import SignedMeanwhile
from signing.models import Signature
from signing.selectors import latest_report
from tests.deliberations.test_concurrency import race
from tests.signing.conftest import PASSWORD, fake_document
from tests.signing.helpers import stored_signatures
from workflow import services as workflow
from workflow.enums import CircuitPhase, StepKind, StepMode, StepStatus

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_signers_at_once_one_signature_is_kept(commune, monkeypatch):
    circuit = workflow.create_circuit(
        collectivite=commune.collectivite,
        actor=commune.admin,
        name="Arrêtés cosignés",
        phase=CircuitPhase.PREPARATION,
        act_types=[ActType.ARRETE],
        steps=[
            workflow.StepSpec(
                kind=StepKind.SIGNATURE,
                label="Cosignature",
                mode=StepMode.ALL,
                users=[commune.maire, commune.adjointe],
            )
        ],
    )
    act = delib.create_project(
        collectivite=commune.collectivite,
        actor=commune.clerk,
        act_type=ActType.ARRETE,
        objet="Arrêté cosigné",
        articles=["Article unique."],
    )
    step = workflow.start_circuit(act=act, actor=commune.clerk, circuit=circuit).steps.get()
    act.refresh_from_db()
    fake_document(act, ["Sig_Etape1_1", "Sig_Etape1_2"])
    both_signed = threading.Barrier(2)
    store = services.signing.store_version

    def store_after_both_signed(**kwargs):
        both_signed.wait(timeout=30)  # both PDFs were made from the same version
        return store(**kwargs)

    monkeypatch.setattr(services.signing, "store_version", store_after_both_signed)

    results = race(
        [
            lambda who=who, name=name: services.sign_step(
                step_run=step,
                actor=who,
                certificate=commune.certificates[name],
                password=PASSWORD,
            )
            for who, name in ((commune.maire, "maire"), (commune.adjointe, "adjointe"))
        ]
    )

    kept = [r for r in results if isinstance(r, Signature)]
    refused = [r for r in results if isinstance(r, SignedMeanwhile)]
    assert (len(kept), len(refused)) == (1, 1)
    assert str(refused[0]) == (
        "Someone signed this document at the same moment: reload the page and sign again."
    )
    assert Signature.objects.count() == 1
    assert stored_signatures() == [str(kept[0].file.name).removeprefix("signatures/")]
    step.refresh_from_db()
    assert (step.status, step.decisions.count()) == (StepStatus.ACTIVE, 1)
    assert latest_report(Signature.objects.get()).all_valid is True
