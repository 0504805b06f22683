"""PES V2 (Hélios, DGFiP) flows: import, build, sign, verify, acknowledgements.

Pure functions over bytes and files; no Django model here (decision in issue 7: the services
that store bordereaux and run circuits call this library).

* :func:`read_pes_aller` — stream-parse, validate (XSD + Hélios rules) and extract a PES_Aller;
* :func:`write_pes_aller` / :func:`build_pes_aller` — write a PES_Aller from dataclasses;
* :func:`sign_flow` / :func:`sign_flow_file` — XAdES signature of each bordereau (Hélios
  profile) with any ``raw_sign`` key;
* :func:`verify_flow` — a verification report per bordereau;
* :func:`read_pes_acquit` / :func:`read_pes_retour` — what Hélios sends back;
* :func:`validate_xsd` — the DGFiP schemas alone (v5.17, or v5.30 through the local wrapper).

Errors derive from :class:`exports.pes.exceptions.PesError`; file-level ones carry every
problem found as :class:`~exports.pes.issues.PesIssue` items.
"""

from .acquit import PesAcquit, PesRetour, read_pes_acquit, read_pes_retour
from .builder import (
    attachment_from_file,
    build_pes_aller,
    encode_attachment,
    new_id_unique,
    write_pes_aller,
)
from .exceptions import (
    PesAlreadySigned,
    PesBuildError,
    PesCertificateRefused,
    PesError,
    PesFileRefused,
    PesInvalidFile,
    PesSignatureError,
)
from .flow import (
    Address,
    Attachment,
    BankAccount,
    Bordereau,
    BuildSummary,
    Emitter,
    Header,
    Ligne,
    PesFlow,
    Piece,
    PjRef,
    RefCompta,
    Tiers,
)
from .issues import RULES, PesIssue
from .model import PesAllerFile
from .reader import read_pes_aller
from .schemas import validate_xsd
from .signers import (
    PesSigner,
    signer_from_pkcs11_key,
    signer_from_pkcs12,
    signer_from_private_key,
)
from .verify import BordereauSignatureReport, FlowVerification, load_trust_roots, verify_flow
from .xades import (
    HELIOS_POLICY,
    HELIOS_POLICY_LEGACY,
    ProductionPlace,
    SignaturePolicy,
    SignedFlow,
    sign_flow,
    sign_flow_file,
)

__all__ = [
    "HELIOS_POLICY",
    "HELIOS_POLICY_LEGACY",
    "RULES",
    "Address",
    "Attachment",
    "BankAccount",
    "Bordereau",
    "BordereauSignatureReport",
    "BuildSummary",
    "Emitter",
    "FlowVerification",
    "Header",
    "Ligne",
    "PesAcquit",
    "PesAllerFile",
    "PesAlreadySigned",
    "PesBuildError",
    "PesCertificateRefused",
    "PesError",
    "PesFileRefused",
    "PesFlow",
    "PesInvalidFile",
    "PesIssue",
    "PesRetour",
    "PesSignatureError",
    "PesSigner",
    "Piece",
    "PjRef",
    "ProductionPlace",
    "RefCompta",
    "SignaturePolicy",
    "SignedFlow",
    "Tiers",
    "attachment_from_file",
    "build_pes_aller",
    "encode_attachment",
    "load_trust_roots",
    "new_id_unique",
    "read_pes_acquit",
    "read_pes_aller",
    "read_pes_retour",
    "sign_flow",
    "sign_flow_file",
    "signer_from_pkcs11_key",
    "signer_from_pkcs12",
    "signer_from_private_key",
    "validate_xsd",
    "verify_flow",
    "write_pes_aller",
]
