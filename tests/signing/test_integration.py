"""The real thing: a séance played through the services, its act and procès-verbal rendered by
the real renderer (WeasyPrint, PDF/A), signed in their pre-created fields, validated by pyHanko
and pdfsig, and the stamps drawn inside their boxes (rendered with pdftoppm)."""

from __future__ import annotations

import subprocess

import pytest

from deliberations.enums import ActStatus, Role
from exports.services import request_document
from signing import services
from signing.selectors import latest_report
from tests.factories import CollectiviteFactory, council, member
from tests.signing.conftest import PASSWORD
from tests.signing.helpers import content, pdfsig_of, summary
from workflow import services as workflow
from workflow.enums import CircuitPhase, StepKind

pytestmark = pytest.mark.slow


def dark_pixels(pdf: bytes, tmp_path, name: str, page: int, box) -> int:
    """Render ``page`` (0-based) at 72 dpi and count dark pixels inside ``box`` (PDF points)."""
    from PIL import Image

    (tmp_path / f"{name}.pdf").write_bytes(pdf)
    number = str(page + 1)
    subprocess.run(
        [
            "pdftoppm",
            "-f",
            number,
            "-l",
            number,
            "-r",
            "72",
            "-png",
            "-singlefile",
            str(tmp_path / f"{name}.pdf"),
            str(tmp_path / name),
        ],
        check=True,
        timeout=60,
    )
    image = Image.open(tmp_path / f"{name}.png").convert("L")
    x1, y1, x2, y2 = box
    region = image.crop((x1 + 3, image.height - y2 + 3, x2 - 3, image.height - y1 - 3))
    return sum(region.histogram()[:128])


def test_a_rendered_deliberation_and_its_proces_verbal_are_signed(
    db, pki, pki_server, nss_db, tmp_path, django_capture_on_commit_callbacks
):
    from tests.exports.conftest import play

    collectivite = CollectiviteFactory(name="Commune de Saint-Exemple")
    admin = member(collectivite, Role.ADMIN, username="admin")
    clerk = member(collectivite, Role.CLERK, username="clerk")
    validator = member(collectivite, Role.VALIDATOR, username="validator")
    assembly, mandates = council(collectivite, 29)
    maire = member(
        collectivite, Role.SIGNER, username="maire", first_name="Marie", last_name="Dupont"
    )
    secretaire = member(collectivite, Role.SECRETARY, username="secretaire")
    for mandate, user in ((mandates[0], maire), (mandates[1], secretaire)):
        mandate.official.user = user
        mandate.official.save(update_fields=["user"])
    played = play(collectivite, clerk, validator, assembly, mandates)
    workflow.create_circuit(
        collectivite=collectivite,
        actor=admin,
        name="Signature des délibérations",
        phase=CircuitPhase.SIGNATURE,
        act_types=["deliberation"],
        is_default=True,
        steps=[
            workflow.StepSpec(
                kind=StepKind.SIGNATURE, label="Maire", users=[maire], signer_quality="Le Maire"
            ),
            workflow.StepSpec(kind=StepKind.SIGNATURE, label="Secrétaire", users=[secretaire]),
        ],
    )
    services.add_trusted_root(
        actor=admin, pem=pki.trust_roots_path.read_bytes(), collectivite=collectivite
    )
    services.update_signing_settings(collectivite=collectivite, actor=admin, tsa_url=pki.tsa_url)
    certificates = {
        user: services.add_certificate(actor=user, data=pki.p12_bytes(label), password=PASSWORD)
        for user, label in ((maire, "marie-dupont"), (secretaire, "jean-martin"))
    }
    act = played.acts[0]
    with django_capture_on_commit_callbacks(execute=True):
        document = request_document(kind="act", target=act, actor=clerk)
        minutes = request_document(kind="minutes", target=played.seance, actor=clerk)
    document.refresh_from_db()
    minutes.refresh_from_db()
    run = workflow.start_circuit(act=act, actor=clerk)
    first, second = run.steps.order_by("position")

    for step, user in ((first, maire), (second, secretaire)):
        version = services.sign_step(
            step_run=step, actor=user, certificate=certificates[user], password=PASSWORD
        )
    for user in (maire, secretaire):
        pv = services.sign_document(
            document=minutes, actor=user, certificate=certificates[user], password=PASSWORD
        )

    act.refresh_from_db()
    assert act.status == ActStatus.SIGNED
    assert [f["name"] for f in document.signature_fields] == ["Sig_President", "Sig_Secretaire"]
    assert summary(latest_report(version).report) == [
        ("signature", "Sig_President", "B-LT", True, "INDETERMINATE", "NO_POE", False),
        ("signature", "Sig_Secretaire", "B-LT", True, "INDETERMINATE", "NO_POE", False),
    ]
    assert pdfsig_of(version, nss_db) == [
        ("Sig_President", "Signature is Valid.", "Certificate is Trusted."),
        ("Sig_Secretaire", "Signature is Valid.", "Certificate is Trusted."),
    ]
    assert [r[:4] for r in summary(latest_report(pv).report)] == [
        ("signature", "Sig_President", "B-LT", True),
        ("signature", "Sig_Secretaire", "B-LT", True),
    ]
    signed = content(version)
    with document.file.open("rb") as handle:
        unsigned = handle.read()
    for field in document.signature_fields:
        box, page = field["box"], field["page"]
        assert dark_pixels(unsigned, tmp_path, "unsigned", page, box) == 0
        assert dark_pixels(signed, tmp_path, "signed", page, box) > 400
