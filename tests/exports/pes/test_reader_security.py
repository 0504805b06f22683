"""Hostile XML is refused early, with a domain error, without reading or holding it all."""

from __future__ import annotations

import os

import pytest

from exports.pes import (
    PesFileRefused,
    PesInvalidFile,
    build_pes_aller,
    read_pes_acquit,
    read_pes_aller,
    sign_flow,
    validate_xsd,
    verify_flow,
)

from .flows import make_flow

HEAD = (
    b'<?xml version="1.0" encoding="ISO-8859-1"?>\n'
    b'<n:PES_Aller xmlns:n="http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller">'
)
BILLION_LAUGHS = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<n:PES_Aller xmlns:n="http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller">
<Enveloppe><Parametres><Version V="2"/><TypFic V="&lol9;"/><NomFic V="X"/></Parametres>
<Emetteur><Sigle V="X"/><Adresse V="X"/></Emetteur></Enveloppe></n:PES_Aller>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE n:PES_Aller [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<n:PES_Aller xmlns:n="http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller">
<Enveloppe><Parametres><Version V="2"/><TypFic V="PESALR2"/><NomFic V="&xxe;"/></Parametres>
<Emetteur><Sigle V="X"/><Adresse V="X"/></Emetteur></Enveloppe></n:PES_Aller>
"""


def _refusal_codes(call, data, **kwargs):
    with pytest.raises(PesFileRefused) as caught:
        call(data, **kwargs)
    return [i.code for i in caught.value.issues]


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["laughs", "xxe"])
@pytest.mark.parametrize(
    "call",
    [read_pes_aller, validate_xsd, verify_flow, read_pes_acquit],
    ids=["read", "validate", "verify", "acquit"],
)
def test_entity_declarations_are_refused_by_every_reader(call, data):
    assert _refusal_codes(call, data) == ["FILE_DTD"]


def test_entity_declarations_are_refused_by_the_signer(pki):
    assert _refusal_codes(sign_flow, EXTERNAL_ENTITY, signer=pki.signer()) == ["FILE_DTD"]


def test_external_entity_content_never_reaches_the_messages():
    with pytest.raises(PesFileRefused) as caught:
        read_pes_aller(EXTERNAL_ENTITY)

    assert str(caught.value) == "XML files with a DOCTYPE or entity declarations are refused."
    assert "root:" not in repr(caught.value.issues)


def test_a_doctype_after_a_long_comment_is_refused():
    data = (
        b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<!--'
        + b"x" * 60_000
        + b"-->\n"
        + EXTERNAL_ENTITY.split(b"\n", 1)[1]
    )

    assert _refusal_codes(read_pes_aller, data) == ["FILE_DTD"]


def test_a_prolog_longer_than_64_kb_is_refused():
    data = b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<!--' + b"x" * 70_000 + b"-->" + HEAD

    assert _refusal_codes(read_pes_aller, data) == ["FILE_NOT_XML"]


def test_a_declared_2_gb_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.xml"
    with path.open("wb") as handle:
        handle.write(HEAD)
        handle.truncate(2 * 1024**3)  # sparse: 2 GB declared, a few kB on disk

    codes = _refusal_codes(read_pes_aller, path)

    assert codes == ["FILE_TOO_LARGE"]
    assert path.stat().st_size == 2 * 1024**3
    assert path.stat().st_blocks * 512 < 1024 * 1024


class _EndlessFlow:
    """A file object serving a well-formed PES_Aller that never ends."""

    def __init__(self) -> None:
        self.served = 0
        self._head = HEAD + b'<Enveloppe><Parametres><Version V="2"/>'

    def read(self, size: int = -1) -> bytes:
        size = 65536 if size is None or size < 0 else size
        chunk, self._head = self._head, b""
        chunk += b'<TypFic V="PESALR2"/>' * (size // 20)
        self.served += len(chunk)
        return chunk


def test_an_endless_stream_is_cut_at_the_size_limit():
    stream = _EndlessFlow()

    codes = _refusal_codes(read_pes_aller, stream, max_bytes=2 * 1024 * 1024)

    assert codes == ["FILE_TOO_LARGE"]
    assert stream.served <= 2 * 1024 * 1024 + 2 * 65536


def test_deep_nesting_is_refused():
    data = HEAD + b"<Enveloppe>" + b"<a>" * 100_000 + b"</a>" * 100_000

    with pytest.raises(PesFileRefused) as caught:
        read_pes_aller(data)

    assert [i.code for i in caught.value.issues] == ["FILE_NOT_XML"]
    assert str(caught.value) == "The XML elements are nested too deeply (line 2)."


def test_a_text_node_over_10_mb_is_refused():
    data = build_pes_aller(flow=make_flow(), validate=False)
    start = data.index(b'<Fichier MIMEType="application/pdf">') + 36
    data = data[:start] + b"QUFB" * 2_700_000 + data[start:]

    with pytest.raises(PesFileRefused) as caught:
        read_pes_aller(data)

    assert [i.code for i in caught.value.issues] == ["FILE_NOT_XML"]
    assert str(caught.value).startswith("The file holds a text value larger than 10 MB")


class _Counting:
    def __init__(self, data: bytes):
        self.data = data
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        size = len(self.data) if size is None or size < 0 else size
        chunk = self.data[self.position : self.position + size]
        self.position += len(chunk)
        return chunk


def test_a_flood_of_elements_is_refused_before_the_end_of_the_file():
    data = HEAD + b"<Enveloppe><Parametres>" + b"<x/>" * 1_000_000 + b"</Parametres>"
    stream = _Counting(data)

    with pytest.raises(PesInvalidFile) as caught:
        read_pes_aller(stream)

    assert [i.code for i in caught.value.issues] == ["FILE_STRUCTURE"]
    assert stream.position < len(data) // 4


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "FILE_EMPTY"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "FILE_NOT_XML"),
        ("<?xml version='1.0' encoding='UTF-16'?><a/>".encode("utf-16"), "FILE_ENCODING"),
        (b'<?xml version="1.0" encoding="EBCDIC-FR"?><a/>', "FILE_ENCODING"),
        (b'<?xml version="1.0" encoding="windows-1252"?><a/>', "FILE_ENCODING"),
        (b'\xef\xbb\xbf<?xml version="1.0" encoding="ISO-8859-1"?><a/>', "FILE_ENCODING"),
        (b"<?xml version=1.0?><a/>", "FILE_NOT_XML"),
        (
            HEAD.replace(b"ISO-8859-1", b"UTF-8")
            + b'<Enveloppe><Parametres><NomFic V="caf\xe9"/></Parametres></Enveloppe>',
            "FILE_NOT_XML",
        ),
        (HEAD + b'<Enveloppe V="&undefined;"/></n:PES_Aller>', "FILE_NOT_XML"),
        (HEAD + b"<Enveloppe>", "FILE_NOT_XML"),
    ],
    ids=[
        "empty",
        "pdf",
        "utf16",
        "ebcdic",
        "cp1252",
        "bom-latin1",
        "bad-declaration",
        "latin1-declared-utf8",
        "undefined-entity",
        "truncated",
    ],
)
def test_unreadable_input_is_refused_with_its_code(data, code):
    assert _refusal_codes(read_pes_aller, data) == [code]


def test_a_missing_path_is_refused(tmp_path):
    assert _refusal_codes(read_pes_aller, tmp_path / "absent.xml") == ["FILE_UNREADABLE"]


def test_a_file_of_exactly_the_limit_is_read_and_one_byte_more_is_not(tmp_path):
    data = build_pes_aller(flow=make_flow(), validate=False)
    path = tmp_path / "flow.xml"
    path.write_bytes(data)

    assert read_pes_aller(path, max_bytes=len(data)).size == len(data)
    assert _refusal_codes(read_pes_aller, path, max_bytes=len(data) - 1) == ["FILE_TOO_LARGE"]
    assert os.path.getsize(path) == len(data)


def _truncated() -> bytes:
    data = build_pes_aller(flow=make_flow(), validate=False)
    return data[: data.index(b"<Piece>", 2000) + 40]


def _trailing() -> bytes:
    return build_pes_aller(flow=make_flow(), validate=False) + b"<x/>"


# With a schema plugged into the parser, libxml2 reports no error for a truncated file: each
# validating reader must notice it did not reach the end.
@pytest.mark.parametrize("data", [_truncated(), _trailing()], ids=["truncated", "trailing"])
@pytest.mark.parametrize(
    "call", [read_pes_aller, validate_xsd, verify_flow], ids=["read", "validate", "verify"]
)
def test_a_broken_flow_is_refused_with_its_line(call, data):
    with pytest.raises(PesFileRefused) as caught:
        call(data)

    [issue] = caught.value.issues
    assert issue.code == "FILE_NOT_XML"
    assert issue.line is not None


def test_a_truncated_flow_is_not_signed(pki):
    assert _refusal_codes(sign_flow, _truncated(), signer=pki.signer()) == ["FILE_NOT_XML"]


def test_a_truncated_stream_is_refused_even_when_it_cannot_be_read_again():
    with pytest.raises(PesFileRefused) as caught:
        read_pes_aller(_Counting(_truncated()))

    assert str(caught.value) == "The file is not well-formed XML."
