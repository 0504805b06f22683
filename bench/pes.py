"""Benchmark of the PES V2 library (issue 7): build, sign, validate and import a big flow.

    .venv/bin/python bench/pes.py                      # 100,000 pièces in 10 bordereaux
    .venv/bin/python bench/pes.py --pieces 10000       # smaller
    .venv/bin/python bench/pes.py --scaling            # 10k, 50k, 100k: is memory flat?
    .venv/bin/python bench/pes.py --tracemalloc        # also the Python-heap peak per phase

Each phase runs in a fresh child process so that its peak RSS (``ru_maxrss``: Python heap,
libxml2 trees and buffers, everything) is its own; the baseline row is a child that only
imports the library. ``tracemalloc`` sees Python allocations only (not libxml2's), so RSS is
the honest figure; with ``--tracemalloc`` the phases run slower. One more child runs the whole
chain in one process. The issue's targets are printed next to the figures; nothing is
asserted (machine load changes timings: run it on an idle machine).

Django is configured minimally (``USE_I18N=False``): the library only needs gettext, and the
project's full settings add the whole app stack to the baseline (shown as a separate row).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {
    "build+sign": 5.0,
    "build+sign+validate": 12.0,
    "import": 10.0,
    "peak_mb": 150.0,
}


def _setup_django(full: bool) -> None:
    sys.path.insert(0, str(ROOT))
    if full:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        import django

        django.setup()
    else:
        from django.conf import settings

        settings.configure(USE_I18N=False)


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- data -------------------------------------------------------------------------------------


def make_flow(pieces: int, bordereaux: int):
    """A dépense flow of ``pieces`` mandats in ``bordereaux`` bordereaux, generated lazily."""
    from exports.pes.flow import (
        Address,
        BankAccount,
        Bordereau,
        Emitter,
        Header,
        Ligne,
        PesFlow,
        Piece,
        Tiers,
    )

    per_bordereau = pieces // bordereaux
    bank = BankAccount(
        titulaire="ASSOCIATION", iban="FR7630003017020002010412521", bic="SOGEFRPPXXX"
    )

    def pieces_of(number: int):
        first = number * per_bordereau + 1
        for id_pce in range(first, first + per_bordereau):
            tiers = Tiers(
                nom=f"ASSOCIATION N°{id_pce}",
                ref_tiers=f"T{id_pce}",
                address=Address(
                    adr2=f"{id_pce % 300 + 1} RUE DE LA MAIRIE", cp="31000", ville="TOULOUSE"
                ),
                bank=bank,
            )
            yield Piece(
                id_pce=id_pce,
                objet=f"Subvention {id_pce} – vie associative",
                lignes=[
                    Ligne(
                        nature="6574",
                        fonction="025",
                        montant_ht=Decimal(100 + id_pce % 1000) + Decimal("0.25"),
                        libelle=f"SUBVENTION {id_pce}",
                        mod_regl="03",
                        tiers=[tiers],
                    )
                ],
            )

    return PesFlow(
        header=Header(id_post="031007", id_coll="24310063300011", cod_col="100", cod_bud="00"),
        emitter=Emitter(sigle="DELIBRE", adresse="Bench"),
        file_name="PESALR2_BENCH",
        date_str=dt.date(2025, 3, 2),
        depense=[
            Bordereau(
                id_bord=1 + number,
                exercice=2025,
                date_emission=dt.date(2025, 3, 1),
                mt_cumul_annuel=Decimal("99999999.00"),
                pieces=pieces_of(number),
            )
            for number in range(bordereaux)
        ],
    )


def make_key(workdir: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bench Ordonnateur")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    (workdir / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (workdir / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def _signer(workdir: Path):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from exports.pes import signer_from_private_key

    key = serialization.load_pem_private_key((workdir / "key.pem").read_bytes(), None)
    certificate = x509.load_pem_x509_certificate((workdir / "cert.pem").read_bytes())
    return signer_from_private_key(private_key=key, certificate=certificate)  # type: ignore[arg-type]


# --- phases (each in its own child process) ---------------------------------------------------


def phase_baseline(workdir: Path, args) -> dict:
    import exports.pes  # noqa: F401 - the cost of importing the library

    return {}


def phase_build(workdir: Path, args) -> dict:
    from exports.pes import write_pes_aller

    with (workdir / "flow.xml").open("wb") as out:
        summary = write_pes_aller(flow=make_flow(args.pieces, args.bordereaux), out=out)
    return {"size_mb": summary.size / 1e6}


def phase_sign(workdir: Path, args) -> dict:
    from exports.pes import sign_flow_file

    outcome = sign_flow_file(workdir / "flow.xml", workdir / "signed.xml", signer=_signer(workdir))
    return {"signed": len(outcome.signed)}


def phase_validate(workdir: Path, args) -> dict:
    from exports.pes import validate_xsd

    return {"issues": len(validate_xsd(workdir / "signed.xml", version=args.version))}


def phase_import(workdir: Path, args) -> dict:
    from exports.pes import read_pes_aller

    seen = [0]

    def count(_bordereau, _piece) -> None:
        seen[0] += 1

    result = read_pes_aller(
        workdir / "signed.xml", keep_pieces=False, on_piece=count, for_sending=True
    )
    return {
        "pieces": seen[0],
        "bordereaux": len(result.bordereaux),
        "version": result.schema_version,
    }


def phase_verify(workdir: Path, args) -> dict:
    from exports.pes import verify_flow

    report = verify_flow(workdir / "signed.xml")
    return {"valid": report.valid}


def phase_all(workdir: Path, args) -> dict:
    timings = {}
    for name in ("build", "sign", "validate", "import"):
        start = time.perf_counter()
        PHASES[name](workdir, args)
        timings[name] = round(time.perf_counter() - start, 2)
    return timings


PHASES = {
    "baseline": phase_baseline,
    "build": phase_build,
    "sign": phase_sign,
    "validate": phase_validate,
    "import": phase_import,
    "verify": phase_verify,
    "all": phase_all,
}


def run_child(args) -> None:
    _setup_django(full=args.phase == "django")
    workdir = Path(args.workdir)
    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start()
    start = time.perf_counter()
    extra = {} if args.phase == "django" else PHASES[args.phase](workdir, args)
    seconds = time.perf_counter() - start
    result = {"phase": args.phase, "seconds": seconds, "maxrss_mb": _maxrss_mb(), **extra}
    if args.tracemalloc:
        result["python_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
    print(json.dumps(result))


# --- parent -----------------------------------------------------------------------------------


def _child(phase: str, workdir: Path, args, *, tracemalloc: bool = False) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        "--phase",
        phase,
        "--workdir",
        str(workdir),
        "--pieces",
        str(args.pieces),
        "--bordereaux",
        str(args.bordereaux),
        "--version",
        args.version,
    ]
    if tracemalloc:
        command.append("--tracemalloc")
    output = subprocess.run(command, capture_output=True, text=True, check=False)
    if output.returncode:
        sys.exit(f"phase {phase} failed:\n{output.stderr}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def _xmllint(workdir: Path) -> dict | None:
    xmllint = shutil.which("xmllint")
    if xmllint is None:
        return None
    schema = ROOT / "exports/pes/schemas/schemas_pes_v5.17/PES_V2/Rev0/PES_Aller.xsd"
    start = time.perf_counter()
    run = subprocess.run(
        [
            "/usr/bin/time",
            "-f",
            "%M",
            xmllint,
            "--noout",
            "--stream",
            "--schema",
            str(schema),
            str(workdir / "signed.xml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    maxrss_kb = (
        int(run.stderr.strip().splitlines()[-1])
        if shutil.which("time") or Path("/usr/bin/time").exists()
        else 0
    )
    return {
        "phase": "xmllint --stream",
        "seconds": seconds,
        "maxrss_mb": maxrss_kb / 1024,
        "valid": "validates" in run.stderr,
    }


def _row(result: dict) -> str:
    extra = {k: v for k, v in result.items() if k not in ("phase", "seconds", "maxrss_mb")}
    details = ", ".join(
        f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in extra.items()
    )
    return f"  {result['phase']:<22} {result['seconds']:7.2f} s  {result['maxrss_mb']:8.1f} MB  {details}"


def run(args) -> None:
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="pes-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    make_key(workdir)
    load = os.getloadavg()
    print(
        f"PES bench: {args.pieces:,} pièces in {args.bordereaux} bordereaux, "
        f"{os.cpu_count()} CPUs, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, in {workdir}"
    )
    print(f"  {'phase':<22} {'time':>9}  {'peak RSS':>11}")
    results = {}
    for phase in ("baseline", "django", "build", "sign", "validate", "import", "verify"):
        results[phase] = _child(phase, workdir, args)
        print(_row(results[phase]))
    lint = _xmllint(workdir)
    if lint:
        print(_row(lint))
    whole = _child("all", workdir, args)
    print(
        f"  {'all in one process':<22} {whole['seconds']:7.2f} s  {whole['maxrss_mb']:8.1f} MB"
        f"  {', '.join(f'{k}={whole[k]}' for k in ('build', 'sign', 'validate', 'import'))}"
    )
    if args.tracemalloc:
        print("  Python-heap peaks (tracemalloc; libxml2 not included; slower runs):")
        for phase in ("build", "sign", "validate", "import"):
            traced = _child(phase, workdir, args, tracemalloc=True)
            print(f"    {phase:<20} {traced['python_peak_mb']:7.1f} MB")

    build, sign = results["build"]["seconds"], results["sign"]["seconds"]
    validate, imported = results["validate"]["seconds"], results["import"]["seconds"]
    peak = max(r["maxrss_mb"] for k, r in results.items() if k != "django")
    print("targets (issue 7):")
    for label, value, target, unit in (
        ("build+sign", build + sign, TARGETS["build+sign"], "s"),
        ("build+sign+validate", build + sign + validate, TARGETS["build+sign+validate"], "s"),
        ("import", imported, TARGETS["import"], "s"),
        ("peak RSS, any phase", peak, TARGETS["peak_mb"], "MB"),
        ("peak RSS, whole chain", whole["maxrss_mb"], TARGETS["peak_mb"], "MB"),
    ):
        verdict = "ok" if value <= target else "OVER"
        print(f"  {label:<24} {value:8.2f} {unit:<2} (target ≤ {target:g} {unit})  {verdict}")
    if not args.keep and not args.workdir:
        shutil.rmtree(workdir)


def run_scaling(args) -> None:
    print("memory against size (peak RSS per phase, MB):")
    print(f"  {'pièces':>8} {'build':>8} {'sign':>8} {'validate':>9} {'import':>8} {'verify':>8}")
    for pieces in (10_000, 50_000, 100_000):
        workdir = Path(tempfile.mkdtemp(prefix="pes-scaling-"))
        sys.path.insert(0, str(ROOT))
        make_key(workdir)
        args.pieces = pieces
        row = [
            _child(phase, workdir, args)["maxrss_mb"]
            for phase in ("build", "sign", "validate", "import", "verify")
        ]
        print(f"  {pieces:>8,} " + " ".join(f"{v:8.1f}" for v in row))
        shutil.rmtree(workdir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pieces", type=int, default=100_000)
    parser.add_argument("--bordereaux", type=int, default=10)
    parser.add_argument("--version", choices=("5.17", "5.30"), default="5.17")
    parser.add_argument("--workdir")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--scaling", action="store_true")
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args)
    elif args.scaling:
        run_scaling(args)
    else:
        run(args)


if __name__ == "__main__":
    main()
