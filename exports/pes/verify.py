"""Verifying the bordereau signatures of a PES_Aller (the treasury's view).

:func:`verify_flow` streams the file once (the digests are computed child by child, as for
signing) and reports, for every bordereau: whether it is signed, and if so whether the signature
holds — referenced content digest, SignedProperties digest, SignatureValue with the KeyInfo
certificate, SigningCertificate bound to that certificate, SigningTime format, certificate valid
at signing time, policy identifier — plus who signed, when, under which policy and claimed
role. With ``trust_roots`` the certificate chain is built and checked at the signing time
(signatures and validity periods; revocation is not checked here).

It accepts what the Hélios profile allows: XAdES 1.1.1, 1.2.2 or 1.3.2 qualifying properties,
exclusive C14N only (like the xemelios verifier), rsa-sha1/256/512.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from django.utils.translation import gettext as _
from lxml import etree

from ._c14n import WalkedBordereau, exc_c14n, walk_bordereaux
from ._xmlio import DEFAULT_MAX_BYTES, Source, open_source
from .exceptions import PesFileRefused
from .issues import PesIssue
from .model import Kind
from .schemas import localname
from .signers import HASHES, rfc2253_name
from .xades import (
    C14N_EXCLUSIVE,
    DIGEST_URIS,
    KNOWN_POLICIES,
    NS_DS,
    SIGNATURE_URIS,
    TRANSFORM_ENVELOPED,
    ProductionPlace,
)

XADES_NAMESPACES = (
    "http://uri.etsi.org/01903/v1.1.1#",
    "http://uri.etsi.org/01903/v1.2.2#",
    "http://uri.etsi.org/01903/v1.3.2#",
)
_DIGEST_NAMES = {uri: name for name, uri in DIGEST_URIS.items()}
_SIGNATURE_NAMES = {uri: name for name, uri in SIGNATURE_URIS.items()}
_MAX_CHAIN = 8


@dataclass(slots=True)
class BordereauSignatureReport:
    """The verification of one bordereau. ``valid`` means signed and no error in ``problems``;
    ``warnings`` are departures from the Hélios profile that do not break the signature."""

    kind: Kind
    index: int
    element_id: str | None
    exercice: str | None
    id_bord: str | None
    signed: bool = False
    valid: bool = False
    problems: list[PesIssue] = field(default_factory=list)
    warnings: list[PesIssue] = field(default_factory=list)
    signer_subject: str | None = None
    signer_common_name: str | None = None
    certificate_serial: int | None = None
    certificate_issuer: str | None = None
    certificate_not_before: datetime | None = None
    certificate_not_after: datetime | None = None
    signing_time: datetime | None = None
    policy_identifier: str | None = None
    policy_description: str | None = None
    claimed_role: str | None = None
    production_place: ProductionPlace | None = None
    digest_algorithm: str | None = None
    signature_algorithm: str | None = None
    chain_checked: bool = False
    chain_valid: bool | None = None
    chain_subjects: list[str] = field(default_factory=list)


@dataclass(slots=True)
class FlowVerification:
    bordereaux: list[BordereauSignatureReport] = field(default_factory=list)
    has_global_signature: bool = False

    @property
    def valid(self) -> bool:
        """Every bordereau signed and valid."""
        return bool(self.bordereaux) and all(b.valid for b in self.bordereaux)


def load_trust_roots(pem: bytes) -> list[x509.Certificate]:
    """Certificates from a PEM bundle. No side effect."""
    return x509.load_pem_x509_certificates(pem)


def verify_flow(
    source: Source,
    *,
    trust_roots: Sequence[x509.Certificate] | None = None,
    intermediates: Sequence[x509.Certificate] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> FlowVerification:
    """Verify every bordereau signature of a PES_Aller; see the module docstring.

    Raises :class:`~exports.pes.exceptions.PesFileRefused` for input that is not a safe,
    well-formed PES_Aller; a bad signature is reported, not raised. Side effect: reads the
    source once.
    """
    reports: list[BordereauSignatureReport] = []

    def on_bordereau(walked: WalkedBordereau) -> None:
        reports.append(
            _verify_bordereau(walked, trust_roots=trust_roots, intermediates=intermediates)
        )

    with open_source(source, max_bytes=max_bytes) as (reader, _prolog, _size):
        walk = walk_bordereaux(
            reader, algorithms=("sha1", "sha256", "sha512"), on_bordereau=on_bordereau
        )
    return FlowVerification(bordereaux=reports, has_global_signature=walk.has_global_signature)


class _Report:
    """Helper to add problems and warnings with a code."""

    def __init__(self, report: BordereauSignatureReport, line: int | None):
        self.report = report
        self.line = line

    def problem(self, code: str, message: str) -> None:
        self.report.problems.append(PesIssue(code=code, message=message, line=self.line))

    def warning(self, code: str, message: str) -> None:
        self.report.warnings.append(
            PesIssue(code=code, message=message, severity="warning", line=self.line)
        )


def _verify_bordereau(
    walked: WalkedBordereau,
    *,
    trust_roots: Sequence[x509.Certificate] | None,
    intermediates: Sequence[x509.Certificate],
) -> BordereauSignatureReport:
    report = BordereauSignatureReport(
        kind=walked.kind,
        index=walked.index,
        element_id=walked.element_id,
        exercice=walked.exercice,
        id_bord=walked.id_bord,
    )
    out = _Report(report, walked.line)
    if not walked.signatures:
        out.problem("SIG_MISSING", _("The bordereau is not signed."))
        return report
    report.signed = True
    if len(walked.signatures) > 1:
        out.problem("SIG_MULTIPLE", _("The bordereau carries more than one signature."))
        return report
    try:
        _check_signature(walked, walked.signatures[0], out, trust_roots, intermediates)
    except (ValueError, TypeError, binascii.Error, etree.LxmlError, PesFileRefused) as exc:
        out.problem(
            "SIG_MALFORMED",
            _("The signature cannot be read: %(reason)s") % {"reason": str(exc) or type(exc)},
        )
    report.valid = report.signed and not report.problems
    return report


def _find(element: etree._Element, path: str) -> etree._Element | None:
    return element.find(path, namespaces={"ds": NS_DS})


def _b64decode(text: str | None) -> bytes:
    cleaned = "".join((text or "").split())
    # Some signers drop the base64 padding (the LiberSign fixture's policy hash): restore it.
    return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)


def _check_signature(
    walked: WalkedBordereau,
    signature: etree._Element,
    out: _Report,
    trust_roots: Sequence[x509.Certificate] | None,
    intermediates: Sequence[x509.Certificate],
) -> None:
    report = out.report
    signed_info = _find(signature, "ds:SignedInfo")
    if signed_info is None:
        out.problem("SIG_MALFORMED", _("The signature has no SignedInfo."))
        return
    c14n = _find(signed_info, "ds:CanonicalizationMethod")
    if c14n is None or c14n.get("Algorithm") != C14N_EXCLUSIVE:
        out.problem(
            "SIG_ALGORITHM",
            _("SignedInfo is not canonicalised with exclusive C14N, as Hélios requires."),
        )
        return
    method = _find(signed_info, "ds:SignatureMethod")
    signature_name = _SIGNATURE_NAMES.get(method.get("Algorithm", "") if method is not None else "")
    report.signature_algorithm = signature_name
    if signature_name is None:
        out.problem("SIG_ALGORITHM", _("The signature algorithm is not supported."))
        return

    by_id = {
        element.get("Id"): element
        for element in signature.iter()
        if isinstance(element.tag, str) and element.get("Id")
    }
    content_checked = properties_element = None
    for reference in signed_info.iterfind(f"{{{NS_DS}}}Reference"):
        uri = reference.get("URI")
        transforms = [
            t.get("Algorithm")
            for t in reference.iterfind(f"{{{NS_DS}}}Transforms/{{{NS_DS}}}Transform")
        ]
        digest_method = _find(reference, "ds:DigestMethod")
        digest_name = _DIGEST_NAMES.get(
            digest_method.get("Algorithm", "") if digest_method is not None else ""
        )
        expected = _b64decode(_text(_find(reference, "ds:DigestValue")))
        if digest_name is None:
            out.problem("SIG_ALGORITHM", _("A reference uses an unsupported digest algorithm."))
            continue
        if walked.element_id and uri == f"#{walked.element_id}":
            report.digest_algorithm = digest_name
            if transforms != [TRANSFORM_ENVELOPED, C14N_EXCLUSIVE]:
                out.problem(
                    "SIG_TRANSFORMS",
                    _(
                        "The bordereau reference must use the enveloped-signature and exclusive "
                        "C14N transforms."
                    ),
                )
            elif walked.digests.get(digest_name) != expected:
                out.problem(
                    "SIG_DIGEST",
                    _("The content of the bordereau was modified after it was signed."),
                )
            content_checked = True
        elif uri and uri.startswith("#") and uri[1:] in by_id:
            target = by_id[uri[1:]]
            if transforms != [C14N_EXCLUSIVE]:
                out.problem(
                    "SIG_TRANSFORMS",
                    _(
                        "A reference to the signature properties must declare the exclusive C14N "
                        "transform."
                    ),
                )
                continue
            if hashlib.new(digest_name, exc_c14n(target)).digest() != expected:
                out.problem(
                    "SIG_PROPERTIES_DIGEST",
                    _("The signed properties (time, certificate, policy, role) were modified."),
                )
            if localname(target.tag) == "SignedProperties":
                properties_element = target
                if not reference.get("Type", "").endswith("#SignedProperties"):
                    out.warning(
                        "SIG_PROFILE",
                        _("The SignedProperties reference has no Type attribute."),
                    )
        else:
            out.problem(
                "SIG_REFERENCE",
                _(
                    "The signature references %(uri)s, which is neither this bordereau nor a part "
                    "of the signature."
                )
                % {"uri": uri},
            )
    if not content_checked:
        out.problem(
            "SIG_REFERENCE",
            _("The signature does not reference the bordereau (#%(id)s).")
            % {"id": walked.element_id},
        )

    certificates = [
        x509.load_der_x509_certificate(_b64decode(_text(c)))
        for c in signature.iterfind(
            f"{{{NS_DS}}}KeyInfo/{{{NS_DS}}}X509Data/{{{NS_DS}}}X509Certificate"
        )
    ]
    if not certificates:
        out.problem("SIG_CERTIFICATE", _("The signature does not carry its certificate."))
        return
    properties = _Properties(properties_element)
    certificate = properties.pick_certificate(certificates) or certificates[0]
    _describe_certificate(report, certificate)

    value = _b64decode(_text(_find(signature, "ds:SignatureValue")))
    public_key = certificate.public_key()
    try:
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise InvalidSignature
        public_key.verify(
            value, exc_c14n(signed_info), padding.PKCS1v15(), HASHES[signature_name]()
        )
    except InvalidSignature:
        out.problem(
            "SIG_VALUE",
            _("The signature value does not match the certificate's key."),
        )

    if properties_element is None:
        out.problem(
            "SIG_PROPERTIES",
            _("The signature has no signed XAdES properties (signing time, certificate, policy)."),
        )
        return
    properties.check(report, certificate, out)
    if report.signing_time is not None:
        at = report.signing_time
        if not certificate.not_valid_before_utc <= at <= certificate.not_valid_after_utc:
            out.problem(
                "SIG_CERT_EXPIRED",
                _("The certificate was not valid at the signing time %(time)s.")
                % {"time": at.isoformat()},
            )
    if trust_roots is not None:
        _check_chain(
            report,
            certificate,
            [c for c in certificates if c is not certificate] + list(intermediates),
            trust_roots,
            at=report.signing_time or datetime.now(UTC),
            out=out,
        )


def _namespace(tag: object) -> str:
    return tag[1:].partition("}")[0] if isinstance(tag, str) and tag.startswith("{") else ""


def _text(element: etree._Element | None) -> str | None:
    return element.text if element is not None else None


def _describe_certificate(report: BordereauSignatureReport, certificate: x509.Certificate) -> None:
    report.signer_subject = certificate.subject.rfc4514_string()
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    report.signer_common_name = str(names[0].value) if names else None
    report.certificate_serial = certificate.serial_number
    report.certificate_issuer = certificate.issuer.rfc4514_string()
    report.certificate_not_before = certificate.not_valid_before_utc
    report.certificate_not_after = certificate.not_valid_after_utc


class _Properties:
    """The XAdES SignedSignatureProperties, in any of the accepted namespaces."""

    def __init__(self, signed_properties: etree._Element | None):
        self.element = signed_properties
        self.ns = _namespace(signed_properties.tag) if signed_properties is not None else ""

    def find(self, path: str) -> etree._Element | None:
        if self.element is None:
            return None
        return self.element.find(path, namespaces={"x": self.ns or "", "ds": NS_DS})

    def cert_digests(self) -> list[tuple[str | None, bytes, etree._Element]]:
        found: list[tuple[str | None, bytes, etree._Element]] = []
        if self.element is None:
            return found
        for cert in self.element.iterfind(
            "x:SignedSignatureProperties/x:SigningCertificate/x:Cert",
            namespaces={"x": self.ns or ""},
        ):
            method = cert.find("x:CertDigest/x:DigestMethod", namespaces={"x": self.ns or ""})
            if method is None:  # some signers put ds:DigestMethod in CertDigest
                method = cert.find(
                    "x:CertDigest/ds:DigestMethod", namespaces={"x": self.ns or "", "ds": NS_DS}
                )
            value = cert.find("x:CertDigest/x:DigestValue", namespaces={"x": self.ns or ""})
            if value is None:
                value = cert.find(
                    "x:CertDigest/ds:DigestValue", namespaces={"x": self.ns or "", "ds": NS_DS}
                )
            name = _DIGEST_NAMES.get(method.get("Algorithm", "")) if method is not None else None
            found.append((name, _b64decode(_text(value)), cert))
        return found

    def pick_certificate(self, certificates: list[x509.Certificate]) -> x509.Certificate | None:
        for name, expected, _cert in self.cert_digests():
            for certificate in certificates:
                der = certificate.public_bytes(serialization.Encoding.DER)
                if name and hashlib.new(name, der).digest() == expected:
                    return certificate
        return None

    def check(
        self, report: BordereauSignatureReport, certificate: x509.Certificate, out: _Report
    ) -> None:
        if self.ns not in XADES_NAMESPACES:
            out.problem(
                "SIG_PROFILE",
                _("The XAdES namespace %(ns)s is not one Hélios accepts.") % {"ns": self.ns},
            )
        elif self.ns == XADES_NAMESPACES[2]:
            out.warning("SIG_PROFILE", _("XAdES 1.3.2 is not the Hélios profile (1.1.1)."))
        time_text = _text(self.find("x:SignedSignatureProperties/x:SigningTime"))
        if not time_text:
            out.problem("SIG_TIME", _("The signature has no signing time."))
        else:
            time_text = time_text.strip()
            try:
                parsed = datetime.fromisoformat(time_text.replace("Z", "+00:00"))
            except ValueError:
                parsed = None
            if parsed is None or parsed.tzinfo is None or not time_text.endswith("Z"):
                out.problem(
                    "SIG_TIME",
                    _("The signing time %(value)s is not a UTC time ending in Z.")
                    % {"value": time_text},
                )
            if parsed is not None and parsed.tzinfo is not None:
                report.signing_time = parsed.astimezone(UTC)
        der = certificate.public_bytes(serialization.Encoding.DER)
        digests = self.cert_digests()
        bound = [
            c for name, value, c in digests if name and hashlib.new(name, der).digest() == value
        ]
        if not bound:
            out.problem(
                "SIG_CERT_DIGEST",
                _("The SigningCertificate digest does not match the certificate of the signature."),
            )
        else:
            serial = _text(bound[0].find(f"*/{{{NS_DS}}}X509SerialNumber"))
            issuer = _text(bound[0].find(f"*/{{{NS_DS}}}X509IssuerName"))
            if (serial or "").strip() != str(certificate.serial_number):
                out.problem(
                    "SIG_CERT_SERIAL",
                    _("The SigningCertificate serial number is not the certificate's."),
                )
            if not _same_name(issuer or "", certificate.issuer):
                out.problem(
                    "SIG_CERT_ISSUER",
                    _("The SigningCertificate issuer name is not the certificate's issuer."),
                )
        policy = self.find(
            "x:SignedSignatureProperties/x:SignaturePolicyIdentifier/x:SignaturePolicyId"
        )
        identifier = (
            _text(policy.find("x:SigPolicyId/x:Identifier", {"x": self.ns}))
            if (policy is not None)
            else None
        )
        report.policy_identifier = identifier.strip() if identifier else None
        report.policy_description = (
            _text(policy.find("x:SigPolicyId/x:Description", {"x": self.ns}))
            if policy is not None
            else None
        )
        known = {p.identifier: p for p in KNOWN_POLICIES}
        if policy is None or report.policy_identifier is None:
            out.problem("SIG_POLICY", _("The signature does not state the Hélios policy."))
        elif report.policy_identifier not in known:
            out.problem(
                "SIG_POLICY",
                _("The signature policy %(oid)s is not the DGFiP Hélios policy.")
                % {"oid": report.policy_identifier},
            )
        else:
            expected = known[report.policy_identifier]
            value = _text(policy.find("x:SigPolicyHash/x:DigestValue", {"x": self.ns}))
            try:
                matches = _b64decode(value) == _b64decode(expected.digest_value)
            except (binascii.Error, ValueError):
                matches = False
            if not matches:
                out.warning(
                    "SIG_POLICY_HASH",
                    _("The policy hash is not the one of the published Hélios policy."),
                )
        role = _text(
            self.find("x:SignedSignatureProperties/x:SignerRole/x:ClaimedRoles/x:ClaimedRole")
        )
        report.claimed_role = role.strip() if role else None
        if not report.claimed_role:
            out.warning("SIG_ROLE", _("The signature does not state the signer's role."))
        place = self.find("x:SignedSignatureProperties/x:SignatureProductionPlace")
        if place is not None:
            report.production_place = ProductionPlace(
                city=_text(place.find("x:City", {"x": self.ns})),
                postal_code=_text(place.find("x:PostalCode", {"x": self.ns})),
                country=_text(place.find("x:CountryName", {"x": self.ns})),
            )
        try:
            usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
            if not usage.content_commitment:
                out.warning(
                    "SIG_KEY_USAGE",
                    _("The certificate is not marked for non-repudiation signatures."),
                )
        except x509.ExtensionNotFound:
            pass


def _normalise_name(value: str) -> str:
    parts = []
    for part in value.replace(", ", ",").split(","):
        key, _sep, rest = part.partition("=")
        parts.append(f"{key.strip().upper()}={rest.strip()}")
    return ",".join(parts).casefold()


def _same_name(text: str, name: x509.Name) -> bool:
    """Compare an issuer name written by some signer with the certificate's: the RFC 2253
    forms of Java (OID=#hex), of OpenSSL (emailAddress=) and of cryptography."""
    variants = {
        rfc2253_name(name),
        name.rfc4514_string(),
        name.rfc4514_string({NameOID.EMAIL_ADDRESS: "emailAddress"}),
        name.rfc4514_string({NameOID.EMAIL_ADDRESS: "E"}),
    }
    wanted = _normalise_name(text)
    return any(_normalise_name(v) == wanted for v in variants)


def _issued_by(child: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _check_chain(
    report: BordereauSignatureReport,
    certificate: x509.Certificate,
    candidates: list[x509.Certificate],
    trust_roots: Sequence[x509.Certificate],
    *,
    at: datetime,
    out: _Report,
) -> None:
    """Build the path to a trust root and check each link and validity period at ``at``."""
    report.chain_checked = True
    roots = list(trust_roots)
    root_ders = {r.public_bytes(serialization.Encoding.DER) for r in roots}
    path = [certificate]
    current = certificate
    for _step in range(_MAX_CHAIN):
        if current.public_bytes(serialization.Encoding.DER) in root_ders:
            break
        issuer = next((r for r in roots if _issued_by(current, r)), None)
        if issuer is None:
            issuer = next(
                (c for c in candidates if c not in path and _is_ca(c) and _issued_by(current, c)),
                None,
            )
        if issuer is None:
            report.chain_valid = False
            out.problem(
                "SIG_CHAIN",
                _("The certificate does not chain to a trusted authority."),
            )
            return
        path.append(issuer)
        current = issuer
        if issuer in roots:
            break
    report.chain_subjects = [c.subject.rfc4514_string() for c in path]
    expired = [c for c in path if not c.not_valid_before_utc <= at <= c.not_valid_after_utc]
    if expired:
        report.chain_valid = False
        out.problem(
            "SIG_CHAIN",
            _("The certificate of %(subject)s was not valid at the signing time.")
            % {"subject": expired[0].subject.rfc4514_string()},
        )
        return
    report.chain_valid = True


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False
