"""A tiny writer of plain-text PDF pages, for demo annexes and fixtures (not for acts).

Acts and séance documents are rendered by exports.documents with WeasyPrint; this writer only
produces small, valid annex files (a budget table, a plan) without any heavy dependency.
"""

from __future__ import annotations


def _escape(text: str) -> bytes:
    encoded = text.encode("cp1252", errors="replace")
    return encoded.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def text_pdf(pages: list[list[str]], *, title: str = "") -> bytes:
    """One PDF page per list of lines, in Helvetica (WinAnsi), A4."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    pages_index = add(b"")  # placeholder, filled once the kids are known
    kids = []
    for lines in pages:
        stream = (
            b"BT /F1 11 Tf 56 780 Td 14 TL "
            + b"".join(b"(" + _escape(line) + b") Tj T* " for line in lines)
            + b"ET"
        )
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                % (pages_index, font, content)
            )
        )
    objects[pages_index - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    info = add(b"<< /Title (" + _escape(title) + b") /Producer (Delibre) >>")
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_index)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        catalog,
        info,
        xref,
    )
    return bytes(out)
