"""Signing the bordereaux of a PES_Aller in the Hélios XAdES profile (DESIGN.md decision 7).

Profile (shared/notes/signing.md §4, checked against the real Berger-Levrault and LiberSign
samples): one *enveloped* ``ds:Signature``, last child of each ``Bordereau``; two references,
``#<Bordereau/@Id>`` (transforms enveloped-signature + exclusive C14N) and the XAdES
``SignedProperties`` (``Type=…v1.1.1#SignedProperties``, explicit exclusive C14N transform);
exclusive C14N of SignedInfo; XAdES 1.1.1 namespace; SigningTime ending in ``Z``;
SigningCertificate v1 (CertDigest + IssuerSerial with an RFC 2253 issuer); the DGFiP Hélios
signature policy; SignatureProductionPlace; SignerRole/ClaimedRoles/ClaimedRole; KeyInfo with
the certificate (and chain). rsa-sha256/sha256 by default, rsa-sha1/sha1 for legacy.

The key is only a callable, ``raw_sign(data) -> signature`` (RSA PKCS#1 v1.5 over the hash of
``data``), so a PKCS#12 key and a PKCS#11 token work alike.

:func:`sign_flow_file` streams: one pass computes each bordereau's digest child by child
(:mod:`exports.pes._c14n`) and notes byte positions; the second copies the file, inserting the
signatures (and missing Ids) and setting ``InfoDematerialisee``. The bytes outside those edits
are untouched, so the file keeps its encoding declaration and bytes.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Literal
from xml.sax.saxutils import escape

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.utils.translation import gettext as _
from lxml import etree

from ._c14n import Mark, MarkupScanner, WalkedBordereau, exc_c14n, walk_bordereaux
from ._xmlio import DEFAULT_MAX_BYTES, Source, open_source
from .exceptions import PesAlreadySigned, PesSignatureError
from .model import Kind, default_bordereau_id
from .signers import HASHES, PesSigner, check_certificate_usable, rfc2253_name

NS_DS = "http://www.w3.org/2000/09/xmldsig#"
NS_XADES_111 = "http://uri.etsi.org/01903/v1.1.1#"
C14N_EXCLUSIVE = "http://www.w3.org/2001/10/xml-exc-c14n#"
TRANSFORM_ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SIGNED_PROPERTIES_TYPE = NS_XADES_111 + "SignedProperties"

DigestName = Literal["sha256", "sha1"]

DIGEST_URIS: dict[str, str] = {
    "sha1": "http://www.w3.org/2000/09/xmldsig#sha1",
    "sha256": "http://www.w3.org/2001/04/xmlenc#sha256",
    "sha512": "http://www.w3.org/2001/04/xmlenc#sha512",
}
SIGNATURE_URIS: dict[str, str] = {
    "rsa-sha1": "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    "rsa-sha256": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "rsa-sha512": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
}


@dataclass(frozen=True, slots=True)
class SignaturePolicy:
    """A signature policy as XAdES SignaturePolicyId states it."""

    identifier: str
    description: str
    digest_algorithm: str  # sha1 / sha256
    digest_value: str  # base64 of the policy document's hash
    spuri: str


#: The DGFiP Hélios policy found in current real flows (Berger-Levrault 2019 sample, LiberSign
#: fixture): OID …1.7, SHA-256 hash of ps_helios_dgfip.pdf. The LiberSign fixture writes the
#: same hash without its final "=" padding.
HELIOS_POLICY = SignaturePolicy(
    identifier="urn:oid:1.2.250.1.131.1.5.18.21.1.7",
    description="Politique de signature Helios de la DGFiP",
    digest_algorithm="sha256",
    digest_value="roF9+cfRHNPtVJolhdqfIqGMVuUXX8aR4rpiquf0u5E=",
    spuri=(
        "https://www.collectivites-locales.gouv.fr/files/files/finances_locales/"
        "dematerialisation/ps_helios_dgfip.pdf"
    ),
)
#: The older policy of i-Parapheur and xemelios code (2012–2018): OID …1.4, SHA-1 hash.
HELIOS_POLICY_LEGACY = SignaturePolicy(
    identifier="urn:oid:1.2.250.1.131.1.5.18.21.1.4",
    description="Politique de signature Helios de la DGFiP",
    digest_algorithm="sha1",
    digest_value="Jkdb+aba0Hz6+ZPKmKNhPByzQ+Q=",
    spuri="https://portail.dgfip.finances.gouv.fr/documents/PS_Helios_DGFiP.pdf",
)
KNOWN_POLICIES = (HELIOS_POLICY, HELIOS_POLICY_LEGACY)


@dataclass(frozen=True, slots=True)
class ProductionPlace:
    city: str | None = None
    postal_code: str | None = None
    country: str | None = "France"


# --- one signature ----------------------------------------------------------------------------


def _ds(tag: str) -> str:
    return f"{{{NS_DS}}}{tag}"


def _xad(tag: str) -> str:
    return f"{{{NS_XADES_111}}}{tag}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def build_signature(
    *,
    reference_id: str,
    digest: bytes,
    signer: PesSigner,
    signing_time: datetime,
    digest_algorithm: DigestName,
    policy: SignaturePolicy,
    claimed_role: str | None,
    place: ProductionPlace | None,
) -> etree._Element:
    """The ``ds:Signature`` element of one bordereau whose enveloped exc-C14N digest is
    ``digest``. Calls ``signer.raw_sign`` once and checks its result with the certificate."""
    signature_id = f"{reference_id}_SIG_1"
    properties_id = f"{signature_id}_SP"
    certificate = signer.certificate
    E = etree.SubElement  # reads like the XML it builds

    signature = etree.Element(_ds("Signature"), nsmap={"ds": NS_DS}, Id=signature_id)
    signed_info = E(signature, _ds("SignedInfo"))
    E(signed_info, _ds("CanonicalizationMethod"), Algorithm=C14N_EXCLUSIVE)
    E(signed_info, _ds("SignatureMethod"), Algorithm=SIGNATURE_URIS[signer.signature_algorithm])
    reference = E(signed_info, _ds("Reference"), URI=f"#{reference_id}")
    transforms = E(reference, _ds("Transforms"))
    E(transforms, _ds("Transform"), Algorithm=TRANSFORM_ENVELOPED)
    E(transforms, _ds("Transform"), Algorithm=C14N_EXCLUSIVE)
    E(reference, _ds("DigestMethod"), Algorithm=DIGEST_URIS[digest_algorithm])
    E(reference, _ds("DigestValue")).text = _b64(digest)
    properties_reference = E(
        signed_info, _ds("Reference"), Type=SIGNED_PROPERTIES_TYPE, URI=f"#{properties_id}"
    )
    transforms = E(properties_reference, _ds("Transforms"))
    E(transforms, _ds("Transform"), Algorithm=C14N_EXCLUSIVE)
    E(properties_reference, _ds("DigestMethod"), Algorithm=DIGEST_URIS[digest_algorithm])
    properties_digest = E(properties_reference, _ds("DigestValue"))
    signature_value = E(signature, _ds("SignatureValue"), Id=f"{signature_id}_SV")
    x509_data = E(E(signature, _ds("KeyInfo")), _ds("X509Data"))
    for cert in (certificate, *signer.chain):
        E(x509_data, _ds("X509Certificate")).text = _b64(
            cert.public_bytes(serialization.Encoding.DER)
        )

    qualifying = etree.SubElement(
        E(signature, _ds("Object")),
        _xad("QualifyingProperties"),
        nsmap={"xad": NS_XADES_111},
        Target=f"#{signature_id}",
    )
    properties = E(
        E(qualifying, _xad("SignedProperties"), Id=properties_id), _xad("SignedSignatureProperties")
    )
    E(properties, _xad("SigningTime")).text = signing_time.astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    cert_element = E(E(properties, _xad("SigningCertificate")), _xad("Cert"))
    cert_digest = E(cert_element, _xad("CertDigest"))
    E(cert_digest, _xad("DigestMethod"), Algorithm=DIGEST_URIS[digest_algorithm])
    E(cert_digest, _xad("DigestValue")).text = _b64(
        hashlib.new(digest_algorithm, certificate.public_bytes(serialization.Encoding.DER)).digest()
    )
    issuer_serial = E(cert_element, _xad("IssuerSerial"))
    E(issuer_serial, _ds("X509IssuerName")).text = rfc2253_name(certificate.issuer)
    E(issuer_serial, _ds("X509SerialNumber")).text = str(certificate.serial_number)
    policy_id = E(E(properties, _xad("SignaturePolicyIdentifier")), _xad("SignaturePolicyId"))
    sig_policy_id = E(policy_id, _xad("SigPolicyId"))
    E(sig_policy_id, _xad("Identifier")).text = policy.identifier
    E(sig_policy_id, _xad("Description")).text = policy.description
    policy_hash = E(policy_id, _xad("SigPolicyHash"))
    E(policy_hash, _xad("DigestMethod"), Algorithm=DIGEST_URIS[policy.digest_algorithm])
    E(policy_hash, _xad("DigestValue")).text = policy.digest_value
    qualifier = E(E(policy_id, _xad("SigPolicyQualifiers")), _xad("SigPolicyQualifier"))
    E(qualifier, _xad("SPURI")).text = policy.spuri
    if place is not None and (place.city or place.postal_code or place.country):
        production = E(properties, _xad("SignatureProductionPlace"))
        for tag, value in (
            ("City", place.city),
            ("PostalCode", place.postal_code),
            ("CountryName", place.country),
        ):
            if value:
                E(production, _xad(tag)).text = value
    if claimed_role:
        E(
            E(E(properties, _xad("SignerRole")), _xad("ClaimedRoles")), _xad("ClaimedRole")
        ).text = claimed_role

    properties_digest.text = _b64(hashlib.new(digest_algorithm, exc_c14n(qualifying[0])).digest())
    canonical_signed_info = exc_c14n(signed_info)
    raw_signature = signer.raw_sign(canonical_signed_info)
    try:
        public_key = certificate.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):  # refused by check_certificate_usable
            raise InvalidSignature
        public_key.verify(
            raw_signature,
            canonical_signed_info,
            padding.PKCS1v15(),
            HASHES[signer.signature_algorithm](),
        )
    except InvalidSignature as exc:
        raise PesSignatureError(
            _("The signing key does not match the certificate (the signature does not verify).")
        ) from exc
    signature_value.text = _b64(raw_signature)
    return signature


# --- a whole flow -----------------------------------------------------------------------------


@dataclass(slots=True)
class SignedBordereau:
    kind: Kind
    element_id: str
    exercice: str | None
    id_bord: str | None
    id_added: bool


@dataclass(slots=True)
class SignedFlow:
    """What :func:`sign_flow_file` did."""

    signing_time: datetime
    signed: list[SignedBordereau] = field(default_factory=list)
    already_signed: list[str] = field(default_factory=list)
    complete: bool = False  # every bordereau of the flow is now signed
    size: int = 0


@dataclass(slots=True)
class _Edit:
    start: int
    end: int
    data: bytes


def _collect(
    reader_source: Source,
    *,
    signer: PesSigner,
    bordereau_ids: Collection[str] | None,
    digest_algorithm: DigestName,
    policy: SignaturePolicy,
    claimed_role: str | None,
    place: ProductionPlace | None,
    signing_time: datetime,
    max_bytes: int,
) -> tuple[list[_Edit], SignedFlow, bytes]:
    wanted = set(bordereau_ids) if bordereau_ids is not None else None
    scanner = MarkupScanner()
    source_digest = hashlib.sha256()
    outcome = SignedFlow(signing_time=signing_time)
    signatures: dict[int, bytes] = {}
    encoding = "ISO-8859-1"

    def extra_id(kind: Kind, element: etree._Element) -> str | None:
        values = {c.tag: c.get("V") for c in element.iterfind("BlocBordereau/*")}
        return default_bordereau_id(kind, values.get("Exer"), values.get("IdBord"))

    def on_bordereau(walked: WalkedBordereau) -> None:
        element_id = walked.element_id or ""
        if walked.signatures:
            if wanted is not None and element_id in wanted:
                raise PesAlreadySigned(
                    _("Bordereau %(id)s is already signed.") % {"id": element_id}
                )
            outcome.already_signed.append(element_id)
            return
        if wanted is not None and element_id not in wanted:
            return
        signature = build_signature(
            reference_id=element_id,
            digest=walked.digests[digest_algorithm],
            signer=signer,
            signing_time=signing_time,
            digest_algorithm=digest_algorithm,
            policy=policy,
            claimed_role=claimed_role,
            place=place,
        )
        # Written in the file's own encoding; characters outside it become references,
        # which canonicalise back to the same text.
        signatures[walked.position] = etree.tostring(signature, encoding="unicode").encode(
            encoding, "xmlcharrefreplace"
        )
        outcome.signed.append(
            SignedBordereau(
                kind=walked.kind,
                element_id=element_id,
                exercice=walked.exercice,
                id_bord=walked.id_bord,
                id_added=walked.id_added,
            )
        )

    with open_source(reader_source, max_bytes=max_bytes) as (reader, prolog, _size):
        encoding = prolog.encoding
        reader.observers.append(scanner)
        reader.observers.append(lambda chunk, _offset: source_digest.update(chunk))
        walk = walk_bordereaux(
            reader,
            algorithms=(digest_algorithm,),
            extra_id=extra_id,
            on_bordereau=on_bordereau,
        )
        scanner.finish()
    if walk.has_global_signature:
        raise PesAlreadySigned(
            _("The flow carries a global signature; signing its bordereaux would break it.")
        )
    if wanted is not None:
        missing = wanted - {b.element_id for b in walk.bordereaux}
        if missing:
            raise PesSignatureError(
                _("No bordereau has the Id %(ids)s.") % {"ids": ", ".join(sorted(missing))}
            )
    if not outcome.signed:
        raise PesSignatureError(_("There is no bordereau left to sign in this flow."))
    seen_ids: set[str] = set()
    for walked in walk.bordereaux:
        if walked.element_id in seen_ids:
            raise PesSignatureError(
                _("Two bordereaux have the Id %(id)s.") % {"id": walked.element_id}
            )
        seen_ids.add(walked.element_id or "")
    marks: dict[str, tuple[list[Mark], list[Mark]]] = {
        name: ([], []) for name in ("Bordereau", "EnTeteDepense", "EnTeteRecette")
    }
    for mark in scanner.marks:
        marks[mark.name][1 if mark.end_tag else 0].append(mark)
    starts, ends = marks["Bordereau"]
    if len(starts) != len(walk.bordereaux) or len(ends) != len(walk.bordereaux):
        raise PesSignatureError(
            _("The bordereaux of this file cannot be located safely; it cannot be signed.")
        )
    edits: list[_Edit] = []
    signed_positions = set(signatures)
    for walked, start, end in zip(walk.bordereaux, starts, ends, strict=True):
        if walked.position not in signed_positions:
            continue
        # The digest included the Id when extra_id added it: add it to the bytes too.
        if walked.id_added:  # an NCName made of letters, digits and "_" (default_bordereau_id)
            edits.append(
                _Edit(start.name_end, start.name_end, f' Id="{walked.element_id}"'.encode("ascii"))
            )
        edits.append(_Edit(end.start, end.start, signatures[walked.position]))
    signed_ids = {s.element_id for s in outcome.signed} | set(outcome.already_signed)
    all_signed = True
    for kind, element in (("depense", "EnTeteDepense"), ("recette", "EnTeteRecette")):
        kind_bordereaux = [b for b in walk.bordereaux if b.kind == kind]
        if not kind_bordereaux:
            continue
        complete = all(b.element_id in signed_ids for b in kind_bordereaux)
        all_signed = all_signed and complete
        values = walk.domains.get(kind, {})  # type: ignore[call-overload]
        if complete and values.get("InfoDematerialisee") not in ("1", "true"):
            head_starts, head_ends = marks[element]
            if len(head_starts) != 1 or len(head_ends) != 1 or head_ends[0].end is None:
                raise PesSignatureError(
                    _("The %(element)s block cannot be located safely; the flow cannot be signed.")
                    % {"element": element}
                )
            id_ver = escape(values.get("IdVer") or "2", {'"': "&quot;"})
            replacement = f'<{element}><IdVer V="{id_ver}"/><InfoDematerialisee V="1"/></{element}>'
            edits.append(
                _Edit(
                    head_starts[0].start,
                    head_ends[0].end,
                    replacement.encode(encoding, "xmlcharrefreplace"),
                )
            )
    outcome.complete = all_signed
    edits.sort(key=lambda e: (e.start, e.end))
    return edits, outcome, source_digest.digest()


def _apply(read: Callable[[int], bytes], out: IO[bytes], edits: list[_Edit]) -> tuple[int, bytes]:
    """Copy the source to ``out`` applying ``edits``; ``read(n)`` reads up to n bytes.

    Returns the bytes written and the SHA-256 of the source as read, which the caller compares
    with the first pass: the edits are offsets into that very content."""
    position = written = 0
    seen = hashlib.sha256()

    def take(limit: int) -> bytes:
        chunk = read(limit)
        if not chunk and limit:
            raise PesSignatureError(_("The file changed while it was being signed."))
        seen.update(chunk)
        return chunk

    for edit in edits:
        while position < edit.start:
            chunk = take(min(1 << 20, edit.start - position))
            out.write(chunk)
            written += len(chunk)
            position += len(chunk)
        out.write(edit.data)
        written += len(edit.data)
        while position < edit.end:
            position += len(take(min(1 << 20, edit.end - position)))
    while chunk := read(1 << 20):
        seen.update(chunk)
        out.write(chunk)
        written += len(chunk)
    return written, seen.digest()


def sign_flow_file(
    source: str | os.PathLike[str] | bytes,
    destination: str | os.PathLike[str] | IO[bytes],
    *,
    signer: PesSigner,
    bordereau_ids: Collection[str] | None = None,
    claimed_role: str | None = "Ordonnateur",
    place: ProductionPlace | None = None,
    policy: SignaturePolicy = HELIOS_POLICY,
    digest_algorithm: DigestName = "sha256",
    signing_time: datetime | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> SignedFlow:
    """Sign the bordereaux of a PES_Aller (all unsigned ones, or those whose Id is in
    ``bordereau_ids``) and write the signed flow to ``destination``.

    Memory stays flat: the source is read twice (digests, then copy with insertions). A
    bordereau without Id gets ``BORD_DEP_<exercice>_<IdBord>`` (or ``BORD_REC_…``).
    ``InfoDematerialisee`` is set to 1 in each domain whose bordereaux are then all signed.
    ``claimed_role`` is the role the signer claims ("Ordonnateur", or a delegate's quality).
    ``signing_time`` defaults to now; it is also the time the certificate is checked at, so
    interfaces must not let users choose it (a past time would let an expired key sign).

    Raises :class:`PesCertificateRefused` (expired, not yet valid, wrong usage) before reading
    anything, :class:`PesAlreadySigned`, :class:`PesSignatureError`, or
    :class:`~exports.pes.exceptions.PesFileRefused` for unreadable input. Side effects: reads
    the source; writes ``destination`` (a path is written through a temporary file and renamed,
    so it never holds a partial flow). A source that changes between the two reads is refused.
    """
    when = (signing_time or datetime.now(UTC)).astimezone(UTC)
    check_certificate_usable(signer.certificate, at=when)
    edits, outcome, first_digest = _collect(
        source,
        signer=signer,
        bordereau_ids=bordereau_ids,
        digest_algorithm=digest_algorithm,
        policy=policy,
        claimed_role=claimed_role,
        place=place,
        signing_time=when,
        max_bytes=max_bytes,
    )
    with open_source(source, max_bytes=max_bytes) as (reader, _prolog, _size):
        if isinstance(destination, str | os.PathLike):
            target = Path(destination)
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".pes-", suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as out:
                    outcome.size, digest = _apply(reader.read, out, edits)
                _same_source(digest, first_digest)
                Path(temporary).replace(target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        else:
            outcome.size, digest = _apply(reader.read, destination, edits)
            _same_source(digest, first_digest)
    return outcome


def _same_source(digest: bytes, first_digest: bytes) -> None:
    if digest != first_digest:
        raise PesSignatureError(_("The file changed while it was being signed."))


def sign_flow(
    xml: bytes,
    *,
    signer: PesSigner,
    bordereau_ids: Collection[str] | None = None,
    claimed_role: str | None = "Ordonnateur",
    place: ProductionPlace | None = None,
    policy: SignaturePolicy = HELIOS_POLICY,
    digest_algorithm: DigestName = "sha256",
    signing_time: datetime | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> bytes:
    """:func:`sign_flow_file` for a flow held in memory; returns the signed bytes.
    No side effect."""
    out = io.BytesIO()
    sign_flow_file(
        xml,
        out,
        signer=signer,
        bordereau_ids=bordereau_ids,
        claimed_role=claimed_role,
        place=place,
        policy=policy,
        digest_algorithm=digest_algorithm,
        signing_time=signing_time,
        max_bytes=max_bytes,
    )
    return out.getvalue()
