"""Signing in the demo and the scenario: a local demo PKI, trusted by the commune, with a
certificate for each demo élu and the server seal.

``make run`` calls :func:`load_demo_keys` (``manage.py demo --pki var/pki``) and serves the PKI's
TSA, OCSP responder and CRLs on loopback while the development server runs
(``python -m signing.pki serve --dir var/pki``). Demo keys only: never for real acts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from deliberations.models import Collectivite, User
from exports.enums import DocumentKind

from .enums import SealBackend
from .models import TrustedRoot, UserCertificate
from .pki import DEFAULT_PORT, SEAL, DemoPki, PkiPerson, generate_pki

#: The password of the demo élus' PKCS#12 files (printed with the demo logins).
DEMO_CERTIFICATE_PASSWORD = "demo"

#: Demo username → the certificate the PKI issues for them (deliberations/demo.py DEMO_USERS).
DEMO_SIGNERS: tuple[tuple[str, PkiPerson], ...] = (
    ("maire", PkiPerson("marie-dupont", "Marie DUPONT", "Maire")),
    ("adjointe", PkiPerson("sophie-lefevre", "Sophie LEFÈVRE", "Adjointe déléguée aux finances")),
    ("secretaire", PkiPerson("jean-martin", "Jean MARTIN", "Secrétaire de séance")),
)

#: The environment variables the demo seal is read from (set by the Makefile for runserver).
SEAL_PATH_ENV = "DELIBRE_SEAL_PKCS12"
SEAL_PASSWORD_ENV = "DELIBRE_SEAL_PASSWORD"


@dataclass
class DemoKeys:
    pki: DemoPki
    password: str
    certificates: dict[str, UserCertificate] = field(default_factory=dict)
    rendered: list[int] = field(default_factory=list)
    published: list[str] = field(default_factory=list)

    @property
    def seal_path(self) -> Path:
        return self.pki.p12_path(SEAL)


def make_pki(
    *,
    directory: Path | str,
    collectivite: str,
    port: int = DEFAULT_PORT,
    password: str = DEMO_CERTIFICATE_PASSWORD,
    key_cache: Path | str | None = None,
) -> DemoPki:
    """The demo PKI for these élus (generated once; keys and certificates are reused)."""
    return generate_pki(
        directory=directory,
        password=password,
        people=[person for _username, person in DEMO_SIGNERS],
        collectivite=collectivite,
        port=port,
        key_cache=key_cache,
    )


def configure_signing(
    *,
    collectivite: Collectivite,
    admin: User,
    pki: DemoPki,
    users: Mapping[str, User],
    password: str = DEMO_CERTIFICATE_PASSWORD,
    seal: bool = True,
) -> dict[str, UserCertificate]:
    """Trust the PKI's root, use its TSA, describe its seal, give each élu their certificate.

    Idempotent (a root or certificate already there is kept). Through the services, so that
    the journal tells it as an administrator would have done it.
    """
    from . import services

    root_pem = pki.trust_roots_path.read_bytes()
    from .trust import load_certificates

    fingerprint = hashlib.sha256(load_certificates(root_pem)[0].dump()).hexdigest()
    if not TrustedRoot.objects.filter(collectivite=collectivite, fingerprint=fingerprint).exists():
        services.add_trusted_root(
            actor=admin, pem=root_pem, collectivite=collectivite, label="Délibre Démo (racine)"
        )
    changes: dict[str, Any] = {"tsa_url": pki.tsa_url}
    if seal:
        changes.update(
            seal_backend=SealBackend.PKCS12,
            seal_pkcs12_path_env=SEAL_PATH_ENV,
            seal_pkcs12_password_env=SEAL_PASSWORD_ENV,
        )
    services.update_signing_settings(collectivite=collectivite, actor=admin, **changes)
    certificates: dict[str, UserCertificate] = {}
    for username, person in DEMO_SIGNERS:
        user = users.get(username)
        if user is None:
            continue
        data = pki.p12_bytes(person.slug)
        existing = UserCertificate.objects.filter(
            user=user, fingerprint=hashlib.sha256(pki.cert(person.slug).dump()).hexdigest()
        ).first()
        certificates[username] = existing or services.add_certificate(
            actor=user, data=data, password=password, label="Démo"
        )
    return certificates


def render_waiting_documents(collectivite: Collectivite, clerk: User) -> list[int]:
    """Render the documents of the acts whose signature step is waiting (to sign at once)."""
    from exports.services import request_document
    from workflow.enums import RunStatus, StepKind, StepStatus
    from workflow.models import StepRun

    acts = {
        step.run.act
        for step in StepRun.objects.filter(
            run__act__isnull=False,
            run__act__collectivite=collectivite,
            run__status=RunStatus.ACTIVE,
            status=StepStatus.ACTIVE,
            kind__in=[StepKind.SIGNATURE, StepKind.SEAL],
        ).select_related("run__act")
    }
    rendered = []
    for act in sorted((a for a in acts if a is not None), key=lambda a: a.pk):
        if not act.number:
            continue
        rendered.append(request_document(kind=DocumentKind.ACT, target=act, actor=clerk).pk)
    return rendered


def load_demo_keys(
    *, directory: Path | str, port: int = DEFAULT_PORT, password: str = DEMO_CERTIFICATE_PASSWORD
) -> DemoKeys | None:
    """Give the demo commune its signing keys (None when the demo is not loaded).

    Side effects: the PKI in ``directory`` (keys kept between runs); the commune's trusted root,
    TSA URL and seal settings; the élus' certificates; the documents of the acts waiting for a
    signature rendered; the adopted acts no circuit has taken signed, transmitted, acknowledged
    and published (exports.publication.demo). Idempotent.
    """
    from deliberations.demo import DEMO_SLUG

    collectivite = Collectivite.objects.filter(slug=DEMO_SLUG).first()
    if collectivite is None:
        return None
    names = [*dict(DEMO_SIGNERS), "admin", "redacteur"]
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    pki = make_pki(
        directory=directory, collectivite=collectivite.name, port=port, password=password
    )
    keys = DemoKeys(pki=pki, password=password)
    with transaction.atomic():
        keys.certificates = configure_signing(
            collectivite=collectivite, admin=users["admin"], pki=pki, users=users, password=password
        )
    keys.rendered = render_waiting_documents(collectivite, users["redacteur"])
    from exports.publication.demo import publish_adopted

    keys.published = publish_adopted(keys=keys, collectivite=collectivite, users=users)
    return keys
