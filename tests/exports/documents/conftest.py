"""Fixtures of the document renderer tests: realistic snapshots, their files, a French catalogue.

The French wording of the documents lives in ``exports/documents/TRANSLATIONS_fr.po-snippet``
until the lead merges it into ``locale/fr/LC_MESSAGES/django.po``. The ``french`` fixture
compiles the snippet (``msgfmt``) into a temporary locale folder placed first in
``LOCALE_PATHS``, so the French strings are checked exactly today; once the snippet is merged
and removed, the same tests run against the project catalogue.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SNIPPET = (
    Path(__file__).resolve().parents[3] / "exports" / "documents" / "TRANSLATIONS_fr.po-snippet"
)


def load_snapshot(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture
def fixture_files() -> dict[str, bytes]:
    """Every binary fixture (logo, annex PDFs) keyed by its SHA-256, as render_pdf expects."""
    files = {}
    for path in FIXTURES.iterdir():
        if path.suffix in {".pdf", ".svg"}:
            data = path.read_bytes()
            files[hashlib.sha256(data).hexdigest()] = data
    return files


@pytest.fixture
def customisation() -> dict:
    return load_snapshot("customisation")


@pytest.fixture
def french(settings, tmp_path):
    """French catalogue of the renderer, compiled from the snippet while it is not merged."""
    if SNIPPET.exists():
        if shutil.which("msgfmt") is None:
            pytest.skip("msgfmt (gettext) is needed to compile the French snippet")
        target = tmp_path / "locale" / "fr" / "LC_MESSAGES"
        target.mkdir(parents=True)
        subprocess.run(["msgfmt", "-o", str(target / "django.mo"), str(SNIPPET)], check=True)
        settings.LOCALE_PATHS = [tmp_path / "locale", *settings.LOCALE_PATHS]
    return "fr"


def pdf_text(content: bytes) -> list[str]:
    """Text of each page with line breaks joined, keeping U+00A0 and U+202F as they are."""
    import io

    from pypdf import PdfReader

    pages = []
    for page in PdfReader(io.BytesIO(content)).pages:
        text = page.extract_text()
        text = re.sub(r"-\n", "-", text)
        pages.append(re.sub(r"[ \n]+", " ", text))
    return pages
