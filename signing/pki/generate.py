"""The demo and test PKI: described for certomancer, written to a directory, loaded back.

One certomancer architecture (``delibre``) holds everything Délibre's tests and demo need:

* ``root`` (trusted) → ``intermediate`` (issues people and the seal, answers OCSP through
  ``ocsp-responder``, publishes a CRL) and ``tsa`` (RFC 3161 time-stamping, under the root);
* one signing certificate per person (key usage digitalSignature + nonRepudiation) and the
  collectivité's server seal (``seal``, "cachet serveur");
* deliberately bad certificates: ``expired``, ``not-yet-valid``, ``revoked`` (listed by the
  OCSP responder and the CRL), ``wrong-key-usage`` (keyEncipherment only) and ``untrusted``
  (issued by ``untrusted-root``, which is not a trust root).

Validity periods are fixed dates so that certificates are byte-for-byte reproducible from the
same keys; the valid ones run until 2049. Service URLs (OCSP, CRL distribution points, TSA)
name the loopback host and port given at generation time, so the PKI must be served on that
port (see :mod:`signing.pki.server`).

Private keys are the slow part (RSA generation, ~0.1 s each): they are kept on disk and reused,
and can be shared between PKI directories through ``key_cache``. Certificates, PKCS#12 files
and the manifest are only rewritten when the description changes.

This is a *demo* PKI: keys are stored unencrypted (mode 0600) next to the certificates. Never
use it for real acts.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import (
    ARCH,
    BAD_SIGNERS,
    DEFAULT_COLLECTIVITE,
    DEFAULT_PEOPLE,
    DEFAULT_PORT,
    INTERMEDIATE,
    MANIFEST,
    MANIFEST_FORMAT,
    ROOT,
    SEAL,
    TSA,
    PkiError,
    PkiPerson,
    _check_loopback,
    _person,
    build_config,
)

if TYPE_CHECKING:  # heavy imports stay lazy: Django starts without loading certomancer/asn1crypto
    from asn1crypto import x509
    from certomancer.registry import PKIArchitecture


def _ensure_key(path: Path, cache: Path | None) -> None:
    """Make sure ``path`` holds an RSA-2048 key: reuse it, copy it from the cache, or create it.

    Side effects: may write ``path`` (mode 0600) and the cache copy. Writes are atomic, so
    parallel test workers sharing a cache never read half a key.
    """
    if path.exists():
        return
    cached = cache / path.name if cache is not None else None
    if cached is not None and cached.exists():
        _write_private(path, cached.read_bytes())
        return
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_private(path, pem)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        _write_private(cached, pem)


def _write_private(path: Path, content: bytes) -> None:
    """Write a secret file readable by its owner only, atomically (temporary file + rename)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    temporary.replace(path)


def _fingerprint(config: dict[str, Any], key_dir: Path, password: str) -> str:
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode())
    for key in sorted(key_dir.glob("*.key.pem")):
        digest.update(key.read_bytes())
    # The PKCS#12 password is part of what was written; only its hash is kept.
    digest.update(hashlib.sha256(password.encode()).digest())
    return digest.hexdigest()


def generate_pki(
    *,
    directory: Path | str,
    password: str,
    people: Iterable[PkiPerson | Sequence[str]] = DEFAULT_PEOPLE,
    collectivite: str = DEFAULT_COLLECTIVITE,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    key_cache: Path | str | None = None,
) -> DemoPki:
    """Create (or refresh) the demo PKI in ``directory`` and return it loaded.

    ``people`` are :class:`PkiPerson` or ``(slug, common name[, title])`` tuples. Every signer
    certificate (people, seal, bad ones) is also written as ``p12/<label>.p12`` protected by
    ``password``. ``key_cache`` is a directory of keys shared between PKI directories (the test
    suite keeps one across runs).

    Side effects: creates ``directory`` with ``keys/`` (private keys, 0600), ``certs/`` (PEM),
    ``p12/``, ``crls/`` (a CRL snapshot at generation time; the live ones are served),
    ``trust-roots.pem``, ``certomancer.yml`` and ``pki.json``. Nothing is rewritten when the
    description, the keys and the password are unchanged.
    """
    _check_loopback(host)
    if not 0 < port < 65536:
        raise PkiError(f"Invalid port {port}.")
    if not password:
        raise PkiError("The PKCS#12 files need a password.")
    roster = tuple(_person(p) for p in people)
    if len({p.slug for p in roster}) != len(roster):
        raise PkiError("Two people have the same slug.")
    directory = Path(directory)
    key_dir = directory / "keys"
    key_dir.mkdir(parents=True, exist_ok=True)
    key_dir.chmod(0o700)
    cache = Path(key_cache) if key_cache is not None else None

    config = build_config(people=roster, collectivite=collectivite, host=host, port=port)
    labels = list(config["pki-architectures"][ARCH]["certs"])
    for label in labels:
        _ensure_key(key_dir / f"{label}.key.pem", cache)
    fingerprint = _fingerprint(config, key_dir, password)
    manifest_path = directory / MANIFEST
    if manifest_path.exists():
        try:
            if json.loads(manifest_path.read_text())["fingerprint"] == fingerprint:
                return load_pki(directory=directory)
        except (ValueError, KeyError):
            pass  # unreadable manifest: regenerate everything below

    import yaml

    (directory / "certomancer.yml").write_text(yaml.safe_dump(config, allow_unicode=True))
    pki = DemoPki(directory=directory, manifest=_manifest(config, roster, collectivite, host, port))
    arch = pki.arch
    for sub in ("certs", "p12", "crls"):
        (directory / sub).mkdir(exist_ok=True)
        for stale in (directory / sub).iterdir():  # e.g. a person no longer listed
            stale.unlink()
    from asn1crypto import pem
    from certomancer.registry import CertLabel, ServiceLabel

    for label in labels:
        cert = arch.get_cert(CertLabel(label))
        (directory / "certs" / f"{label}.pem").write_bytes(pem.armor("CERTIFICATE", cert.dump()))
    for label in (SEAL, *(p.slug for p in roster), *BAD_SIGNERS):
        _write_private(directory / "p12" / f"{label}.p12", _pkcs12(arch, label, password))
    for repo in (ROOT, INTERMEDIATE):
        crl = arch.service_registry.get_crl(ServiceLabel(repo))
        (directory / "crls" / f"{repo}.crl").write_bytes(crl.dump())
    (directory / "trust-roots.pem").write_bytes(
        pem.armor("CERTIFICATE", arch.get_cert(CertLabel(ROOT)).dump())
    )
    manifest = dict(pki.manifest, fingerprint=fingerprint)
    manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return load_pki(directory=directory)


def _pkcs12(arch: PKIArchitecture, label: str, password: str) -> bytes:
    """The certificate, its key and its chain as a PKCS#12 protected by ``password``.

    Not certomancer's ``package_pkcs12``: it re-validates the RSA key (~50 ms) and picks the
    encryption itself; this one uses AES-256/PBKDF2-SHA256 and an HMAC-SHA256 MAC, which
    OpenSSL 3, NSS and Windows read.
    """
    from certomancer.registry import CertLabel
    from cryptography import x509 as pyca_x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import PrivateFormat, pkcs12

    from ._backend import parsed_private_key

    spec = arch.get_cert_spec(CertLabel(label))
    key = parsed_private_key(arch.key_set.get_private_key(spec.subject_key).dump())
    chain = [
        pyca_x509.load_der_x509_certificate(arch.get_cert(c).dump())
        for c in arch.get_chain(spec.label)
    ]
    encryption = (
        PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(20000)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(password.encode())
    )
    return pkcs12.serialize_key_and_certificates(
        name=label.encode(),
        key=key,
        cert=pyca_x509.load_der_x509_certificate(arch.get_cert(spec.label).dump()),
        cas=chain,
        encryption_algorithm=encryption,
    )


def _manifest(
    config: dict[str, Any],
    people: Sequence[PkiPerson],
    collectivite: str,
    host: str,
    port: int,
) -> dict[str, Any]:
    prefix = config["external-url-prefix"]
    return {
        "format": MANIFEST_FORMAT,
        "arch": ARCH,
        "host": host,
        "port": port,
        "collectivite": collectivite,
        "people": [
            {"slug": p.slug, "common_name": p.common_name, "title": p.title} for p in people
        ],
        "urls": {
            "tsa": f"{prefix}/{ARCH}/tsa/{TSA}",
            "ocsp": f"{prefix}/{ARCH}/ocsp/{INTERMEDIATE}",
            "crl": {
                ROOT: f"{prefix}/{ARCH}/crls/{ROOT}/latest.crl",
                INTERMEDIATE: f"{prefix}/{ARCH}/crls/{INTERMEDIATE}/latest.crl",
            },
        },
    }


def load_pki(*, directory: Path | str) -> DemoPki:
    """Load a PKI written by :func:`generate_pki` (no side effect)."""
    directory = Path(directory)
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise PkiError(
            f"No demo PKI in {directory}: run `python -m signing.pki generate --dir {directory}`."
        ) from exc
    if manifest.get("format") != MANIFEST_FORMAT:
        raise PkiError(f"{directory / MANIFEST} has an unknown format; generate the PKI again.")
    return DemoPki(directory=directory, manifest=manifest)


@dataclass(frozen=True)
class DemoPki:
    """A generated demo PKI: paths, URLs and certificates. Read-only."""

    directory: Path
    manifest: dict[str, Any] = field(repr=False)

    @property
    def host(self) -> str:
        return str(self.manifest["host"])

    @property
    def port(self) -> int:
        return int(self.manifest["port"])

    @property
    def collectivite(self) -> str:
        return str(self.manifest["collectivite"])

    @property
    def people(self) -> tuple[PkiPerson, ...]:
        return tuple(PkiPerson(**p) for p in self.manifest["people"])

    @property
    def tsa_url(self) -> str:
        return str(self.manifest["urls"]["tsa"])

    @property
    def ocsp_url(self) -> str:
        return str(self.manifest["urls"]["ocsp"])

    @property
    def crl_urls(self) -> dict[str, str]:
        return dict(self.manifest["urls"]["crl"])

    def p12_path(self, label: str) -> Path:
        return self.directory / "p12" / f"{label}.p12"

    def p12_bytes(self, label: str) -> bytes:
        return self.p12_path(label).read_bytes()

    def cert_path(self, label: str) -> Path:
        return self.directory / "certs" / f"{label}.pem"

    def cert(self, label: str) -> x509.Certificate:
        from pyhanko.keys import load_cert_from_pemder

        return load_cert_from_pemder(str(self.cert_path(label)))

    @property
    def trust_roots(self) -> list[x509.Certificate]:
        """The certificates a relying party should trust: the root only (not the rogue one)."""
        return [self.cert(ROOT)]

    @property
    def trust_roots_path(self) -> Path:
        return self.directory / "trust-roots.pem"

    @cached_property
    def arch(self) -> PKIArchitecture:
        """The certomancer architecture (loads the keys: only the server and generator need it)."""
        from certomancer.registry import ArchLabel, CertomancerConfig

        from ._backend import install_fast_backend

        install_fast_backend()
        config = CertomancerConfig.from_file(
            str(self.directory / "certomancer.yml"), allow_external_config=False
        )
        return config.get_pki_arch(ArchLabel(ARCH))
