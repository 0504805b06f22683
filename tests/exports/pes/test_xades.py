"""Signing bordereaux in the Hélios XAdES profile, checked by xmlsec1 and by our verifier."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import pkcs12
from lxml import etree

from exports.pes import (
    HELIOS_POLICY_LEGACY,
    PesAlreadySigned,
    PesCertificateRefused,
    PesSignatureError,
    PesSigner,
    ProductionPlace,
    build_pes_aller,
    read_pes_aller,
    sign_flow,
    sign_flow_file,
    signer_from_pkcs12,
    signer_from_private_key,
    validate_xsd,
    verify_flow,
    xades,
)
from exports.pes._c14n import MarkupScanner, walk_bordereaux
from exports.pes._xmlio import open_source
from exports.pes.signers import rfc2253_name

from .conftest import NOW, xmlsec1_verify
from .flows import make_flow

SIGNATURE = re.compile(rb"<ds:Signature .*?</ds:Signature>", re.S)
NS = {
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "xad": "http://uri.etsi.org/01903/v1.1.1#",
}
SIGNING_TIME = NOW - dt.timedelta(days=1)


@pytest.fixture(scope="module")
def unsigned() -> bytes:
    return build_pes_aller(flow=make_flow())


@pytest.fixture(scope="module")
def signed(unsigned, pki) -> bytes:
    return sign_flow(
        unsigned,
        signer=pki.signer(),
        place=ProductionPlace(city="Saint-Étienne", postal_code="42000"),
        signing_time=SIGNING_TIME,
    )


def _write(tmp_path: Path, data: bytes, name: str = "flow.xml") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _xmlsec_results(path: Path, count: int, trusted_pem: Path) -> list[bool]:
    return [
        xmlsec1_verify(path, index, trusted_pem=trusted_pem).returncode == 0
        for index in range(1, count + 1)
    ]


def test_every_bordereau_signature_verifies_with_xmlsec1(signed, pki, tmp_path):
    path = _write(tmp_path, signed)

    runs = [xmlsec1_verify(path, index, trusted_pem=pki.root_pem) for index in (1, 2, 3)]

    assert [r.returncode for r in runs] == [0, 0, 0]
    assert [r.stderr.splitlines()[-3:-1] for r in runs] == [
        ["OK", "SignedInfo References (ok/all): 2/2"]
    ] * 3


def test_every_bordereau_signature_verifies_with_our_verifier(signed, pki):
    report = verify_flow(signed, trust_roots=[pki.root])

    assert report.valid is True
    assert [
        (b.element_id, b.valid, b.chain_valid, b.problems, b.warnings) for b in report.bordereaux
    ] == [
        ("BORD_DEP_2025_10", True, True, [], []),
        ("BORD_DEP_2025_11", True, True, [], []),
        ("BORD_REC_2025_5", True, True, [], []),
    ]


def test_signed_flow_is_valid_against_both_schema_sets_and_the_rules(signed):
    assert validate_xsd(signed, version="5.17") == []
    assert validate_xsd(signed, version="5.30") == []
    assert read_pes_aller(signed, for_sending=True).warnings == []


def test_signing_keeps_the_encoding_and_every_other_byte(unsigned, signed):
    without_signatures = SIGNATURE.sub(b"", signed)

    assert signed.startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>\n')
    assert without_signatures == unsigned.replace(
        b'<InfoDematerialisee V="0"/>', b'<InfoDematerialisee V="1"/>'
    )
    assert b"<xad:City>Saint-\xc9tienne</xad:City>" in signed


def test_signing_gives_an_id_to_a_bordereau_that_has_none(unsigned, pki, tmp_path):
    data = unsigned.replace(b'<Bordereau Id="BORD_DEP_2025_10">', b"<Bordereau>")

    signed = sign_flow(data, signer=pki.signer())

    assert signed.count(b'<Bordereau Id="BORD_DEP_2025_10">') == 1
    assert _xmlsec_results(_write(tmp_path, signed), 3, pki.root_pem) == [True, True, True]


def test_a_given_id_is_a_safe_xml_id_whatever_the_bordereau_number(unsigned, pki, tmp_path):
    data = unsigned.replace(b'<Bordereau Id="BORD_DEP_2025_10">', b"<Bordereau>").replace(
        b'<IdBord V="10"/>', b'<IdBord V="1&quot;0 &lt;\xe9"/>'
    )

    signed = sign_flow(data, signer=pki.signer())

    assert signed.count(b'<Bordereau Id="BORD_DEP_2025_10">') == 1
    assert _xmlsec_results(_write(tmp_path, signed), 3, pki.root_pem) == [True, True, True]


def test_tampering_with_one_amount_breaks_exactly_that_bordereau(signed, pki, tmp_path):
    # Pièce 5 is in the second bordereau.
    start = signed.index(b'<IdPce V="5"/>')
    amount = signed.index(b'<MtHT V="1250.50"/>', start)
    tampered = signed[:amount] + b'<MtHT V="1250.60"/>' + signed[amount + 19 :]
    path = _write(tmp_path, tampered)

    report = verify_flow(tampered, trust_roots=[pki.root])

    assert _xmlsec_results(path, 3, pki.root_pem) == [True, False, True]
    assert [(b.valid, [p.code for p in b.problems]) for b in report.bordereaux] == [
        (True, []),
        (False, ["SIG_DIGEST"]),
        (True, []),
    ]


def test_signature_follows_the_hélios_profile(signed, pki):
    root = etree.fromstring(signed)
    bordereau = root.find("PES_DepenseAller/Bordereau")
    signature = bordereau[-1]
    certificate_der = pki.signer_cert.public_bytes(serialization.Encoding.DER)

    def values(path):
        found = signature.xpath(path, namespaces=NS)
        return [e if isinstance(e, str) else e.text or e.get("Algorithm") for e in found]

    assert signature.tag == "{http://www.w3.org/2000/09/xmldsig#}Signature"
    assert signature.get("Id") == "BORD_DEP_2025_10_SIG_1"
    assert values("ds:SignedInfo/ds:CanonicalizationMethod") == [
        "http://www.w3.org/2001/10/xml-exc-c14n#"
    ]
    assert values("ds:SignedInfo/ds:SignatureMethod") == [
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    ]
    references = signature.findall("ds:SignedInfo/ds:Reference", NS)
    assert [(r.get("URI"), r.get("Type")) for r in references] == [
        ("#BORD_DEP_2025_10", None),
        ("#BORD_DEP_2025_10_SIG_1_SP", "http://uri.etsi.org/01903/v1.1.1#SignedProperties"),
    ]
    assert [
        [t.get("Algorithm") for t in r.findall("ds:Transforms/ds:Transform", NS)]
        for r in references
    ] == [
        [
            "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
            "http://www.w3.org/2001/10/xml-exc-c14n#",
        ],
        ["http://www.w3.org/2001/10/xml-exc-c14n#"],
    ]
    assert (
        values("ds:SignedInfo/ds:Reference/ds:DigestMethod")
        == ["http://www.w3.org/2001/04/xmlenc#sha256"] * 2
    )
    assert values("ds:KeyInfo/ds:X509Data/ds:X509Certificate") == [
        base64.b64encode(certificate_der).decode(),
        base64.b64encode(pki.intermediate.public_bytes(serialization.Encoding.DER)).decode(),
    ]
    props = "ds:Object/xad:QualifyingProperties/xad:SignedProperties/xad:SignedSignatureProperties"
    assert values("ds:Object/xad:QualifyingProperties/@Target") == ["#BORD_DEP_2025_10_SIG_1"]
    assert values(f"{props}/xad:SigningTime") == [SIGNING_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")]
    assert values(f"{props}/xad:SigningCertificate/xad:Cert/xad:CertDigest/*") == [
        "http://www.w3.org/2001/04/xmlenc#sha256",
        base64.b64encode(hashlib.sha256(certificate_der).digest()).decode(),
    ]
    assert values(f"{props}/xad:SigningCertificate/xad:Cert/xad:IssuerSerial/*") == [
        rfc2253_name(pki.intermediate.subject),
        str(pki.signer_cert.serial_number),
    ]
    assert values(f"{props}/xad:SignaturePolicyIdentifier/xad:SignaturePolicyId//*[not(*)]") == [
        "urn:oid:1.2.250.1.131.1.5.18.21.1.7",
        "Politique de signature Helios de la DGFiP",
        "http://www.w3.org/2001/04/xmlenc#sha256",
        "roF9+cfRHNPtVJolhdqfIqGMVuUXX8aR4rpiquf0u5E=",
        "https://www.collectivites-locales.gouv.fr/files/files/finances_locales/"
        "dematerialisation/ps_helios_dgfip.pdf",
    ]
    assert values(f"{props}/xad:SignatureProductionPlace/*") == [
        "Saint-Étienne",
        "42000",
        "France",
    ]
    assert values(f"{props}/xad:SignerRole/xad:ClaimedRoles/xad:ClaimedRole") == ["Ordonnateur"]


def test_rfc2253_name_writes_the_issuer_as_java_does(pki):
    email = b"pki@delibre.invalid"

    assert rfc2253_name(pki.intermediate.subject) == (
        "CN=Délibre Test Signing CA,"
        f"1.2.840.113549.1.9.1=#16{len(email):02x}{email.hex()},"
        "O=Commune de Délibre-Test\\, PKI,C=FR"
    )


@pytest.mark.parametrize(
    ("certificate", "key", "message"),
    [
        (
            "expired_cert",
            "expired_key",
            "The certificate of {subject} expired on {date}; it cannot sign. Sign with the valid certificate of the ordonnateur or of a delegate.",
        ),
        ("future_cert", "future_key", "The certificate of {subject} is only valid from {date}."),
        (
            "encryption_cert",
            "encryption_key",
            "The certificate of {subject} is not meant for signing (key usage).",
        ),
    ],
)
def test_signing_refuses_a_certificate_that_cannot_sign(
    unsigned, pki, certificate, key, message, tmp_path
):
    cert = getattr(pki, certificate)
    signer = signer_from_private_key(private_key=getattr(pki, key), certificate=cert)
    folder = tmp_path / "out"
    folder.mkdir()
    destination = folder / "signed.xml"
    date = cert.not_valid_after_utc if "expired" in message else cert.not_valid_before_utc

    with pytest.raises(PesCertificateRefused) as caught:
        sign_flow_file(unsigned, destination, signer=signer)

    assert str(caught.value) == message.format(
        subject=cert.subject.rfc4514_string(), date=date.date().isoformat()
    )
    assert list(folder.iterdir()) == []


def test_signing_refuses_a_key_that_does_not_match_the_certificate(unsigned, pki):
    def other_key(data: bytes) -> bytes:
        return pki.expired_key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    signer = PesSigner(certificate=pki.signer_cert, raw_sign=other_key)

    with pytest.raises(PesSignatureError) as caught:
        sign_flow(unsigned, signer=signer)

    assert str(caught.value) == (
        "The signing key does not match the certificate (the signature does not verify)."
    )


def test_signing_in_two_steps_completes_info_dematerialisee_at_the_end(unsigned, pki, tmp_path):
    first = sign_flow(unsigned, signer=pki.signer(), bordereau_ids={"BORD_DEP_2025_10"})

    assert first.count(b"<ds:Signature ") == 1
    assert re.findall(rb'<InfoDematerialisee V="(.)"/>', first) == [b"0", b"0"]
    with pytest.raises(PesAlreadySigned) as caught:
        sign_flow(first, signer=pki.signer(), bordereau_ids={"BORD_DEP_2025_10"})
    assert str(caught.value) == "Bordereau BORD_DEP_2025_10 is already signed."

    second = sign_flow(first, signer=pki.signer(), claimed_role="Adjoint délégué aux finances")

    assert re.findall(rb'<InfoDematerialisee V="(.)"/>', second) == [b"1", b"1"]
    assert SIGNATURE.findall(second)[0] == SIGNATURE.findall(first)[0]
    assert _xmlsec_results(_write(tmp_path, second), 3, pki.root_pem) == [True, True, True]
    roles = [b.claimed_role for b in verify_flow(second).bordereaux]
    assert roles == ["Ordonnateur", "Adjoint délégué aux finances", "Adjoint délégué aux finances"]


def test_signing_refuses_unknown_ids_and_fully_signed_flows(unsigned, signed, pki):
    with pytest.raises(PesSignatureError) as unknown:
        sign_flow(unsigned, signer=pki.signer(), bordereau_ids={"NOPE"})
    with pytest.raises(PesSignatureError) as nothing_left:
        sign_flow(signed, signer=pki.signer())

    assert str(unknown.value) == "No bordereau has the Id NOPE."
    assert str(nothing_left.value) == "There is no bordereau left to sign in this flow."


def test_signing_refuses_a_flow_with_a_global_signature(unsigned, pki):
    data = unsigned.replace(
        b"</n:PES_Aller>",
        b'<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/></n:PES_Aller>',
    )

    with pytest.raises(PesAlreadySigned) as caught:
        sign_flow(data, signer=pki.signer())

    assert str(caught.value) == (
        "The flow carries a global signature; signing its bordereaux would break it."
    )


def test_legacy_sha1_signatures_verify_with_xmlsec1_and_ours(unsigned, pki, tmp_path):
    signer = pki.signer(signature_algorithm="rsa-sha1")

    signed = sign_flow(
        unsigned, signer=signer, digest_algorithm="sha1", policy=HELIOS_POLICY_LEGACY
    )

    assert b"http://www.w3.org/2000/09/xmldsig#rsa-sha1" in signed
    assert _xmlsec_results(_write(tmp_path, signed), 3, pki.root_pem) == [True, True, True]
    report = verify_flow(signed)
    assert [
        (b.valid, b.digest_algorithm, b.signature_algorithm, b.policy_identifier)
        for b in report.bordereaux
    ] == [(True, "sha1", "rsa-sha1", "urn:oid:1.2.250.1.131.1.5.18.21.1.4")] * 3


def test_a_pkcs12_signer_signs(unsigned, pki, tmp_path):
    p12 = pkcs12.serialize_key_and_certificates(
        b"ordo",
        pki.signer_key,
        pki.signer_cert,
        [pki.intermediate],
        serialization.BestAvailableEncryption(b"secret"),
    )
    signer = signer_from_pkcs12(data=p12, password="secret")

    signed = sign_flow(unsigned, signer=signer)

    assert _xmlsec_results(_write(tmp_path, signed), 3, pki.root_pem) == [True, True, True]
    with pytest.raises(PesSignatureError) as caught:
        signer_from_pkcs12(data=p12, password="wrong")
    assert str(caught.value) == (
        "This certificate file cannot be opened (wrong password or not a PKCS#12): type the password again, or choose the .p12 or .pfx file of your certificate."
    )


SOFTHSM = next(
    (
        p
        for p in (
            "/usr/lib/softhsm/libsofthsm2.so",
            "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
        )
        if Path(p).exists()
    ),
    None,
)

_PKCS11_SCRIPT = textwrap.dedent(
    """
    import sys
    import pkcs11
    from pkcs11 import Attribute, KeyType
    from cryptography import x509
    lib = pkcs11.lib(sys.argv[1])
    token = lib.get_token(token_label="delibre")
    with token.open(rw=True, user_pin="1234") as session:
        public, private = session.generate_keypair(KeyType.RSA, 2048, store=True, label="ordo")
        sys.stdout.write(str(int.from_bytes(public[Attribute.MODULUS], "big")) + "\\n")
        sys.stdout.flush()
        certificate, *chain = x509.load_pem_x509_certificates(sys.stdin.buffer.read())
        import os, django
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        django.setup()
        from exports.pes import sign_flow, signer_from_pkcs11_key
        signer = signer_from_pkcs11_key(key=private, certificate=certificate, chain=chain)
        with open(sys.argv[2], "rb") as source, open(sys.argv[3], "wb") as out:
            out.write(sign_flow(source.read(), signer=signer))
    """
)


@pytest.mark.skipif(
    SOFTHSM is None or shutil.which("softhsm2-util") is None, reason="SoftHSM2 is not installed"
)
def test_a_pkcs11_token_signs(unsigned, pki, tmp_path):
    # A separate process: SoftHSM reads its configuration once per process.
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    config = tmp_path / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n")
    env = {"SOFTHSM2_CONF": str(config), "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            "delibre",
            "--pin",
            "1234",
            "--so-pin",
            "5678",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    source, target = _write(tmp_path, unsigned, "unsigned.xml"), tmp_path / "signed.xml"
    process = subprocess.Popen(
        [sys.executable, "-c", _PKCS11_SCRIPT, SOFTHSM, str(source), str(target)],
        env={**env, "PYTHONPATH": str(Path(__file__).resolve().parents[3])},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    modulus = int(process.stdout.readline())
    from cryptography.hazmat.primitives.asymmetric import rsa

    public_key = rsa.RSAPublicNumbers(65537, modulus).public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name.from_rfc4514_string("CN=Ordonnateur sur jeton,O=Commune,C=FR"))
        .issuer_name(pki.intermediate.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=100))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(pki.intermediate_key, hashes.SHA256())
    )
    _out, errors = process.communicate(
        certificate.public_bytes(serialization.Encoding.PEM)
        + pki.intermediate.public_bytes(serialization.Encoding.PEM),
        timeout=120,
    )
    assert process.returncode == 0, errors.decode()

    signed = target.read_bytes()

    assert _xmlsec_results(target, 3, pki.root_pem) == [True, True, True]
    report = verify_flow(signed, trust_roots=[pki.root])
    assert [(b.valid, b.signer_common_name) for b in report.bordereaux] == [
        (True, "Ordonnateur sur jeton")
    ] * 3


@pytest.mark.parametrize(
    ("name", "declaration", "entete_before", "entete_after"),
    [
        # One line, ISO-8859-1, no InfoDematerialisee: the signer adds it.
        (
            "pastell/PES_ex.xml",
            b'<?xml version="1.0" encoding="ISO-8859-1"?>',
            b'<EnTeteDepense><IdVer V="2"/></EnTeteDepense>',
            b'<EnTeteDepense><IdVer V="2"/><InfoDematerialisee V="1"/></EnTeteDepense>',
        ),
        # Indented UTF-8 from CORIPES, already InfoDematerialisee 1: only signatures are added.
        ("iparapheur/PESALR1_unsigned.xml", b'<?xml version="1.0" encoding="UTF-8"?>', b"", b""),
    ],
)
def test_real_unsigned_samples_can_be_signed(
    samples, pki, tmp_path, name, declaration, entete_before, entete_after
):
    data = (samples / name).read_bytes()

    signed = sign_flow(data, signer=pki.signer())

    assert signed.startswith(declaration)
    assert SIGNATURE.sub(b"", signed) == data.replace(entete_before, entete_after)
    assert _xmlsec_results(_write(tmp_path, signed), 1, pki.root_pem) == [True]
    assert verify_flow(signed).valid is True


def test_sign_flow_file_streams_to_a_path_and_reports(unsigned, pki, tmp_path):
    folder = tmp_path / "flows"
    folder.mkdir()
    source = _write(folder, unsigned, "in.xml")
    destination = folder / "out.xml"

    outcome = sign_flow_file(source, destination, signer=pki.signer())

    assert [(s.kind, s.element_id, s.id_added) for s in outcome.signed] == [
        ("depense", "BORD_DEP_2025_10", False),
        ("depense", "BORD_DEP_2025_11", False),
        ("recette", "BORD_REC_2025_5", False),
    ]
    assert outcome.complete is True
    assert outcome.size == destination.stat().st_size
    assert sorted(p.name for p in folder.iterdir()) == ["in.xml", "out.xml"]


def test_signing_refuses_a_file_changed_between_its_two_reads(unsigned, pki, tmp_path, monkeypatch):
    folder = tmp_path / "flows"
    folder.mkdir()
    source = _write(folder, unsigned, "in.xml")
    first_pass = xades._collect

    def first_pass_then_change(*args, **kwargs):
        result = first_pass(*args, **kwargs)
        source.write_bytes(unsigned.replace(b"1250.50", b"1250.60", 1))
        return result

    monkeypatch.setattr(xades, "_collect", first_pass_then_change)

    with pytest.raises(PesSignatureError) as caught:
        sign_flow_file(source, folder / "out.xml", signer=pki.signer())

    assert str(caught.value) == "The file changed while it was being signed."
    assert sorted(p.name for p in folder.iterdir()) == ["in.xml"]


# --- the streaming canonicalisation -----------------------------------------------------------

ODD_BORDEREAU = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<!-- a comment before the root -->
<n:PES_Aller xmlns:n="http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"
   xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:x="urn:example:x">
 <PES_DepenseAller>
  <EnTeteDepense><IdVer V="2"/></EnTeteDepense>
  <Bordereau   x:extra='a&quot;b' Id="B1" xml:lang="fr">
\t<!-- </Bordereau> in a comment -->
\t<BlocBordereau><Exer V="2025"/><IdBord V="1"/></BlocBordereau><?pi some data?>
\ttext &amp; more &#x3C;&#13;
\t<Piece xmlns:y="urn:example:y"><y:Z a="1&#9;2&#10;3"><![CDATA[<Bordereau x>]]></y:Z>
\t\t<BlocPiece><InfoPce><Obj V="caf\xe9 &lt;&gt;"/></InfoPce></BlocPiece></Piece>
  <ds:Signature Id="S"><ds:SignedInfo/></ds:Signature>
  </Bordereau>
  <Bordereau Id="B2"><BlocBordereau/><Piece/></Bordereau>
 </PES_DepenseAller>
</n:PES_Aller>
"""


def _tree_digests(data: bytes) -> list[bytes]:
    root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False))
    digests = []
    for bordereau in root.iter("Bordereau"):
        for signature in bordereau.findall("ds:Signature", NS):
            tail = signature.tail
            previous = signature.getprevious()
            bordereau.remove(signature)
            if tail:  # the enveloped-signature transform keeps the text after the signature
                previous.tail = (previous.tail or "") + tail
        digests.append(
            hashlib.sha256(
                etree.tostring(bordereau, method="c14n", exclusive=True, with_comments=False)
            ).digest()
        )
    return digests


@pytest.mark.parametrize("kind", ["built", "signed", "odd", "berger-levrault"])
def test_streaming_digest_equals_lxml_whole_tree_c14n(kind, unsigned, signed, samples):
    data = {
        "built": unsigned,
        "signed": signed,
        "odd": ODD_BORDEREAU,
        "berger-levrault": (samples / "stela/PESALR2_25060187900027_190328_001.xml").read_bytes(),
    }[kind]

    with open_source(data) as (reader, _prolog, _size):
        walk = walk_bordereaux(reader, algorithms=("sha256",))

    assert [b.digests["sha256"] for b in walk.bordereaux] == _tree_digests(data)


@pytest.mark.parametrize("read_size", [1, 2, 3, 7, 64, 300, 100_000])
def test_markup_scanner_finds_real_tags_whatever_the_reads(read_size):
    scanner = MarkupScanner()
    source = io.BytesIO(ODD_BORDEREAU)
    offset = 0
    while chunk := source.read(read_size):
        scanner(chunk, offset)
        offset += len(chunk)
    scanner(b"", offset)

    found = [(m.name, m.end_tag, ODD_BORDEREAU[m.start : m.name_end]) for m in scanner.marks]
    assert found == [
        ("EnTeteDepense", False, b"<EnTeteDepense"),
        ("EnTeteDepense", True, b"</EnTeteDepense"),
        ("Bordereau", False, b"<Bordereau"),
        ("Bordereau", True, b"</Bordereau"),
        ("Bordereau", False, b"<Bordereau"),
        ("Bordereau", True, b"</Bordereau"),
    ]
    assert [ODD_BORDEREAU[m.start : m.end] for m in scanner.marks if m.end_tag] == [
        b"</EnTeteDepense>",
        b"</Bordereau>",
        b"</Bordereau>",
    ]


def test_signing_the_odd_bordereau_verifies_with_xmlsec1(pki, tmp_path):
    data = ODD_BORDEREAU.replace(b'<ds:Signature Id="S"><ds:SignedInfo/></ds:Signature>', b"")

    signed = sign_flow(data, signer=pki.signer())

    assert _xmlsec_results(_write(tmp_path, signed), 2, pki.root_pem) == [True, True]
    assert [b.valid for b in verify_flow(signed).bordereaux] == [True, True]


def test_signer_keeps_the_chain_it_was_given(pki):
    signer = pki.signer()

    assert signer.chain == (pki.intermediate,)
    assert signer.certificate.serial_number == pki.signer_cert.serial_number
