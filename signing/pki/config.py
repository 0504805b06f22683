"""What the demo PKI contains: labels, people, and its certomancer description.

Validity periods are fixed dates so that certificates are byte-for-byte reproducible from the
same keys; the valid ones run until 2049. Service URLs (OCSP, CRL distribution points, TSA)
name the loopback host and port given, so the PKI must be served on that port.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

ARCH = "delibre"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
DEFAULT_PORT = 9000
DEFAULT_COLLECTIVITE = "Commune de Démo"
MANIFEST = "pki.json"
MANIFEST_FORMAT = 1

# Certificate labels (also file names). People get their own slug as label.
ROOT = "root"
INTERMEDIATE = "intermediate"
OCSP_RESPONDER = "ocsp-responder"
TSA = "tsa"
SEAL = "seal"
EXPIRED = "expired"
NOT_YET_VALID = "not-yet-valid"
REVOKED = "revoked"
WRONG_KEY_USAGE = "wrong-key-usage"
UNTRUSTED_ROOT = "untrusted-root"
UNTRUSTED = "untrusted"
BAD_SIGNERS = (EXPIRED, NOT_YET_VALID, REVOKED, WRONG_KEY_USAGE, UNTRUSTED)
RESERVED_LABELS = frozenset(
    {ROOT, INTERMEDIATE, OCSP_RESPONDER, TSA, SEAL, UNTRUSTED_ROOT, *BAD_SIGNERS}
)
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class PkiPerson:
    """A person who gets a signing certificate: ``slug`` is the label and file name."""

    slug: str
    common_name: str
    title: str = ""


DEFAULT_PEOPLE: tuple[PkiPerson, ...] = (
    PkiPerson("marie-dupont", "Marie DUPONT", "Maire"),
    PkiPerson("jean-martin", "Jean MARTIN", "Secrétaire de séance"),
    PkiPerson("claire-petit", "Claire PETIT", "Première adjointe"),
)


class PkiError(Exception):
    """The demo PKI cannot be generated, loaded or served (an operator error, not a user one)."""


def _person(item: PkiPerson | Sequence[str]) -> PkiPerson:
    person = item if isinstance(item, PkiPerson) else PkiPerson(*item)
    if not _SLUG.match(person.slug) or person.slug in RESERVED_LABELS:
        raise PkiError(
            f"Person slug {person.slug!r} must match {_SLUG.pattern} and not be one of "
            f"{sorted(RESERVED_LABELS)}."
        )
    if not person.common_name.strip():
        raise PkiError(f"Person {person.slug!r} needs a common name.")
    return person


def _validity(start: str, end: str) -> dict[str, str]:
    return {"valid-from": f"{start}T00:00:00+0000", "valid-to": f"{end}T00:00:00+0000"}


def _key_usage(*usages: str) -> dict[str, Any]:
    return {
        "id": "key_usage",
        "critical": True,
        "smart-value": {"schema": "key-usage", "params": list(usages)},
    }


_CA_EXTENSIONS: list[dict[str, Any]] = [
    {"id": "basic_constraints", "critical": True, "value": {"ca": True}},
    _key_usage("digital_signature", "key_cert_sign", "crl_sign"),
]
# Revocation pointers of everything the intermediate issues: OCSP first (fresh answers make
# B-LT/B-LTA validate with AdES "PASSED"), the CRL as the fallback validators may use.
_ISSUED_BY_INTERMEDIATE: list[dict[str, Any]] = [
    {
        "id": "crl_distribution_points",
        "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": [INTERMEDIATE]}},
    },
    {
        "id": "authority_information_access",
        "smart-value": {"schema": "aia-urls", "params": {"ocsp-responder-names": [INTERMEDIATE]}},
    },
]
_SIGNER_USAGE = _key_usage("digital_signature", "non_repudiation")
_VALID = _validity("2025-01-01", "2049-01-01")


def build_config(
    *, people: Sequence[PkiPerson], collectivite: str, host: str, port: int
) -> dict[str, Any]:
    """Return the certomancer configuration (as a dict, also written as YAML) of the PKI."""
    org = {"country-name": "FR", "organization-name": collectivite}
    entities: dict[str, dict[str, str]] = {
        ROOT: {"common-name": "Délibre Démo Autorité Racine"},
        INTERMEDIATE: {"common-name": "Délibre Démo Autorité de Signature"},
        OCSP_RESPONDER: {"common-name": "Délibre Démo Répondeur OCSP"},
        TSA: {"common-name": "Délibre Démo Horodatage"},
        SEAL: {
            **org,
            "organizational-unit-name": "Cachet serveur",
            "common-name": f"{collectivite} (cachet serveur)",
        },
        EXPIRED: {**org, "common-name": "Certificat Expiré"},
        NOT_YET_VALID: {**org, "common-name": "Certificat Pas Encore Valide"},
        REVOKED: {**org, "common-name": "Certificat Révoqué"},
        WRONG_KEY_USAGE: {**org, "common-name": "Certificat Mauvais Usage"},
        UNTRUSTED_ROOT: {
            "organization-name": "Autorité Inconnue",
            "common-name": "Autorité Racine Non Reconnue",
        },
        UNTRUSTED: {**org, "common-name": "Certificat Non Reconnu"},
    }
    for person in people:
        entities[person.slug] = {**org, "common-name": person.common_name}
        if person.title:
            entities[person.slug]["title"] = person.title

    signer = {"issuer": INTERMEDIATE, "validity": _VALID}
    signer_exts = [_SIGNER_USAGE, *_ISSUED_BY_INTERMEDIATE]
    certs: dict[str, dict[str, Any]] = {
        ROOT: {
            "subject": ROOT,
            "issuer": ROOT,
            "validity": _validity("2024-01-01", "2064-01-01"),
            "extensions": _CA_EXTENSIONS,
        },
        INTERMEDIATE: {
            "issuer": ROOT,
            "validity": _validity("2024-01-01", "2059-01-01"),
            "extensions": [
                {
                    "id": "basic_constraints",
                    "critical": True,
                    "value": {"ca": True, "path-len-constraint": 0},
                },
                _key_usage("digital_signature", "key_cert_sign", "crl_sign"),
                {
                    "id": "crl_distribution_points",
                    "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": [ROOT]}},
                },
            ],
        },
        OCSP_RESPONDER: {
            "issuer": INTERMEDIATE,
            "validity": _validity("2024-01-01", "2059-01-01"),
            "extensions": [
                _key_usage("digital_signature"),
                {"id": "extended_key_usage", "critical": True, "value": ["ocsp_signing"]},
                {"id": "ocsp_no_check"},
            ],
        },
        TSA: {
            "issuer": ROOT,
            "validity": _validity("2024-01-01", "2054-01-01"),
            "extensions": [
                _key_usage("digital_signature"),
                {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]},
                {
                    "id": "crl_distribution_points",
                    "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": [ROOT]}},
                },
            ],
        },
        SEAL: {**signer, "extensions": signer_exts},
    }
    for person in people:
        certs[person.slug] = {**signer, "extensions": signer_exts}
    certs[EXPIRED] = {
        **signer,
        "validity": _validity("2024-01-01", "2025-01-01"),
        "extensions": signer_exts,
    }
    certs[NOT_YET_VALID] = {
        **signer,
        "validity": _validity("2054-01-01", "2058-01-01"),
        "extensions": signer_exts,
    }
    certs[REVOKED] = {
        **signer,
        "extensions": signer_exts,
        "revocation": {"revoked-since": "2025-06-01T00:00:00+0000", "reason": "key_compromise"},
    }
    certs[WRONG_KEY_USAGE] = {
        **signer,
        "extensions": [_key_usage("key_encipherment"), *_ISSUED_BY_INTERMEDIATE],
    }
    certs[UNTRUSTED_ROOT] = {
        "subject": UNTRUSTED_ROOT,
        "issuer": UNTRUSTED_ROOT,
        "validity": _validity("2024-01-01", "2064-01-01"),
        "extensions": _CA_EXTENSIONS,
    }
    certs[UNTRUSTED] = {
        "issuer": UNTRUSTED_ROOT,
        "validity": _VALID,
        "extensions": [_SIGNER_USAGE],
    }
    return {
        "external-url-prefix": f"http://{_url_host(host)}:{port}",
        "keysets": {
            ARCH: {
                "path-prefix": "keys",
                "keys": {lbl: {"path": f"{lbl}.key.pem"} for lbl in certs},
            }
        },
        "pki-architectures": {
            ARCH: {
                "keyset": ARCH,
                "entities": entities,
                "certs": certs,
                "services": {
                    "ocsp": {
                        INTERMEDIATE: {
                            "for-issuer": INTERMEDIATE,
                            "responder-cert": OCSP_RESPONDER,
                            "signing-key": OCSP_RESPONDER,
                        }
                    },
                    "crl-repo": {
                        ROOT: {
                            "for-issuer": ROOT,
                            "signing-key": ROOT,
                            "simulated-update-schedule": "P30D",
                        },
                        INTERMEDIATE: {
                            "for-issuer": INTERMEDIATE,
                            "signing-key": INTERMEDIATE,
                            "simulated-update-schedule": "P1D",
                        },
                    },
                    "time-stamping": {TSA: {"signing-key": TSA, "signing-cert": TSA}},
                },
            }
        },
    }


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _check_loopback(host: str) -> None:
    # certomancer signs whatever it is asked with demo keys: it must never face a network.
    if host not in LOOPBACK_HOSTS:
        raise PkiError(f"The demo PKI is served on loopback only, not on {host!r}.")
