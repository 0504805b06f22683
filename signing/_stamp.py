"""The visible signature's appearance: a text stamp in Noto Sans, embedded as a subset.

Imported lazily by :mod:`signing.pades` (it imports pyHanko and fontTools).
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from .exceptions import SigningError

if TYPE_CHECKING:
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
    from pyhanko.pdf_utils.writer import BasePdfFileWriter


# Latin scripts (French, European and Vietnamese names), punctuation, €, №, ™.
_STAMP_CODEPOINTS: tuple[int, ...] = (
    *range(0x20, 0x7F),
    *range(0xA0, 0x250),
    *range(0x1E00, 0x1F00),
    *range(0x2000, 0x2070),
    0x20AC,
    0x2116,
    0x2122,
)


@lru_cache(maxsize=4)
def _font_bytes(font_path: str, *, reduced: bool) -> tuple[bytes, frozenset[int]]:
    """The font file, or a copy reduced to the Latin glyphs stamps use, and what it covers.

    Why reduced: pyHanko subsets the embedded font at every signature, and fontTools needs
    ~150 ms to do that on the whole Noto Sans (3 300 glyphs, GSUB/GPOS) against a few ms on
    this ~70 KB copy, made once per process (~0.2 s).
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    try:
        data = Path(font_path).read_bytes()
        font = TTFont(io.BytesIO(data))
    except (OSError, ValueError) as exc:  # fontTools raises ValueError-like errors on junk
        raise SigningError(
            _("The stamp font %(path)s cannot be read.") % {"path": font_path}
        ) from exc
    if not reduced:
        return data, frozenset(font.getBestCmap())
    options = subset.Options()
    options.hinting = False  # screen hinting is useless in a PDF appearance
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.layout_features = []
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=_STAMP_CODEPOINTS)
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue(), frozenset(font.getBestCmap())


def stamp_style_for(font_path: str, text: str) -> Any:
    """The stamp style for ``text``: the reduced font when it covers every character."""
    _data, covered = _font_bytes(font_path, reduced=True)
    reduced = all(ord(char) in covered for char in text if char != "\n")
    return _stamp_style(font_path, reduced=reduced)


@lru_cache(maxsize=8)
def _stamp_style(font_path: str, *, reduced: bool) -> Any:
    """The text stamp style, built once per font (the font file is read once per process)."""
    from pyhanko import stamp
    from pyhanko.pdf_utils import layout, text
    from pyhanko.pdf_utils.font.api import FontEngineFactory
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulator

    font, _covered = _font_bytes(font_path, reduced=reduced)

    class _InMemoryFont(FontEngineFactory):
        # pyHanko's GlyphAccumulatorFactory reopens the file at every signature (and never
        # closes it); the bytes are kept instead.
        def create_font_engine(
            self, writer: BasePdfFileWriter, obj_stream: Any = None
        ) -> GlyphAccumulator:
            if obj_stream is None and writer.stream_xrefs:
                obj_stream = writer.prepare_object_stream()
            return GlyphAccumulator(
                writer=writer,
                font_handle=io.BytesIO(font),
                font_size=9,
                obj_stream=obj_stream,
            )

    return stamp.TextStampStyle(
        # The whole text is one parameter: "%" in a signer's name or reason stays literal.
        stamp_text="%(stamp)s",
        text_box_style=text.TextBoxStyle(font=_InMemoryFont(), font_size=9, leading=12),
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins(left=6, right=6, top=4, bottom=4),
            inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
        ),
        border_width=1,
        background=None,
    )
