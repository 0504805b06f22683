"""The world the security tests run in: the demo commune, plus one row of every kind of object.

The demo (deliberations.demo) brings acts in every state of a circuit, séances, votes, circuits,
a delegation and PES flows, all made through the services. The objects it does not make (signed
versions, transmissions, publications, certificates…) are added as plain rows: the
authorisation checks read who owns a row, never whether its file is a valid signature.

A second collectivité ("Autre commune") has a user holding every role there: the outsider.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from deliberations.demo import load_demo
from deliberations.enums import ActStatus, Role
from deliberations.models import Act, Annex, Collectivite, Seance, User
from tests.factories import CollectiviteFactory, member
from tests.pdfs import blank_pdf

#: The columns of the matrix: who asks.
ROLES = (
    "anonymous",
    "clerk",
    "validator",
    "signer",
    "secretary",
    "ordonnateur",
    "treasury",
    "admin",
    "outsider",
)
#: Demo users playing each role (the demo's maire is signer and ordonnateur, as in real life).
ROLE_USERS = {
    "clerk": "redacteur",
    "validator": "valideur",
    "signer": "maire",
    "secretary": "secretaire",
    "ordonnateur": "ordonnateur",
    "treasury": "tresorerie",
    "admin": "admin",
    "outsider": "outsider",
}

SHA = "0" * 64


def self_signed_pem(common_name: str = "Racine de test") -> str:
    """A real (throw-away) root certificate, so that code parsing trusted roots can read it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _sha(n: int) -> str:
    return hashlib.sha256(str(n).encode()).hexdigest()


@dataclass
class World:
    collectivite: Collectivite
    other: Collectivite
    users: dict[str, User]
    objects: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.objects[key]


def build_world() -> World:
    from exports.actes.models import PrefectureMessage, Transmission
    from exports.models import RenderedDocument
    from exports.pes.models import Bordereau, PesAttachment, PesFlow, PesRetour, PesTransmission
    from exports.publication.models import Publication, SeancePublication
    from signing.models import (
        Signature,
        SigningBatch,
        TrustedRoot,
        UserCertificate,
        ValidationReport,
    )
    from workflow.enums import RunStatus, StepKind, StepStatus
    from workflow.models import (
        AssigneeGroup,
        Circuit,
        CircuitRun,
        CircuitStep,
        Delegation,
        Notification,
        OpinionRequest,
        StepRun,
    )

    demo, _created = load_demo()
    assert demo is not None
    town = demo.collectivite
    other = CollectiviteFactory(name="Autre commune", slug="autre-commune")
    outsider = member(other, *Role, username="outsider")
    users = {role: User.objects.get(username=name) for role, name in ROLE_USERS.items()}
    users["outsider"] = outsider
    clerk = users["clerk"]
    now = timezone.now()
    pdf = blank_pdf()
    o: dict[str, Any] = {}

    o["draft"] = (
        Act.objects.filter(collectivite=town, status=ActStatus.DRAFT).order_by("pk").first()
    )
    o["adopted"] = demo.acts["p0"]
    o["validated"] = demo.acts["validated"]
    o["seance"] = demo.seances["next"]
    o["past_seance"] = demo.seances["past"]
    o["item"] = o["seance"].items.order_by("position").first()
    o["voted_item"] = o["past_seance"].items.order_by("position").first()
    o["official"] = demo.mandates[3].official
    o["annex"] = Annex.objects.create(
        act=o["draft"],
        title="Plan",
        file=ContentFile(pdf, name="annexe.pdf"),
        original_name="plan.pdf",
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        page_count=1,
        uploaded_by=clerk,
    )
    # Circuits: an active visa step (DGS desk) and an active signature step (the maire).
    o["visa_step"] = StepRun.objects.filter(
        run__act=demo.acts["waiting_dgs"], status=StepStatus.ACTIVE, kind=StepKind.VISA
    ).first()
    o["sign_step"] = StepRun.objects.filter(
        run__act=demo.acts["p0"], status=StepStatus.ACTIVE
    ).first()
    o["run"] = CircuitRun.objects.filter(
        act=demo.acts["waiting_dgs"], status=RunStatus.ACTIVE
    ).first()
    o["circuit"] = Circuit.objects.filter(collectivite=town).order_by("pk").first()
    o["circuit_step"] = CircuitStep.objects.filter(circuit=o["circuit"]).order_by("pk").first()
    o["group"] = AssigneeGroup.objects.filter(collectivite=town).order_by("pk").first()
    o["delegation"] = Delegation.objects.filter(collectivite=town).first()
    o["opinion"] = OpinionRequest.objects.create(
        step_run=StepRun.objects.filter(
            run__act=demo.acts["waiting_adjointe"], status=StepStatus.ACTIVE
        ).first(),
        requested_by=users["signer"],
        requested_from=users["validator"],
        question="Un avis ?",
        requested_at=now,
    )
    o["notification"] = Notification.objects.create(
        user=clerk,
        act=o["draft"],
        kind="assigned",
        message="Un dossier vous attend.",
        key="matrix:1",
        created_at=now,
    )
    # Documents, signed versions and their reports.
    o["document"] = RenderedDocument.objects.create(
        collectivite=town,
        kind="act",
        act=o["adopted"],
        template_name="pdf/act.html",
        template_sha256=SHA,
        snapshot={},
        snapshot_sha256=_sha(1),
        content_sha256=hashlib.sha256(pdf).hexdigest(),
        file=ContentFile(pdf, name="act.pdf"),
        status="ready",
        verification_token="a1b2c3d4e5f6a7b8c9d0",
    )
    o["signature"] = Signature.objects.create(
        collectivite=town,
        document=o["document"],
        act=o["adopted"],
        sequence=1,
        kind="signature",
        level="B-B",
        signed_at=now,
        input_sha256=_sha(2),
        output_sha256=_sha(3),
        file=ContentFile(pdf, name="signed.pdf"),
        size=len(pdf),
    )
    o["report"] = ValidationReport.objects.create(
        signature=o["signature"],
        sha256=_sha(3),
        report={},
        report_sha256=_sha(4),
        all_valid=True,
        validated_at=now,
    )
    o["certificate"] = UserCertificate.objects.create(
        user=users["signer"],
        file=ContentFile(b"not a real key", name="maire.p12"),
        file_sha256=_sha(5),
        common_name="Marie Dupont",
        subject="CN=Marie Dupont",
        issuer="CN=Demo CA",
        serial="1",
        fingerprint=_sha(6),
        not_before=now - dt.timedelta(days=1),
        not_after=now + dt.timedelta(days=365),
    )
    o["root"] = TrustedRoot.objects.create(
        collectivite=town,
        label="Racine",
        pem=self_signed_pem(),
        fingerprint=_sha(7),
        subject="CN=Demo CA",
        not_after=now + dt.timedelta(days=365),
    )
    o["batch"] = SigningBatch.objects.create(collectivite=town, created_by=users["signer"])
    # Prefecture and publication.
    o["transmission"] = Transmission.objects.create(
        collectivite=town,
        act=o["adopted"],
        sent_on=now.date(),
        serial=1,
        envelope_name="EACT--1.xml",
        message_name="1-1.xml",
        archive_name="archive.tar.gz",
        archive=ContentFile(b"archive", name="archive.tar.gz"),
        archive_sha256=_sha(8),
        connector="folder",
    )
    o["message"] = PrefectureMessage.objects.create(
        collectivite=town,
        transmission=o["transmission"],
        act=o["adopted"],
        kind="2-1",
        received_at=now,
        source="upload",
        file=ContentFile(b"<xml/>", name="courrier.xml"),
        file_name="courrier.xml",
        file_sha256=_sha(9),
        message_sha256=_sha(10),
    )
    o["publication"] = Publication.objects.create(
        collectivite=town,
        act=o["adopted"],
        identifier="DEL2026_0001",
        published_at=now,
        author_name="Marie Dupont",
        file=ContentFile(pdf, name="published.pdf"),
        file_sha256=hashlib.sha256(pdf).hexdigest(),
        pdf_source="rendered",
    )
    o["seance_publication"] = SeancePublication.objects.create(
        collectivite=town,
        seance=o["past_seance"],
        kind="minutes",
        published_at=now,
        file=ContentFile(pdf, name="pv.pdf"),
        file_sha256=hashlib.sha256(pdf).hexdigest(),
    )
    # Treasury flows.
    o["flow"] = PesFlow.objects.filter(collectivite=town).order_by("pk").first()
    o["bordereau"] = Bordereau.objects.filter(flow=o["flow"]).order_by("pk").first()
    o["attachment"] = PesAttachment.objects.filter(flow__collectivite=town).order_by("pk").first()
    o["pes_transmission"] = PesTransmission.objects.create(
        flow=o["flow"], connector="folder", created_by=users["ordonnateur"], created_at=now
    )
    o["retour"] = PesRetour.objects.create(
        collectivite=town,
        name="retour.xml",
        file=ContentFile(b"<PES_Retour/>", name="retour.xml"),
        sha256=_sha(11),
        source="upload",
        imported_by=users["ordonnateur"],
        imported_at=now,
    )
    return World(collectivite=town, other=other, users=users, objects=o)


def world_ids(world: World) -> dict[str, Any]:
    """The primary keys of every object of the world, for the isolation test."""
    return {key: getattr(value, "pk", value) for key, value in world.objects.items()}


_ = Seance  # the world's séances are read from the demo
