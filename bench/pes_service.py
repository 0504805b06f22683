"""Benchmark of the stored treasury flows (issue 7): importing a big flow through the service,
and the visionneuse page of a 10,000-pièce bordereau.

    .venv/bin/python bench/pes_service.py                       # 100,000 pièces, SQLite
    .venv/bin/python bench/pes_service.py --pieces 10000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/delibre_bench \\
        .venv/bin/python bench/pes_service.py                   # on PostgreSQL (an empty DB)

The flow (10 bordereaux) is written by the library first; then each phase runs in a fresh child
process so that its peak RSS (``ru_maxrss``) is its own: ``baseline`` (Django and the app
loaded), ``import`` (exports.pes.services.import_flow on the file: parse, XSD, Hélios rules,
rows inserted in batches, file stored, journal) and ``page`` (the bordereau page, page 150 of
a 10,000-pièce bordereau, through Django's test client with the whole middleware stack).
Nothing is asserted: run it on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _setup(workdir: Path) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    os.environ["DELIBRE_DATA_DIR"] = str(workdir / "data")
    os.environ["DELIBRE_MEDIA_ROOT"] = str(workdir / "media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _actors():
    from deliberations.enums import Role
    from deliberations.models import Collectivite, Membership, User

    collectivite, _ = Collectivite.objects.get_or_create(
        slug="bench",
        defaults={
            "name": "Commune de Bench",
            "kind": "commune",
            "siren": "243100633",
            "departement": "031",
            "pes_id_coll": "24310063300011",
        },
    )
    user, _ = User.objects.get_or_create(username="bench-clerk")
    Membership.objects.get_or_create(user=user, collectivite=collectivite, role=Role.CLERK)
    return collectivite, user


def phase_migrate(workdir: Path, args) -> dict:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    _actors()
    return {}


def phase_build(workdir: Path, args) -> dict:
    sys.path.insert(0, str(ROOT / "bench"))
    from pes import make_flow  # the library benchmark's generator

    from exports.pes import write_pes_aller

    with (workdir / "flow.xml").open("wb") as out:
        summary = write_pes_aller(flow=make_flow(args.pieces, args.bordereaux), out=out)
    return {"size_mb": round(summary.size / 1e6, 1)}


def phase_baseline(workdir: Path, args) -> dict:
    import exports.pes.services  # noqa: F401 - the cost of the app stack

    _actors()
    return {}


def phase_import(workdir: Path, args) -> dict:
    from exports.pes import services
    from exports.pes.models import Piece

    collectivite, user = _actors()
    started = time.perf_counter()
    flow = services.import_flow(
        collectivite=collectivite, actor=user, source=workdir / "flow.xml", name="flow.xml"
    )
    elapsed = time.perf_counter() - started
    (workdir / "flow_id").write_text(str(flow.pk))
    return {
        "seconds": round(elapsed, 2),
        "pieces": Piece.objects.filter(bordereau__flow=flow).count(),
    }


def phase_page(workdir: Path, args) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from exports.pes.models import PesFlow

    _collectivite, user = _actors()
    flow = PesFlow.objects.get(pk=int((workdir / "flow_id").read_text()))
    bordereau = flow.bordereaux.order_by("position").first()
    client = Client()
    client.force_login(user)
    url = reverse("pes-bordereau", args=[flow.pk, bordereau.pk])
    client.get(url)
    timings = []
    for page in (1, 100, bordereau.piece_count // 50):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{url}?page={page}", HTTP_HOST="127.0.0.1")
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return {
        "pieces_in_bordereau": bordereau.piece_count,
        "median_ms": round(statistics.median(timings) * 1000),
        "max_ms": round(max(timings) * 1000),
        "queries": len(queries),
    }


PHASES = {
    "migrate": phase_migrate,
    "build": phase_build,
    "baseline": phase_baseline,
    "import": phase_import,
    "page": phase_page,
}


def _child(phase: str, workdir: Path, args) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        phase,
        "--workdir",
        str(workdir),
        "--pieces",
        str(args.pieces),
        "--bordereaux",
        str(args.bordereaux),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"phase {phase} failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pieces", type=int, default=100_000)
    parser.add_argument("--bordereaux", type=int, default=10)
    parser.add_argument("--child")
    parser.add_argument("--workdir")
    args = parser.parse_args()
    if args.child:
        workdir = Path(args.workdir)
        _setup(workdir)
        result = PHASES[args.child](workdir, args)
        result["peak_mb"] = round(_maxrss_mb(), 1)
        print(json.dumps(result))
        return
    workdir = Path(tempfile.mkdtemp(prefix="delibre-pes-bench-"))
    try:
        database = os.environ.get("DATABASE_URL", "sqlite (temporary file)")
        print(f"{args.pieces} pièces in {args.bordereaux} bordereaux · {database}")
        for phase in ("migrate", "build", "baseline", "import", "page"):
            result = _child(phase, workdir, args)
            print(f"{phase:<9} {json.dumps(result, ensure_ascii=False)}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
