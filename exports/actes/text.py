"""Text that must travel in ISO-8859-1 (the @ctes messages and S2LOW's ``subject`` field).

Decision on characters outside Latin-1: a short, fixed table of typographic characters that
word processors insert into ordinary French text is **transliterated** to their usual Latin-1
spelling, because refusing "l’école" or "1 000 €" would only make clerks retype the same words;
the meaning is unchanged (’ → ', “ ” → ", – — → -, … → ..., € → EUR, œ → oe, narrow and thin
spaces → space, ligatures ﬁ → fi; zero-width characters are dropped). Anything else outside
Latin-1 (Greek, emoji, ™, ‰, Cyrillic…) is **refused** with an error naming the characters, since
any replacement would change the text of a legal act behind the user's back. Text is normalised
to NFC first, so decomposed accents (e + U+0301, as macOS pastes them) become é and pass.
The prepared text is what is sent: callers should store or show it, not the raw input.
"""

from __future__ import annotations

import unicodedata

from django.utils.translation import gettext as _

from deliberations.enums import OBJET_MAX_LENGTH

from .exceptions import InvalidActesData

TRANSLITERATIONS = {
    "\u2018": "'",  # ‘ left single quotation mark
    "\u2019": "'",  # ’ right single quotation mark (the French apostrophe of word processors)
    "\u201a": "'",  # ‚
    "\u201b": "'",  # ‛
    "\u2032": "'",  # ′ prime
    "\u201c": '"',  # “
    "\u201d": '"',  # ”
    "\u201e": '"',  # „
    "\u201f": '"',  # ‟
    "\u2033": '"',  # ″ double prime
    "\u2010": "-",  # ‐ hyphen
    "\u2011": "-",  # ‑ non-breaking hyphen
    "\u2012": "-",  # ‒ figure dash
    "\u2013": "-",  # – en dash
    "\u2014": "-",  # — em dash
    "\u2212": "-",  # − minus sign
    "\u2026": "...",  # … ellipsis
    "\u20ac": "EUR",  # € (in Windows-1252 but not in ISO-8859-1)
    "\u0153": "oe",  # œ
    "\u0152": "OE",  # Œ
    "\u0178": "Y",  # Ÿ (ÿ is Latin-1)
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\u2002": " ",
    "\u2003": " ",
    "\u2004": " ",
    "\u2005": " ",
    "\u2006": " ",
    "\u2007": " ",  # figure space
    "\u2008": " ",
    "\u2009": " ",  # thin space
    "\u200a": " ",
    "\u202f": " ",  # narrow no-break space (French typography before ; : ! ? €)
    "\t": " ",
    "\u200b": "",  # zero-width space
    "\u200c": "",
    "\u200d": "",
    "\u2060": "",
    "\ufeff": "",  # byte order mark pasted inside text
}
_TABLE = str.maketrans(TRANSLITERATIONS)
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def _describe(chars: list[str]) -> str:
    return ", ".join(f"«{char}» (U+{ord(char):04X})" for char in chars)


def to_latin1(value: str, *, field: str, label: str) -> str:
    """Return ``value`` ready for ISO-8859-1: NFC, known typography transliterated.

    ``field`` is the input's name (kept on the error for forms), ``label`` its translated name
    for the message. Raises InvalidActesData naming the characters that have no Latin-1 equivalent, or control
    characters (which XML 1.0 or the prefecture would reject).
    """
    text = unicodedata.normalize("NFC", value).translate(_TABLE)
    foreign = list(dict.fromkeys(char for char in text if ord(char) > 0xFF))
    if foreign:
        raise InvalidActesData(
            _(
                "The %(field)s contains characters that the prefecture's format (ISO-8859-1) "
                "cannot carry: %(chars)s. Replace them with ordinary letters or punctuation."
            )
            % {"field": label, "chars": _describe(foreign[:5])},
            code="not_latin1",
            field=field,
        )
    controls = list(dict.fromkeys(c for c in text if unicodedata.category(c) == "Cc"))
    if controls:
        raise InvalidActesData(
            _("The %(field)s contains invisible control characters (%(chars)s): remove them.")
            % {"field": label, "chars": ", ".join(f"U+{ord(c):04X}" for c in controls[:5])},
            code="control_characters",
            field=field,
        )
    return text


def prepare_objet(*, objet: str) -> str:
    """Return the objet exactly as it will be sent: one line, 1–499 Latin-1 characters.

    No side effects. Raises InvalidActesData (multi-line, empty, too long, not representable).
    """
    if any(char in _LINE_BREAKS for char in objet):
        raise InvalidActesData(
            _("The objet must fit on one line: remove the line breaks and try again."),
            code="objet_multiline",
            field="objet",
        )
    text = to_latin1(objet, field="objet", label=_("objet")).strip()
    if not text:
        raise InvalidActesData(
            _("The objet is empty: describe the act in one sentence."),
            code="objet_empty",
            field="objet",
        )
    if len(text) > OBJET_MAX_LENGTH:
        raise InvalidActesData(
            _(
                "The objet has %(length)d characters; the prefecture accepts at most %(max)d. "
                "Shorten it and try again."
            )
            % {"length": len(text), "max": OBJET_MAX_LENGTH},
            code="objet_too_long",
            field="objet",
        )
    return text
