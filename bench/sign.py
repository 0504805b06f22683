"""Signing benchmark (issue 5): Délibre's PAdES path against a plain default pyHanko call.

Run from the project root:  .venv/bin/python bench/sign.py [--acts 20] [--rounds 2]

Signs the same batch of 3-page acts (each with two pre-created visible signature fields) and
prints, side by side, the median time per act of:

(a) Délibre's path: ``signing.pades.sign_pdf`` with the key loaded once per process
    (``signing.keys.load_pkcs12_signer``: the parsed key is kept), ``bytes_reserved``, the
    Noto Sans stamp. Shown with the certificate checked once for the batch (how batch signing
    works) and, for information, checked again for every act (OCSP + CRL requests);
(b) a plain default pyHanko call per act: ``SimpleSigner.load_pkcs12`` then
    ``signers.sign_pdf`` with default settings (size estimated by a dry-run signature,
    pyHanko's default appearance);
(c) for information, (b) with the same Noto Sans stamp through pyHanko's
    ``GlyphAccumulatorFactory`` (the documented recipe, notes/signing.md §1.1).

at B-B and at B-T with the demo TSA on loopback (``python -m signing.pki serve`` in a separate
process, as a real TSA would be), then the ratio (b)/(a). Targets (issue 5): (a) ≤ 40 ms at B-B, ≥ 4× faster than (b), ≤ 80 ms
at B-T. Figures only: timings are never asserted in tests.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from signing.fields import add_signature_fields  # noqa: E402
from signing.keys import check_signing_certificate, load_pkcs12_signer  # noqa: E402
from signing.pades import DEFAULT_FONT, StampText, sign_pdf  # noqa: E402
from signing.pki import SEAL, bind_loopback_socket, generate_pki  # noqa: E402
from signing.trust import TrustSettings  # noqa: E402

PASSWORD = "bench-password"
KEY_CACHE = ROOT / "var" / "bench-pki-keys"
FIELDS = [("Maire", 2, (320, 60, 565, 150)), ("Secretaire", 2, (30, 60, 290, 150))]


def make_act(number: int) -> bytes:
    """A 3-page act (text in Helvetica) with its two signature fields, like the renderer's."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

    writer = PdfFileWriter()
    font = writer.add_object(
        generic.DictionaryObject(
            {
                generic.pdf_name("/Type"): generic.pdf_name("/Font"),
                generic.pdf_name("/Subtype"): generic.pdf_name("/Type1"),
                generic.pdf_name("/BaseFont"): generic.pdf_name("/Helvetica"),
            }
        )
    )
    resources = generic.DictionaryObject(
        {generic.pdf_name("/Font"): generic.DictionaryObject({generic.pdf_name("/F1"): font})}
    )
    for page in range(1, 4):
        lines = [f"Deliberation 2026-{number:03d}, page {page}"] + [
            f"Article {i}. Le conseil municipal approuve le point {i} de l'ordre du jour."
            for i in range(1, 40)
        ]
        ops = ["BT /F1 10 Tf 14 TL 56 780 Td"] + [f"({line}) '" for line in lines] + ["ET"]
        content = writer.add_object(generic.StreamObject(stream_data="\n".join(ops).encode()))
        writer.insert_page(
            PageObject(contents=content, media_box=(0, 0, 595, 842), resources=resources)
        )
    out = io.BytesIO()
    writer.write(out)
    return add_signature_fields(out.getvalue(), FIELDS)


def start_pki_service(directory: Path, port: int) -> subprocess.Popen[bytes]:
    """Serve the PKI from another process; return once its port accepts connections."""
    process = subprocess.Popen(
        [sys.executable, "-m", "signing.pki", "serve", "--dir", str(directory)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("The PKI service did not start.")


def median_ms(action: Callable[[bytes], bytes], acts: list[bytes], rounds: int) -> float:
    action(acts[0])  # warm-up: imports, font reduction, first connections
    times = []
    for _ in range(rounds):
        for act in acts:
            start = time.perf_counter()
            action(act)
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--acts", type=int, default=20, help="acts in the batch (default 20)")
    parser.add_argument("--rounds", type=int, default=2, help="passes over the batch (default 2)")
    args = parser.parse_args()

    from pyhanko.pdf_utils import text
    from pyhanko.pdf_utils.font import opentype
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers, timestamps
    from pyhanko.stamp import TextStampStyle

    acts = [make_act(n) for n in range(1, args.acts + 1)]
    probe = bind_loopback_socket()  # a free port, released for the service process
    port = probe.getsockname()[1]
    probe.close()
    with tempfile.TemporaryDirectory(prefix="delibre-bench-") as tmp:
        pki = generate_pki(
            directory=Path(tmp) / "pki", password=PASSWORD, port=port, key_cache=KEY_CACHE
        )
        p12_path = str(pki.p12_path(SEAL))
        trust = TrustSettings(trust_roots=tuple(pki.trust_roots))
        stamp = StampText(signer_name="Commune de Démo", quality="Cachet serveur")
        noto_style = TextStampStyle(
            stamp_text="%(stamp)s",
            text_box_style=text.TextBoxStyle(
                font=opentype.GlyphAccumulatorFactory(str(DEFAULT_FONT)), font_size=9
            ),
        )

        service = start_pki_service(pki.directory, port)
        try:
            seal = load_pkcs12_signer(data=pki.p12_bytes(SEAL), password=PASSWORD)  # once
            check_signing_certificate(
                cert=seal.signing_cert, intermediates=seal.cert_registry, trust=trust
            )  # once for the batch

            def ours(level: str, per_act_check: bool) -> Callable[[bytes], bytes]:
                return lambda pdf: sign_pdf(
                    pdf,
                    signer=seal,
                    field_name="Maire",
                    level=level,
                    stamp=stamp,
                    trust=trust,
                    timestamper_url=pki.tsa_url,
                    check_certificate=per_act_check,
                )

            def plain(level: str, style: TextStampStyle | None) -> Callable[[bytes], bytes]:
                def run(pdf: bytes) -> bytes:
                    signer = signers.SimpleSigner.load_pkcs12(
                        p12_path, passphrase=PASSWORD.encode()
                    )
                    meta = signers.PdfSignatureMetadata(
                        field_name="Maire",
                        md_algorithm="sha256",
                        subfilter=fields.SigSeedSubFilter.PADES,
                    )
                    out = io.BytesIO()
                    tsa = timestamps.HTTPTimeStamper(pki.tsa_url) if level == "B-T" else None
                    if style is None:
                        signers.sign_pdf(
                            IncrementalPdfFileWriter(io.BytesIO(pdf)),
                            meta,
                            signer=signer,
                            timestamper=tsa,
                            output=out,
                        )
                    else:
                        signers.PdfSigner(
                            meta, signer=signer, timestamper=tsa, stamp_style=style
                        ).sign_pdf(
                            IncrementalPdfFileWriter(io.BytesIO(pdf)),
                            output=out,
                            appearance_text_params={"stamp": stamp.text()},
                        )
                    return out.getvalue()

                return run

            rows = []
            for level in ("B-B", "B-T"):
                rows.append(
                    (
                        level,
                        median_ms(ours(level, False), acts, args.rounds),
                        median_ms(ours(level, True), acts, args.rounds),
                        median_ms(plain(level, None), acts, args.rounds),
                        median_ms(plain(level, noto_style), acts, args.rounds),
                    )
                )
            long_term = {
                level: median_ms(ours(level, True), acts[:10], 1) for level in ("B-LT", "B-LTA")
            }
        finally:
            service.terminate()
            service.wait(timeout=10)

    print(
        f"Signing benchmark: {args.acts} acts x {args.rounds} rounds, 3 pages each "
        f"(~{len(acts[0]) // 1024} KiB), RSA-2048 seal, SHA-256, Python "
        f"{platform.python_version()}, {os.cpu_count()} CPU"
    )
    print("Median ms per act:")
    header = (
        f"{'level':6} {'(a) Délibre':>12} {'(a) +check/act':>15} {'(b) plain':>10} "
        f"{'(c) plain+Noto':>15} {'ratio b/a':>10}"
    )
    print(header)
    for level, a, a_check, b, c in rows:
        print(f"{level:6} {a:12.1f} {a_check:15.1f} {b:10.1f} {c:15.1f} {b / a:9.1f}x")
    print(
        "For information, (a) with its certificate check: "
        + ", ".join(f"{level} {ms:.1f} ms" for level, ms in long_term.items())
        + " (revocation data fetched, embedded; B-LTA adds a document timestamp)."
    )
    b_b, b_t = rows[0], rows[1]
    print(
        "Targets: B-B ≤ 40 ms: "
        f"{'met' if b_b[1] <= 40 else 'MISSED'} ({b_b[1]:.1f}); "
        f"≥ 4x faster than plain: {'met' if b_b[3] / b_b[1] >= 4 else 'MISSED'} "
        f"({b_b[3] / b_b[1]:.1f}x); "
        f"B-T ≤ 80 ms: {'met' if b_t[1] <= 80 else 'MISSED'} ({b_t[1]:.1f})."
    )


if __name__ == "__main__":
    main()
