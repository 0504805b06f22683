"""The WeasyPrint engine, set up once per process.

WeasyPrint (and its Pango/fontconfig/harfbuzz stack) is imported lazily: importing it costs
~1.5 s and a few tens of MB, and most Délibre processes (web workers serving lists, the ACTES
and PES exporters) never render a PDF.

One :class:`FontConfiguration` is shared by every render of the process, and the document
stylesheets are parsed once, because both are the bulk of a cold render. The font
configuration is *isolated*: it starts from an empty fontconfig configuration instead of the
system one, so the only fonts WeasyPrint can see are the ``@font-face`` files of
``exports/fonts``. A PDF therefore never depends on the fonts installed on the machine that
rendered it (reproducibility), and a missing glyph shows as a blank box instead of silently
falling back to a system font.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import logging
import shutil
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

logger = logging.getLogger("delibre.exports")

PACKAGE_DIR = Path(__file__).resolve().parent
CSS_DIR = PACKAGE_DIR / "css"
FONTS_DIR = PACKAGE_DIR.parent / "fonts"

#: WeasyPrint, Pango and fontconfig objects are not documented as thread-safe; Délibre renders
#: in Celery worker processes, but a threaded web server may preview: serialise renders.
RENDER_LOCK = threading.RLock()

_font_config: Any = None
_stylesheets: dict[tuple[str, int], Any] = {}
_string_stylesheets: dict[str, Any] = {}


def _isolated_font_configuration() -> Any:
    """A FontConfiguration built on an empty fontconfig configuration (no system fonts)."""
    from weasyprint.text.ffi import ffi, fontconfig, gobject, pangoft2
    from weasyprint.text.fonts import FontConfiguration

    class IsolatedFontConfiguration(FontConfiguration):
        def __init__(self) -> None:  # mirrors FontConfiguration.__init__ but for the config
            # WeasyPrint's cffi bindings do not declare FcConfigCreate; the library is the
            # same shared object WeasyPrint opened, so the pointer can be handed over.
            libname = ctypes.util.find_library("fontconfig")
            if not libname:
                raise OSError("fontconfig library not found")
            library = ctypes.CDLL(libname)
            library.FcConfigCreate.restype = ctypes.c_void_p
            address = library.FcConfigCreate()
            if not address:
                raise OSError("FcConfigCreate failed")
            self._config = ffi.cast("FcConfig *", address)
            self.font_map = ffi.gc(pangoft2.pango_ft2_font_map_new(), gobject.g_object_unref)
            pangoft2.pango_fc_font_map_set_config(
                ffi.cast("PangoFcFontMap *", self.font_map), self._config
            )
            # pango_fc_font_map_set_config keeps its own reference.
            fontconfig.FcConfigDestroy(self._config)
            self._folder = None
            self.strut_layouts = {}
            self.font_features = {}

    return IsolatedFontConfiguration()


@atexit.register
def _remove_font_folder() -> None:
    # WeasyPrint copies @font-face files to a temporary folder that its __del__ removes; at
    # interpreter exit that __del__ runs after module teardown and fails, so clean up first.
    if _font_config is not None and getattr(_font_config, "_folder", None):
        shutil.rmtree(_font_config._folder, ignore_errors=True)
        _font_config._folder = None


def font_config() -> Any:
    """The process-wide font configuration (created on first use)."""
    global _font_config
    with RENDER_LOCK:
        if _font_config is None:
            try:
                _font_config = _isolated_font_configuration()
            except (OSError, AttributeError) as error:  # an unusual fontconfig build
                from weasyprint.text.fonts import FontConfiguration

                logger.warning("isolated font configuration unavailable (%s); using system", error)
                _font_config = FontConfiguration()
        return _font_config


def url_fetcher() -> Any:
    """A fetcher that only reads ``data:`` URLs and files under the package's css/ and fonts/.

    Templates never reach the network or the rest of the disk: a document depends only on its
    snapshot (logos and images come as ``data:`` URLs built from verified bytes).
    """
    from weasyprint.urls import URLFetcher

    class LocalOnlyFetcher(URLFetcher):
        roots = (CSS_DIR, FONTS_DIR)

        def fetch(self, url: str, headers: Any = None) -> Any:
            scheme = url.split(":", 1)[0].lower()
            if scheme == "file":
                path = Path(unquote(urlsplit(url).path)).resolve()
                if not any(path.is_relative_to(root) for root in self.roots):
                    raise ValueError(f"file outside the document resources: {path}")
            elif scheme != "data":
                raise ValueError(f"documents may not load {scheme}: URLs")
            return super().fetch(url, headers)

    return LocalOnlyFetcher(allowed_protocols={"file", "data"}, fail_on_errors=True)


def stylesheet(name: str) -> Any:
    """The parsed stylesheet ``exports/documents/css/<name>``, cached per file version."""
    from weasyprint import CSS

    path = CSS_DIR / name
    key = (str(path), path.stat().st_mtime_ns)
    with RENDER_LOCK:
        cached = _stylesheets.get(key)
        if cached is None:
            cached = CSS(filename=str(path), font_config=font_config(), url_fetcher=url_fetcher())
            _stylesheets[key] = cached
        return cached


def string_stylesheet(source: str) -> Any:
    """A generated stylesheet (customisation colour, foreign page sizes), cached by content."""
    from weasyprint import CSS

    with RENDER_LOCK:
        cached = _string_stylesheets.get(source)
        if cached is None:
            if len(_string_stylesheets) > 256:  # generated sheets vary per pack: stay bounded
                _string_stylesheets.clear()
            cached = CSS(string=source, font_config=font_config(), url_fetcher=url_fetcher())
            _string_stylesheets[source] = cached
        return cached


def versions() -> dict[str, str]:
    """Versions of the libraries whose output ends up in the PDF bytes."""
    import pydyf
    import pypdf
    import weasyprint

    return {
        "weasyprint": weasyprint.__version__,
        "pydyf": pydyf.__version__,
        "pypdf": pypdf.__version__,
    }
