"""Parsing untrusted XML safely (DESIGN.md decision 9).

Entity resolution, DTD loading and network access are off; trees are bounded in size and depth;
the caller bounds the number of bytes read.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from lxml import etree

from .exceptions import InvalidInput


class InvalidXml(InvalidInput):
    code = "invalid_xml"


def safe_parser(**overrides: bool) -> etree.XMLParser:
    options = {
        "resolve_entities": False,
        "no_network": True,
        "load_dtd": False,
        "dtd_validation": False,
        "huge_tree": False,
        "remove_blank_text": False,
    }
    options.update(overrides)
    return etree.XMLParser(**options)


def parse_xml(content: bytes, *, max_bytes: int = 20 * 1024 * 1024) -> etree._ElementTree:
    """Parse bytes into a tree or raise InvalidXml with a readable reason."""
    if len(content) > max_bytes:
        raise InvalidXml(
            _("The XML file is larger than %(limit)d MB.") % {"limit": max_bytes // (1024 * 1024)}
        )
    if b"<!DOCTYPE" in content[:4096] or b"<!ENTITY" in content[:65536]:
        raise InvalidXml(_("XML files with a DOCTYPE or entity declarations are refused."))
    try:
        return etree.ElementTree(etree.fromstring(content, parser=safe_parser()))
    except etree.XMLSyntaxError as exc:
        raise InvalidXml(
            _("The file is not well-formed XML (line %(line)s): %(reason)s")
            % {"line": exc.lineno, "reason": exc.msg}
        ) from exc
