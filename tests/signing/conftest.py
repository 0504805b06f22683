"""Signing test set-up: one demo PKI and its loopback TSA/OCSP/CRL server per test session.

RSA keys are the slow part of a PKI (~0.2 s each, 14 of them): they are kept in pytest's cache
directory (``.pytest_cache``) and reused by later runs; certificates are re-issued from them
in a fresh directory every session, for the loopback port the server got this time.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import socket
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from signing.fields import add_signature_fields
from signing.pki import SEAL, PkiServer, bind_loopback_socket, generate_pki
from signing.trust import TrustSettings

PASSWORD = "mot-de-passe-de-test"
PIN = "123456"
FIELDS = [("Maire", 2, (320, 60, 565, 150)), ("Secretaire", 2, (30, 60, 290, 150))]


def make_document(pages: int = 3) -> bytes:
    """A small text PDF written by pyHanko's own writer (no reportlab, no WeasyPrint)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

    writer = PdfFileWriter()
    font = writer.add_object(
        generic.DictionaryObject(
            {
                generic.pdf_name("/Type"): generic.pdf_name("/Font"),
                generic.pdf_name("/Subtype"): generic.pdf_name("/Type1"),
                generic.pdf_name("/BaseFont"): generic.pdf_name("/Helvetica"),
            }
        )
    )
    resources = generic.DictionaryObject(
        {generic.pdf_name("/Font"): generic.DictionaryObject({generic.pdf_name("/F1"): font})}
    )
    for number in range(1, pages + 1):
        text = f"BT /F1 20 Tf 72 760 Td (Deliberation 2026-042, page {number}) Tj ET"
        content = writer.add_object(generic.StreamObject(stream_data=text.encode()))
        writer.insert_page(
            PageObject(contents=content, media_box=(0, 0, 595, 842), resources=resources)
        )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="session")
def key_cache(request) -> Path:
    cache = getattr(request.config, "cache", None)
    if cache is None:  # -p no:cacheprovider: keep the demo keys in the system temp directory
        return Path(tempfile.gettempdir()) / "delibre-signing-pki-keys"
    return Path(cache.mkdir("delibre-signing-pki-keys"))


@pytest.fixture(scope="session")
def pki_socket():
    sock = bind_loopback_socket()
    yield sock
    sock.close()


@pytest.fixture(scope="session")
def pki(tmp_path_factory, key_cache, pki_socket):
    return generate_pki(
        directory=tmp_path_factory.mktemp("pki"),
        password=PASSWORD,
        port=pki_socket.getsockname()[1],
        key_cache=key_cache,
    )


@pytest.fixture(scope="session")
def pki_server(pki, pki_socket):
    server = PkiServer(pki, sock=pki_socket).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def dead_port():
    """A loopback port that refuses connections: bound, never listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture(scope="session")
def offline_pki(tmp_path_factory, key_cache, dead_port):
    """The same PKI, but its OCSP/CRL/TSA URLs point to a port where nothing answers."""
    return generate_pki(
        directory=tmp_path_factory.mktemp("offline-pki"),
        password=PASSWORD,
        port=dead_port,
        key_cache=key_cache,
    )


@pytest.fixture(scope="session")
def trust(pki) -> TrustSettings:
    return TrustSettings(trust_roots=tuple(pki.trust_roots), fetch_timeout=5)


@pytest.fixture(scope="session")
def signers(pki):
    """PKCS#12 signers by label, each opened once (as the server seal is in production)."""
    from signing.keys import load_pkcs12_signer

    loaded = {}

    def get(label: str):
        if label not in loaded:
            loaded[label] = load_pkcs12_signer(data=pki.p12_bytes(label), password=PASSWORD)
        return loaded[label]

    return get


@pytest.fixture(scope="session")
def document() -> bytes:
    """Three pages with two empty visible signature fields on the last one."""
    return add_signature_fields(make_document(), FIELDS)


@pytest.fixture(scope="session")
def softhsm_token(pki, tmp_path_factory):
    from signing.pki.softhsm import find_softhsm_library, provision_softhsm_token

    if find_softhsm_library() is None:
        pytest.skip("SoftHSM2 is not installed (Debian package softhsm2)")
    return provision_softhsm_token(
        directory=tmp_path_factory.mktemp("softhsm"),
        key_pem=(pki.directory / "keys" / "seal.key.pem").read_bytes(),
        cert_pem=pki.cert_path("seal").read_bytes(),
        pin=PIN,
        so_pin="654321",
    )


@pytest.fixture(scope="session")
def nss_db(pki, tmp_path_factory) -> Path:
    """An NSS database trusting the demo root, for pdfsig's certificate checks."""
    import shutil
    import subprocess

    if shutil.which("certutil") is None:
        pytest.skip("certutil (Debian package libnss3-tools) is not installed")
    directory = tmp_path_factory.mktemp("nssdb")
    for command in (
        ["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"],
        [
            "certutil",
            "-A",
            "-d",
            f"sql:{directory}",
            "-n",
            "delibre-demo-root",
            "-t",
            "CT,C,C",
            "-i",
            str(pki.trust_roots_path),
        ],
    ):
        subprocess.run(command, check=True, capture_output=True, timeout=60)
    return directory


# --- Délibre integration: a commune, its élus, circuits, keys and trust ----------------------
#
# Fast arrangements (STYLE.md §13: factories arrange the facts, services are what is tested):
# acts are forced to "adopted" with a number instead of holding a whole séance, and their
# documents are small PDFs with the renderer's field names and the real snapshot hash (so the
# "outdated document" check sees them as current). tests/signing/test_integration.py and the
# scenario test use the real renderer.


@pytest.fixture
def signing_urls(settings):
    """The project's pages and APIs the signing tests need (independent of the wiring work in
    progress in config/urls.py)."""
    settings.ROOT_URLCONF = "tests.signing.urls"


@dataclass
class Commune:
    collectivite: Any
    admin: Any
    clerk: Any
    validator: Any
    maire: Any
    adjointe: Any
    secretaire: Any
    assembly: Any
    mandates: list[Any]
    signatures: Any  # signature circuit of deliberations: maire, then secrétaire de séance
    arretes: Any  # arrêtés: signature of the maire
    decisions: Any  # decisions: the server seal (the clerk applies it)
    certificates: dict[str, Any] = field(default_factory=dict)
    pki: Any = None

    def certificate(self, who: str) -> Any:
        return self.certificates[who]


_numbers = itertools.count(1)


@pytest.fixture
def commune(db, pki, pki_server) -> Commune:
    """A commune trusting the demo root, signing at B-LT with its TSA, with three élus who
    uploaded their certificates, and the circuits of the demo."""
    from deliberations import services as delib
    from deliberations.enums import ActType, MandateRole, Role
    from signing import services
    from tests.factories import AssemblyFactory, CollectiviteFactory, NumberingSchemeFactory, member
    from workflow import services as workflow
    from workflow.enums import CircuitPhase, StepKind

    collectivite = CollectiviteFactory(name="Commune de Saint-Exemple", city="Saint-Exemple")
    admin = member(
        collectivite, Role.ADMIN, username="admin", first_name="Alice", last_name="Bernard"
    )
    clerk = member(
        collectivite, Role.CLERK, username="redacteur", first_name="Romain", last_name="Petit"
    )
    validator = member(
        collectivite, Role.VALIDATOR, username="valideur", first_name="Valérie", last_name="Moreau"
    )
    maire = member(
        collectivite, Role.SIGNER, username="maire", first_name="Marie", last_name="Dupont"
    )
    adjointe = member(
        collectivite, Role.SIGNER, username="adjointe", first_name="Sophie", last_name="Lefèvre"
    )
    secretaire = member(
        collectivite, Role.SECRETARY, username="secretaire", first_name="Jean", last_name="Martin"
    )
    assembly = AssemblyFactory(collectivite=collectivite, name="Conseil municipal")
    mandates = []
    for user, role, quality, rank in (
        (maire, MandateRole.MAYOR, "Maire", 0),
        (adjointe, MandateRole.DEPUTY_MAYOR, "Adjointe déléguée aux finances", 1),
        (secretaire, MandateRole.COUNCILLOR, "Conseiller municipal", 2),
    ):
        official = delib.create_elected_official(
            collectivite=collectivite,
            actor=admin,
            civility="Mme" if user is not secretaire else "M.",
            first_name=user.first_name,
            last_name=user.last_name,
            user=user,
        )
        mandates.append(
            delib.create_mandate(
                official=official,
                actor=admin,
                assembly=assembly,
                role=role,
                quality=quality,
                start_date=dt.date(2020, 7, 4),
                rank=rank,
            )
        )
    for act_type, pattern, counter in (
        (ActType.DELIBERATION, "DEL{YYYY}_{SEQ:4}", "deliberations"),
        (ActType.ARRETE, "AR{YYYY}_{SEQ:4}", "arretes"),
        (ActType.DECISION, "DEC{YYYY}_{SEQ:4}", "decisions"),
    ):
        NumberingSchemeFactory(
            collectivite=collectivite, act_type=act_type, pattern=pattern, counter_name=counter
        )
    signatures = workflow.create_circuit(
        collectivite=collectivite,
        actor=admin,
        name="Signature des délibérations",
        phase=CircuitPhase.SIGNATURE,
        act_types=[ActType.DELIBERATION],
        is_default=True,
        steps=[
            workflow.StepSpec(
                kind=StepKind.SIGNATURE,
                label="Signature du Maire",
                users=[maire],
                signer_quality="Le Maire",
            ),
            workflow.StepSpec(
                kind=StepKind.SIGNATURE,
                label="Signature du secrétaire de séance",
                users=[secretaire],
                signer_quality="Le secrétaire de séance",
            ),
        ],
    )
    arretes = workflow.create_circuit(
        collectivite=collectivite,
        actor=admin,
        name="Arrêtés du Maire",
        phase=CircuitPhase.PREPARATION,
        act_types=[ActType.ARRETE],
        is_default=True,
        steps=[
            workflow.StepSpec(
                kind=StepKind.SIGNATURE,
                label="Signature du Maire",
                users=[maire],
                signer_quality="Le Maire",
            )
        ],
    )
    decisions = workflow.create_circuit(
        collectivite=collectivite,
        actor=admin,
        name="Décisions scellées",
        phase=CircuitPhase.PREPARATION,
        act_types=[ActType.DECISION],
        is_default=True,
        steps=[workflow.StepSpec(kind=StepKind.SEAL, label="Cachet de la commune", users=[clerk])],
    )
    services.add_trusted_root(
        actor=admin,
        pem=pki.trust_roots_path.read_bytes(),
        collectivite=collectivite,
        label="Délibre Démo",
    )
    services.update_signing_settings(
        collectivite=collectivite, actor=admin, tsa_url=pki.tsa_url, fetch_timeout=5
    )
    town = Commune(
        collectivite=collectivite,
        admin=admin,
        clerk=clerk,
        validator=validator,
        maire=maire,
        adjointe=adjointe,
        secretaire=secretaire,
        assembly=assembly,
        mandates=mandates,
        signatures=signatures,
        arretes=arretes,
        decisions=decisions,
        pki=pki,
    )
    for who, label in (
        ("maire", "marie-dupont"),
        ("secretaire", "jean-martin"),
        ("adjointe", "claire-petit"),
    ):
        town.certificates[who] = services.add_certificate(
            actor=getattr(town, who), data=pki.p12_bytes(label), password=PASSWORD
        )
    return town


def fake_document(act, fields, *, pages: int = 3):
    """The act's document as the renderer would store it, with a small PDF: real snapshot and
    hashes, fields named as the renderer names them, on the last page."""
    import hashlib

    from django.utils import timezone

    from core.files import store_bytes
    from exports.models import RenderedDocument
    from exports.services import inputs_sha256
    from exports.snapshots import build_inputs

    token = f"{act.pk:020x}"
    inputs = build_inputs("act", act=act, verification_token=token)
    boxes = [(30, 60, 290, 150), (320, 60, 565, 150), (30, 170, 290, 260), (320, 170, 565, 260)]
    specs = [(name, pages - 1, boxes[index]) for index, name in enumerate(fields)]
    pdf = add_signature_fields(make_document(pages), specs)
    return RenderedDocument.objects.create(
        collectivite=act.collectivite,
        kind="act",
        act=act,
        version=1,
        template_name=inputs.template_name,
        template_sha256="0" * 64,
        snapshot=inputs.snapshot,
        customisation=inputs.customisation,
        snapshot_sha256=inputs_sha256(inputs),
        content_sha256=hashlib.sha256(pdf).hexdigest(),
        file=store_bytes(f"documents/{act.collectivite_id}/act", pdf, extension="pdf"),
        page_count=pages,
        signature_fields=[
            {"name": name, "label": name, "page": page, "box": list(box)}
            for name, page, box in specs
        ],
        status="ready",
        rendered_at=timezone.now(),
        verification_token=token,
    )


def adopted_deliberation(town: Commune, objet: str = "Subvention au comité des fêtes"):
    """A deliberation adopted (arranged) whose signature circuit is running, and its document.

    Returns (act, maire's step, secrétaire's step, document).
    """
    from django.utils import timezone

    from deliberations import services as delib
    from deliberations.enums import ActStatus, ActType
    from deliberations.models import Act
    from workflow import services as workflow

    act = delib.create_project(
        collectivite=town.collectivite,
        actor=town.clerk,
        act_type=ActType.DELIBERATION,
        objet=objet,
        assembly=town.assembly,
        articles=["Une subvention de 1 500 € est attribuée au comité des fêtes."],
    )
    number = next(_numbers)
    Act.objects.filter(pk=act.pk).update(
        status=ActStatus.ADOPTED,
        number=f"DEL2026_{number:04d}",
        number_year=2026,
        numbered_at=timezone.now(),
    )
    act.refresh_from_db()
    run = workflow.start_circuit(act=act, actor=town.clerk)
    first, second = run.steps.order_by("position")
    return act, first, second, fake_document(act, ["Sig_President", "Sig_Secretaire"])


def arrete_in_circuit(town: Commune, objet: str = "Arrêté portant fermeture de la rue"):
    """An arrêté waiting for the maire's signature (numbered at its first signature step)."""
    from deliberations import services as delib
    from deliberations.enums import ActType
    from workflow import services as workflow

    act = delib.create_project(
        collectivite=town.collectivite,
        actor=town.clerk,
        act_type=ActType.ARRETE,
        objet=objet,
        articles=["La rue de l'Église est fermée le 14 juillet."],
    )
    run = workflow.start_circuit(act=act, actor=town.clerk)
    act.refresh_from_db()
    return act, run.steps.get(), fake_document(act, ["Sig_Etape1"])


def sealed_decision(town: Commune):
    """A decision waiting for the server seal."""
    from deliberations import services as delib
    from deliberations.enums import ActType
    from workflow import services as workflow

    act = delib.create_project(
        collectivite=town.collectivite,
        actor=town.clerk,
        act_type=ActType.DECISION,
        objet="Décision portant tarifs du marché",
        articles=["Les tarifs sont fixés selon l'annexe."],
    )
    run = workflow.start_circuit(act=act, actor=town.clerk)
    act.refresh_from_db()
    return act, run.steps.get(), fake_document(act, ["Sig_Etape1"])


@pytest.fixture
def seal_env(monkeypatch, commune, pki):
    """The commune's seal as a PKCS#12 named by environment variables."""
    from signing import services
    from signing.keys import clear_seal_cache

    monkeypatch.setenv("DELIBRE_SEAL_TEST_PKCS12", str(pki.p12_path(SEAL)))
    monkeypatch.setenv("DELIBRE_SEAL_TEST_PASSWORD", PASSWORD)
    services.update_signing_settings(
        collectivite=commune.collectivite,
        actor=commune.admin,
        seal_backend="pkcs12",
        seal_pkcs12_path_env="DELIBRE_SEAL_TEST_PKCS12",
        seal_pkcs12_password_env="DELIBRE_SEAL_TEST_PASSWORD",
    )
    clear_seal_cache()
    yield
    clear_seal_cache()


def set_level(town: Commune, level: str) -> None:
    from signing import services

    services.update_signing_settings(
        collectivite=town.collectivite, actor=town.admin, default_level=level
    )


@pytest.fixture
def french(settings, tmp_path):
    """The French catalogue with the signing snippet (and the others not merged yet) first."""
    import shutil
    import subprocess

    root = Path(__file__).resolve().parents[2]
    snippets = [
        root / "signing" / "TRANSLATIONS_fr.po-snippet",
        *sorted(root.glob("*/TRANSLATIONS_fr.po-snippet")),
        *sorted(root.glob("*/*/TRANSLATIONS_fr.po-snippet")),
        root / "locale" / "fr" / "LC_MESSAGES" / "django.po",
    ]
    if shutil.which("msgfmt") is None or shutil.which("msgcat") is None:
        pytest.skip("msgfmt and msgcat (gettext) are needed to compile the French snippets")
    target = tmp_path / "locale" / "fr" / "LC_MESSAGES"
    target.mkdir(parents=True)
    merged = tmp_path / "merged.po"
    sources = [str(p) for p in dict.fromkeys(snippets) if p.exists()]
    subprocess.run(["msgcat", "--use-first", "-o", str(merged), *sources], check=True)
    subprocess.run(["msgfmt", "-o", str(target / "django.mo"), str(merged)], check=True)
    settings.LOCALE_PATHS = [tmp_path / "locale", *settings.LOCALE_PATHS]
