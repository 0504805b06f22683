"""Rendering benchmark (issue 4): WeasyPrint in-process vs a warm LibreOffice, and pack assembly.

Run from the project root:  .venv/bin/python bench/render.py [--runs 10] [--acts 50]

Prints, in one run and side by side:
- the median time to render a 3-page act in-process (``render_pdf``, warm process);
- the median time to convert the same HTML to PDF with a warm LibreOffice listener through UNO
  (Webdelib's way). python3-uno is Debian's and only imports in /usr/bin/python3, so a small
  helper runs there, started once and kept warm, and reports its own conversion times;
- the time to assemble a 50-act séance pack (``assemble_pack``) from stored act PDFs.

Needs Debian packages libreoffice-writer-nogui and python3-uno for the LibreOffice column
(skipped with a note otherwise). Figures only: timings are never asserted in tests.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.template.loader import render_to_string  # noqa: E402
from django.utils import translation  # noqa: E402

from exports.documents import SignatureFieldSpec, assemble_pack, render_pdf  # noqa: E402
from exports.documents.acts import build_act  # noqa: E402
from exports.documents.context import parse_customisation  # noqa: E402

FIXTURES = ROOT / "tests" / "exports" / "documents" / "fixtures"
FIELDS = [SignatureFieldSpec(name="Sig_Maire"), SignatureFieldSpec(name="Sig_Secretaire")]

UNO_HELPER = r"""
import sys, time, uno
from com.sun.star.beans import PropertyValue

def prop(name, value):
    p = PropertyValue(); p.Name = name; p.Value = value; return p

port = int(sys.argv[1])
local = uno.getComponentContext()
resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
for _ in range(200):
    try:
        ctx = resolver.resolve(f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext")
        break
    except Exception:
        time.sleep(0.1)
desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
print("ready", flush=True)
for line in sys.stdin:
    source, target = line.rstrip("\n").split("\t")
    start = time.perf_counter()
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(source), "_blank", 0,
        (prop("Hidden", True), prop("FilterName", "HTML (StarWriter)")))
    doc.storeToURL(uno.systemPathToFileUrl(target), (prop("FilterName", "writer_pdf_Export"),))
    doc.close(True)
    print(f"{time.perf_counter() - start:.6f}", flush=True)
"""


def load(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def fixture_files() -> dict[str, bytes]:
    return {
        hashlib.sha256(p.read_bytes()).hexdigest(): p.read_bytes()
        for p in FIXTURES.iterdir()
        if p.suffix in {".pdf", ".svg"}
    }


def three_page_act() -> dict:
    snapshot = load("act_deliberation")
    snapshot["act"]["annexes"] = []  # the act itself: 3 pages
    return snapshot


def bench_weasyprint(snapshot, files, customisation, runs):
    render_pdf(
        template_name="pdf/act.html",
        snapshot=snapshot,
        signature_fields=FIELDS,
        customisation=customisation,
        files=files,
    )  # warm-up: imports, fonts, stylesheets
    times, pages = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        rendered = render_pdf(
            template_name="pdf/act.html",
            snapshot=snapshot,
            signature_fields=FIELDS,
            customisation=customisation,
            files=files,
        )
        times.append(time.perf_counter() - start)
        pages = rendered.page_count
    return statistics.median(times), pages


def act_html(snapshot, files, customisation) -> str:
    """The act's HTML with its stylesheets inlined, as a LibreOffice user would feed it."""
    css = "\n".join(
        (ROOT / "exports" / "documents" / "css" / name).read_text()
        for name in ("base.css", "act.css")
    )
    with translation.override("fr"):
        prepared = build_act(snapshot, files, parse_customisation(customisation))
        html = render_to_string("pdf/act.html", prepared.context)
    return html.replace("</head>", f"<style>{css}</style></head>")


def bench_libreoffice(html: str, runs: int):
    soffice = shutil.which("soffice")
    if not soffice or not Path("/usr/bin/python3").exists():
        return (
            None,
            "LibreOffice not installed (apt-get install libreoffice-writer-nogui python3-uno)",
        )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    workdir = Path(tempfile.mkdtemp(prefix="delibre-bench-lo-"))
    profile = workdir / "profile"
    office = subprocess.Popen(
        [
            soffice,
            "--headless",
            "--invisible",
            "--nologo",
            "--norestore",
            "--nodefault",
            f"-env:UserInstallation={profile.as_uri()}",
            f"--accept=socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    helper = subprocess.Popen(
        ["/usr/bin/python3", "-c", UNO_HELPER, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        if helper.stdout.readline().strip() != "ready":
            return None, "the UNO helper could not connect to LibreOffice"
        source = workdir / "act.html"
        source.write_text(html, encoding="utf-8")
        times = []
        for index in range(runs + 1):
            helper.stdin.write(f"{source}\t{workdir / f'act-{index}.pdf'}\n")
            helper.stdin.flush()
            times.append(float(helper.stdout.readline()))
        pages = subprocess.run(
            ["pdfinfo", str(workdir / "act-0.pdf")], capture_output=True, text=True
        ).stdout
        page_count = next(
            (line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:")), "?"
        )
        return statistics.median(
            times[1:]
        ), f"{page_count} pages, first (cold) conversion {times[0]:.3f} s"
    finally:
        helper.stdin.close()
        helper.wait(timeout=30)
        office.terminate()
        office.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


def bench_pack(files, customisation, acts: int, runs: int):
    base = three_page_act()
    parts = []
    start = time.perf_counter()
    for number in range(1, acts + 1):
        snapshot = copy.deepcopy(base)
        snapshot["act"]["number"] = f"DEL2026_{number:04d}"
        rendered = render_pdf(
            template_name="pdf/act.html",
            snapshot=snapshot,
            signature_fields=FIELDS,
            customisation=customisation,
            files=files,
        )
        parts.append((f"Délibération DEL2026_{number:04d}", rendered.content))
    render_all = time.perf_counter() - start
    times = []
    content = b""
    for _ in range(runs):
        start = time.perf_counter()
        content = assemble_pack(
            cover_snapshot=load("pack_cover"), parts=parts, customisation=customisation, files=files
        )
        times.append(time.perf_counter() - start)
    import io

    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(content)).pages)
    return statistics.median(times), pages, render_all, len(content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--acts", type=int, default=50)
    args = parser.parse_args()
    files, customisation, snapshot = fixture_files(), load("customisation"), three_page_act()

    weasy, weasy_pages = bench_weasyprint(snapshot, files, customisation, args.runs)
    office, office_note = bench_libreoffice(act_html(snapshot, files, customisation), args.runs)
    pack, pack_pages, render_all, pack_bytes = bench_pack(files, customisation, args.acts, 3)

    print(f"{'measure':<52} {'median':>10}  note")
    print(
        f"{'act, WeasyPrint in-process (render_pdf)':<52} {weasy:>9.3f}s  {weasy_pages} pages, "
        f"{args.runs} runs, target <= 0.5 s"
    )
    if office is None:
        print(f"{'act, warm LibreOffice via UNO (HTML -> PDF)':<52} {'n/a':>10}  {office_note}")
    else:
        print(f"{'act, warm LibreOffice via UNO (HTML -> PDF)':<52} {office:>9.3f}s  {office_note}")
    print(
        f"{f'séance pack of {args.acts} stored acts (assemble_pack)':<52} {pack:>9.3f}s  "
        f"{pack_pages} pages, {pack_bytes / 1e6:.1f} MB, target <= 5 s"
    )
    print(
        f"{f'(rendering the {args.acts} acts once beforehand)':<52} {render_all:>9.3f}s  "
        f"{render_all / args.acts:.3f} s per act, stored once, never re-rendered for a pack"
    )


if __name__ == "__main__":
    main()
