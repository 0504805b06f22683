"""Fixtures of the prefecture integration tests (transmissions, returns, pages, API).

Not a conftest: tests/exports/actes/conftest.py keeps the library's fixtures (its ``collectivite``
is a builder dataclass). The integration test modules import these names, which overrides the
library's ``collectivite`` with the database one inside those modules.

Arrangement shortcuts (like the factories, they write no journal event): ``sign`` moves an act
to "signed" through ActFlow (signing/ is tested on its own); ``ready_pdf`` stores a rendered
document row with a small real PDF, so that the act has a PDF without running WeasyPrint (one
test renders for real).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.utils import timezone

from core.files import store_bytes
from deliberations.models import Act, Matiere
from exports.actes import services as actes
from exports.actes.standin import StandinConfig, serve_in_thread
from exports.enums import DocumentKind, DocumentStatus
from exports.models import RenderedDocument
from tests.deliberations import conftest as d
from tests.exports import conftest as e
from tests.pdfs import blank_pdf
from workflow.lifecycles import ActFlow

admin = d.admin
assembly = d.assembly
classification = d.classification
clerk = d.clerk
collectivite = d.collectivite
mandates = d.mandates
outsider = d.outsider
the_council = d.the_council
validator = d.validator
played = e.played
arrete = e.arrete

ACT_PDF = blank_pdf(2)
CLASSIFICATION_DATE = dt.date(2017, 12, 8)  # tests/fixtures/classification_2017.xml


def sign(act: Act) -> Act:
    act.refresh_from_db()
    ActFlow(act).run("sign_adopted" if act.is_voted_type else "sign_decision")
    act.save(update_fields=["status"])
    return act


def ready_pdf(act: Act, content: bytes = ACT_PDF, author: dict | None = None) -> RenderedDocument:
    digest = hashlib.sha256(content).hexdigest()
    return RenderedDocument.objects.create(
        collectivite=act.collectivite,
        kind=DocumentKind.ACT,
        act=act,
        template_name="pdf/act.html",
        template_sha256="0" * 64,
        snapshot={"author": author or {"name": "Anne MARTIN", "quality": "Maire"}},
        snapshot_sha256=hashlib.sha256(f"{act.pk}".encode()).hexdigest(),
        content_sha256=digest,
        file=store_bytes("documents/tests", content, extension="pdf"),
        status=DocumentStatus.READY,
        rendered_at=timezone.now(),
        verification_token=f"{act.pk:020x}",
    )


def classify(act: Act, code: str = "7.1") -> Act:
    matiere = Matiere.objects.get(
        version__collectivite=act.collectivite, version__is_current=True, code=code
    )
    Act.objects.filter(pk=act.pk).update(matiere=matiere)
    act.refresh_from_db()
    return act


@pytest.fixture
def actes_root(settings, tmp_path, collectivite) -> Path:
    """The collectivité's own folder under DELIBRE_ACTES_DIR (its settings may name only it)."""
    settings.DELIBRE_ACTES_DIR = tmp_path / "actes-root"
    folder = settings.DELIBRE_ACTES_DIR / collectivite.slug
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def drop(actes_root) -> Path:
    folder = actes_root / "depot"
    folder.mkdir()
    (actes_root / "retours").mkdir()
    return folder


@dataclass(frozen=True)
class OwnPki:
    ca: str
    client_cert: str
    client_key: str
    stranger_cert: str
    stranger_key: str


def own_pki(pki, folder: Path) -> OwnPki:
    """The test PKI's client files copied into the collectivité's folder."""
    target = folder / "pki"
    target.mkdir(exist_ok=True)
    paths = {}
    for name in ("ca", "client_cert", "client_key", "stranger_cert", "stranger_key"):
        source = Path(getattr(pki, name))
        paths[name] = str(shutil.copy(source, target / source.name))
    return OwnPki(**paths)


@pytest.fixture
def tdt(collectivite, admin, drop):
    """The folder connector, with a returns folder next to the drop folder."""
    return actes.update_tdt_settings(
        collectivite=collectivite,
        actor=admin,
        connector="folder",
        folder_path=str(drop),
        return_folder_path=str(drop.parent / "retours"),
        return_emails=["actes@saint-exemple.fr"],
        referent_name="Hélène Dupré",
        referent_email="h.dupre@saint-exemple.fr",
    )


@pytest.fixture
def signed_acts(played, classification):
    """The two adopted deliberations of the played séance, classified, with a PDF, signed,
    decided yesterday."""
    acts = []
    # The séance is played ten days ahead; a decision in the future is never transmitted.
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    for act, code in zip(played.acts[:2], ("7.5", "8.1"), strict=True):
        Act.objects.filter(pk=act.pk).update(decision_date=yesterday)
        act = classify(act, code)
        ready_pdf(act)
        acts.append(sign(act))
    return acts


@pytest.fixture
def signed_act(signed_acts):
    return signed_acts[0]


@pytest.fixture
def standin_server(pki, collectivite):
    """The stand-in S2LOW answering for this collectivité, with the classification in use."""
    server, thread = serve_in_thread(
        cert_file=pki.server_cert,
        key_file=pki.server_key,
        ca_file=pki.ca,
        config=StandinConfig(
            siren=collectivite.siren,
            departement=collectivite.departement,
            classification_date=CLASSIFICATION_DATE.isoformat(),
            reception_date=timezone.localdate().isoformat(),
        ),
    )
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def client_pki(pki, actes_root) -> OwnPki:
    return own_pki(pki, actes_root)


@pytest.fixture
def s2low_tdt(collectivite, admin, client_pki, standin_server):
    """The S2LOW connector pointing at the stand-in, with the test client certificate."""
    return actes.update_tdt_settings(
        collectivite=collectivite,
        actor=admin,
        connector="s2low",
        s2low_url=f"https://127.0.0.1:{standin_server.server_address[1]}",
        client_cert=client_pki.client_cert,
        client_key=client_pki.client_key,
        ca_file=client_pki.ca,
        timeout_seconds=2,
        return_emails=["actes@saint-exemple.fr"],
    )


def creates(server) -> list[str]:
    """The act creations the stand-in received."""
    return [
        r for r in server.state.requests if r.startswith("POST /modules/actes/actes_transac_create")
    ]
