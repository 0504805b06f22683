"""poppler's ``pdfsig``: the independent validator of our PDF signatures.

pdfsig checks the CMS signature and the digest with NSS, a different implementation from
pyHanko's; it does not judge later incremental updates (only pyHanko's diff analysis does) nor
RFC 3161 document timestamps ("Unimplemented Feature"), and its exit code is 0 even on "Digest
Mismatch" (notes/signing.md §3): the text output is what counts.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from .exceptions import InvalidDocument


@dataclass(frozen=True)
class PdfsigSignature:
    """One entry of ``pdfsig``'s text output (poppler lists fields, not revisions)."""

    number: int
    field_name: str
    signed: bool
    common_name: str | None = None
    distinguished_name: str | None = None
    signing_time: str | None = None
    hash_algorithm: str | None = None
    signature_type: str | None = None
    signed_ranges: str | None = None
    total_document_signed: bool | None = None
    signature_validation: str | None = None  # e.g. "Signature is Valid.", "Digest Mismatch."
    certificate_validation: str | None = None

    @property
    def signature_valid(self) -> bool:
        return self.signature_validation == "Signature is Valid."


@dataclass(frozen=True)
class PdfsigReport:
    signatures: tuple[PdfsigSignature, ...]
    output: str  # the raw text, for diagnostics


_PDFSIG_KEYS = {
    "Signature Field Name": "field_name",
    "Signer Certificate Common Name": "common_name",
    "Signer full Distinguished Name": "distinguished_name",
    "Signing Time": "signing_time",
    "Signing Hash Algorithm": "hash_algorithm",
    "Signature Type": "signature_type",
    "Signed Ranges": "signed_ranges",
    "Signature Validation": "signature_validation",
    "Certificate Validation": "certificate_validation",
}


def run_pdfsig(
    pdf: bytes, *, nss_dir: Path | str | None = None, timeout: float = 60.0
) -> PdfsigReport:
    """Run poppler's ``pdfsig`` on ``pdf`` and parse its text output.

    Without ``nss_dir`` certificates are not checked (``-nocert``): pdfsig then judges the
    CMS signature and digest only, which is what we use it for. With an NSS database it also
    checks the chain (and queries OCSP). Raises :class:`InvalidDocument` when pdfsig cannot
    open the file, RuntimeError when pdfsig is not installed. Side effect: a temporary file.
    """
    executable = shutil.which("pdfsig")
    if executable is None:
        raise RuntimeError("pdfsig (Debian package poppler-utils) is not installed.")
    with tempfile.TemporaryDirectory(prefix="delibre-pdfsig-") as tmp:
        path = Path(tmp) / "document.pdf"
        path.write_bytes(pdf)
        args = [executable]
        args += ["-nssdir", f"sql:{nss_dir}"] if nss_dir is not None else ["-nocert"]
        completed = subprocess.run(  # fixed executable, our own temporary file
            [*args, str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,  # its exit code says nothing about validity: we parse the text
        )
    output = completed.stdout + completed.stderr
    if "Digital Signature Info of" not in output and "does not contain any signatures" not in (
        output
    ):
        raise InvalidDocument(
            _("pdfsig cannot read this document: %(output)s") % {"output": output.strip()}
        )
    return PdfsigReport(signatures=tuple(_parse_pdfsig(completed.stdout)), output=output)


_PDFSIG_HEADER = re.compile(r"^Signature #(\d+):\s*$")
_PDFSIG_ITEM = re.compile(r"^\s+- ([^:]+): (.*)$")


def _parse_pdfsig(text: str) -> list[PdfsigSignature]:
    entries: list[dict[str, Any]] = []
    for line in text.splitlines():
        header = _PDFSIG_HEADER.match(line)
        if header:
            entries.append({"number": int(header.group(1)), "signed": True, "field_name": ""})
            continue
        if not entries:
            continue
        current = entries[-1]
        if "The signature form field is not signed." in line:
            current["signed"] = False
            continue
        stripped = line.strip()
        if stripped == "- Total document signed":
            current["total_document_signed"] = True
            continue
        if stripped == "- Not total document signed":
            current["total_document_signed"] = False
            continue
        item = _PDFSIG_ITEM.match(line)
        if item and item.group(1) in _PDFSIG_KEYS:
            current[_PDFSIG_KEYS[item.group(1)]] = item.group(2).strip()
    return [PdfsigSignature(**entry) for entry in entries]
