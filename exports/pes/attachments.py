"""Reading one PES_PJ attachment back out of a flow (the signer opens the deliberation PDF).

Streaming (the flow may be large), with the same safe parser options as the reader, and bounded
once decompressed: a gzip bomb stops at ``max_size``. Pure function over a source; no Django
model here.
"""

from __future__ import annotations

import base64
import binascii
import zlib

from django.utils.translation import gettext as _
from lxml import etree

from ._xmlio import DEFAULT_MAX_BYTES, SAFE_ITERPARSE_OPTIONS, Source, open_source
from .exceptions import PesFileRefused

MAX_ATTACHMENT = 50 * 1024 * 1024


def extract_attachment(
    source: Source, id_unique: str, *, max_size: int = MAX_ATTACHMENT
) -> tuple[bytes, str, str] | None:
    """(content, file name, MIME type) of the PES_PJ/PJ whose IdUnique is ``id_unique``, or
    None when the flow carries no such attachment. Raises PesFileRefused for an unreadable
    flow or an attachment that cannot be decoded or is too large once decompressed."""
    with open_source(source, max_bytes=DEFAULT_MAX_BYTES) as (reader, _prolog, _size):
        context = etree.iterparse(
            reader,
            events=("end",),
            tag=("PJ", "Piece", "Bordereau"),
            remove_comments=True,
            remove_pis=True,
            **SAFE_ITERPARSE_OPTIONS,
        )
        try:
            for _event, element in context:
                if element.tag != "PJ" or element.getparent() is None:
                    element.clear(keep_tail=False)
                    continue
                identifier = element.find("IdUnique")
                if identifier is None or identifier.get("V") != id_unique:
                    element.clear(keep_tail=False)
                    continue
                fichier = element.find("Contenu/Fichier")
                name_element = element.find("NomPJ")
                name = name_element.get("V") if name_element is not None else None
                mime = fichier.get("MIMEType") if fichier is not None else None
                encoded = "".join((fichier.text or "").split()) if fichier is not None else ""
                return _decode(encoded, max_size), name or id_unique, mime or "application/pdf"
        except etree.XMLSyntaxError as exc:
            raise PesFileRefused(
                _("The flow cannot be read: %(reason)s") % {"reason": exc}
            ) from exc
    return None


def _decode(encoded: str, max_size: int) -> bytes:
    try:
        compressed = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PesFileRefused(_("The attachment is not valid base64.")) from exc
    decompressor = zlib.decompressobj(wbits=31)  # gzip
    try:
        content = decompressor.decompress(compressed, max_size + 1)
    except zlib.error as exc:
        raise PesFileRefused(_("The attachment is not gzip-compressed.")) from exc
    if len(content) > max_size:
        raise PesFileRefused(_("The attachment is too large once decompressed."))
    return content
