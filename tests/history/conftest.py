"""History import test set-up: the sample of tests/fixtures/history written by its generator
into a temporary folder once per session, its PDFs made (and some signed with the demo PKI),
and the commune it belongs to."""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SAMPLE = FIXTURES / "history"
CLASSIFICATION = FIXTURES / "classification_2017.xml"
PASSWORD = "mot-de-passe-de-test"


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_history", SAMPLE / "make_history.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_history = _load_generator()


@pytest.fixture(scope="session")
def history_pki(tmp_path_factory):
    """The demo PKI (keys shared with the signing tests' cache); nothing is served: imported
    signatures are validated without fetching."""
    from signing.pki import generate_pki

    return generate_pki(
        directory=tmp_path_factory.mktemp("history-pki"),
        password=PASSWORD,
        key_cache=Path(tempfile.gettempdir()) / "delibre-signing-pki-keys",
    )


@pytest.fixture(scope="session")
def sign_sample(history_pki):
    """sign(pdf, plan): a B-B signature in a new field, by a trusted demo certificate
    (``valid``, ``modified`` — then altered inside the signed bytes) or by the certificate of
    an authority nobody trusts (``untrusted``)."""
    from signing.fields import add_signature_fields
    from signing.keys import load_pkcs12_signer
    from signing.pades import StampText, sign_pdf
    from signing.trust import TrustSettings

    trust = TrustSettings(trust_roots=tuple(history_pki.trust_roots))
    signers = {
        label: load_pkcs12_signer(data=history_pki.p12_bytes(label), password=PASSWORD)
        for label in ("marie-dupont", "untrusted")
    }

    def sign(pdf: bytes, plan: str) -> bytes:
        signer = signers["untrusted" if plan == "untrusted" else "marie-dupont"]
        fielded = add_signature_fields(pdf, [("Sig_Maire", 0, (320, 40, 565, 120))])
        signed = sign_pdf(
            fielded,
            signer=signer,
            field_name="Sig_Maire",
            level="B-B",
            stamp=StampText("Marie DUPONT", "Maire"),
            trust=trust,
            check_certificate=False,
        )
        if plan == "modified":
            altered = signed.replace(b"Le Maire, Marie DUPONT", b"Le Maire, Marie DUPONS", 1)
            assert altered != signed
            return altered
        return signed

    return sign


@pytest.fixture(scope="session")
def sample_files(tmp_path_factory, sign_sample) -> Path:
    """The sample as an export folder: manifest, officials, ARActe files and the PDFs."""
    folder = tmp_path_factory.mktemp("sample-history")
    make_history.write(folder)
    shutil.copy(CLASSIFICATION, folder / "classification.xml")
    make_history.write_pdfs(folder, sign=sign_sample)
    return folder


@pytest.fixture
def export(sample_files, tmp_path) -> Path:
    """A copy of the sample a test may change."""
    target = tmp_path / "export"
    shutil.copytree(sample_files, target)
    return target


@dataclass
class Commune:
    collectivite: Any
    admin: Any
    clerk: Any


@pytest.fixture
def commune(db, history_pki) -> Commune:
    return make_commune(history_pki)


def make_commune(history_pki) -> Commune:
    """The sample's commune (its SIREN), created by the services with the default numbering,
    trusting the demo root; an administrator and a clerk."""
    from deliberations import services
    from deliberations.enums import CollectiviteKind, Role
    from deliberations.validators import luhn_complete
    from signing.services import add_trusted_root
    from tests.factories import UserFactory

    platform = UserFactory(username="plateforme", is_superuser=True, is_staff=True)
    collectivite = services.create_collectivite(
        actor=platform,
        name="Commune de Saint-Exemple",
        slug="saint-exemple",
        kind=CollectiviteKind.COMMUNE,
        siren=make_history.SIREN,
        departement="044",
        population=5400,
        siret=luhn_complete(make_history.SIREN + "0001"),
        prefecture_id="PREF0440",
    )
    admin = UserFactory(username="admin", first_name="Alice", last_name="Bernard")
    clerk = UserFactory(username="redacteur", first_name="Romain", last_name="Petit")
    services.grant_role(collectivite=collectivite, actor=platform, user=admin, role=Role.ADMIN)
    services.grant_role(collectivite=collectivite, actor=admin, user=clerk, role=Role.CLERK)
    add_trusted_root(
        actor=admin,
        pem=history_pki.trust_roots_path.read_bytes(),
        collectivite=collectivite,
        label="Délibre Démo",
    )
    return Commune(collectivite=collectivite, admin=admin, clerk=clerk)


def run_import(
    commune: Commune,
    folder: Path,
    *,
    dry_run: bool = False,
    manifest: str = "manifest.csv",
    **kwargs: Any,
):
    """import_history on an export folder, with its officials and classification."""
    from history.files import DirectorySource
    from history.services import import_history

    options: dict[str, Any] = {
        "officials": (folder / "elus.csv").read_bytes() if (folder / "elus.csv").exists() else None,
        "officials_name": "elus.csv",
        "classification": (folder / "classification.xml").read_bytes()
        if (folder / "classification.xml").exists()
        else None,
        "classification_name": "classification.xml",
    }
    options.update(kwargs)
    actor = options.pop("actor", commune.admin)
    return import_history(
        collectivite=commune.collectivite,
        actor=actor,
        manifest=(folder / manifest).read_bytes(),
        manifest_name=manifest,
        files=DirectorySource(folder),
        dry_run=dry_run,
        **options,
    )
