"""Every benchmark at modest sizes, then docs/performance.md with the figures (issue 8).

Run:  make bench            (or .venv/bin/python bench/run_all.py [--only http,celery] [--full])

Each bench runs in its own process, one after the other (they would disturb each other's
figures), on scratch PostgreSQL databases (DATABASE_URL's server, default
postgres@127.0.0.1:5432) and, for the Celery one, Redis on 127.0.0.1:6379 (database 11). The
sizes below keep the whole run to a few minutes; ``--full`` uses the sizes of the issues'
targets where they differ. The page written holds the machine (CPU, RAM, load average at the
start and the end: benches are only comparable on an idle machine), the date, the targets and
whether each is met, each bench's own output, and the profile of the decision path.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
#: The last output of each bench, so that ``--only`` rewrites the page with the others kept.
RESULTS = ROOT / "var" / "bench-results"


@dataclass
class Bench:
    name: str
    title: str
    modest: list[str]
    full: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    output: str = ""
    seconds: float = 0.0
    failed: bool = False
    load_start: str = ""
    ran: str = ""  # set when the figures come from an earlier run (--only)


BENCHES = [
    Bench(
        "decisions",
        "Circuit decisions per second (PostgreSQL, 8 clients)",
        ["decisions.py", "--clients", "8", "--folders", "15", "--steps", "6", "--races", "20"],
        ["decisions.py", "--clients", "8", "--folders", "40", "--steps", "10", "--races", "50"],
    ),
    Bench(
        "decisions_profile",
        "Profile of one decision (cProfile and SQL time, one client)",
        ["decisions.py", "--profile", "200"],
    ),
    Bench(
        "http",
        "HTTP pages with 16 concurrent clients (gunicorn, PostgreSQL)",
        ["http_pages.py", "--sizes", "2000,20000", "--seconds", "15", "--json"],
        ["http_pages.py", "--sizes", "2000,20000", "--seconds", "60", "--json"],
    ),
    Bench(
        "audit",
        "audit_verify over a large journal",
        ["audit.py", "--events", "200000", "--chains", "4000"],
        ["audit.py", "--events", "1000000", "--chains", "20000"],
    ),
    Bench(
        "celery",
        "Batch signing throughput on 1 and 2 Celery worker processes",
        ["celery_workers.py", "--batches", "4", "--size", "4", "--json"],
        ["celery_workers.py", "--batches", "8", "--size", "10", "--json"],
    ),
    Bench("signing", "PAdES signing (issue 5)", ["sign.py", "--acts", "10", "--rounds", "1"], None),
    Bench(
        "rendering",
        "Rendering and séance packs (issue 4)",
        ["render.py", "--runs", "3", "--acts", "20"],
        ["render.py", "--runs", "10", "--acts", "50"],
    ),
    Bench(
        "pes",
        "PES V2 library: build, sign, validate, import (issue 7)",
        ["pes.py", "--pieces", "100000", "--bordereaux", "10"],
    ),
    Bench(
        "pes_service",
        "PES import through the service and the bordereau page (issue 7, SQLite)",
        ["pes_service.py", "--pieces", "20000"],
        ["pes_service.py", "--pieces", "100000"],
        env={"DATABASE_URL": ""},
    ),
]


def machine() -> dict[str, str]:
    cpu = "unknown"
    memory = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True, check=False)
    redis = subprocess.run(
        ["redis-server", "--version"], capture_output=True, text=True, check=False
    )
    return {
        "host": platform.node(),
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "ram": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": pg.stdout.strip() or "not found",
        "redis": (redis.stdout.split(" sha=")[0].strip() or "not found"),
    }


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def run(bench: Bench, *, full: bool, timeout: int) -> None:
    arguments = bench.full if full and bench.full else bench.modest
    env = {**os.environ, **bench.env}
    for key, value in bench.env.items():
        if value == "":
            env.pop(key, None)
    bench.load_start = load()
    print(f"== {bench.name}: {' '.join(arguments)}  (load {bench.load_start})", flush=True)
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, str(BENCH / arguments[0]), *arguments[1:]],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        bench.output = done.stdout + (
            f"\n[exit {done.returncode}]\n{done.stderr[-3000:]}" if done.returncode else ""
        )
        bench.failed = done.returncode != 0
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        bench.output = out + f"\n[stopped after {timeout} s]"
        bench.failed = True
    bench.seconds = time.perf_counter() - started
    print(bench.output.strip(), flush=True)
    print(f"   ({bench.seconds:.0f} s)\n", flush=True)


def result_json(bench: Bench) -> dict | None:
    for line in bench.output.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    return None


def find(pattern: str, text: str) -> str | None:
    match = re.search(pattern, text)
    return match.group(1) if match else None


@dataclass
class Target:
    what: str
    target: str
    measured: str
    met: bool | None  # None: not measured / for information


def targets(benches: dict[str, Bench]) -> list[Target]:
    rows: list[Target] = []
    if (b := benches.get("decisions")) and b.output:
        rate = find(r"= (\d+) decisions/s", b.output)
        queries = find(r"Queries per decision[^:]*: (\d+)", b.output)
        duplicates = find(r"(\d+) duplicates", b.output)
        rows.append(
            Target(
                "Circuit decisions/s, 8 clients, distinct folders (PostgreSQL)",
                "≥ 250/s",
                f"{rate}/s" if rate else "failed",
                int(rate) >= 250 if rate else False,
            )
        )
        rows.append(
            Target(
                "SQL queries per decision (a desk member, delegation check included)",
                "≤ 10",
                queries or "failed",
                int(queries) <= 10 if queries else False,
            )
        )
        rows.append(
            Target(
                "Duplicate decisions, 8 clients racing on one step",
                "0",
                duplicates or "failed",
                duplicates == "0",
            )
        )
    if (b := benches.get("http")) and b.output:
        result = result_json(b)
        if result:
            sizes = sorted(result["sizes"], key=int)
            largest = result["sizes"][sizes[-1]]
            for page, figure in largest["pages"].items():
                rows.append(
                    Target(
                        f"HTTP p95, {page}, {int(sizes[-1]):,} acts, {result['clients']} clients",
                        "≤ 150 ms",
                        f"{figure['p95_ms']:.0f} ms (p50 {figure['p50_ms']:.0f}, "
                        f"alone {figure['alone_p50_ms']:.0f})",
                        figure["p95_ms"] <= 150,
                    )
                )
            counts = "; ".join(
                f"{int(size):,} acts: "
                + ", ".join(
                    f"{p} {f['queries']}" for p, f in result["sizes"][size]["pages"].items()
                )
                for size in sizes
            )
            rows.append(
                Target(
                    "SQL queries per page independent of the number of rows",
                    "same at every size",
                    counts,
                    bool(result["queries_independent"]),
                )
            )
        else:
            rows.append(Target("HTTP pages", "p95 ≤ 150 ms", "failed", False))
    if (b := benches.get("audit")) and b.output:
        seconds = find(r"audit_verify: \S+ in ([\d.]+) s", b.output)
        events = find(r"Journal: ([\d,]+) events", b.output)
        # Verification is linear in the events: a smaller journal gets the target scaled down.
        count = int(events.replace(",", "")) if events else 1_000_000
        limit = 15 * count / 1_000_000
        rows.append(
            Target(
                f"audit_verify over {events or '?'} events",
                f"≤ {limit:.1f} s (15 s per 1,000,000)",
                f"{seconds} s" if seconds else "failed",
                float(seconds) <= limit if seconds else False,
            )
        )
    if (b := benches.get("celery")) and b.output:
        result = result_json(b)
        if result and "scaling" in result:
            per = ", ".join(
                f"{n} process{'es' if int(n) > 1 else ''}: {f['signatures_per_s']:.2f}/s"
                for n, f in result["workers"].items()
            )
            rows.append(
                Target(
                    "Batch signing, 1 and 2 Celery worker processes (scaling ratio)",
                    "ratio (no figure set; ≤ 2× on 2 CPUs)",
                    f"{per}; ratio {result['scaling']:.2f}×",
                    None,
                )
            )
        else:
            rows.append(Target("Batch signing on Celery workers", "scaling", "failed", False))
    if (b := benches.get("signing")) and b.output:
        line = find(r"(Targets: .*)", b.output)
        rows.append(
            Target(
                "PAdES signing (B-B ≤ 40 ms, ≥ 4× plain pyHanko, B-T ≤ 80 ms)",
                "see line",
                line or "failed",
                ("MISSED" not in line) if line else False,
            )
        )
    if (b := benches.get("rendering")) and b.output:
        act = find(r"act, WeasyPrint in-process \(render_pdf\)\s+([\d.]+)s", b.output)
        pack = find(r"séance pack of \d+ stored acts \(assemble_pack\)\s+([\d.]+)s", b.output)
        rows.append(
            Target(
                "Act rendered by WeasyPrint",
                "≤ 0.5 s",
                f"{act} s" if act else "failed",
                float(act) <= 0.5 if act else False,
            )
        )
        acts = find(r"séance pack of (\d+) stored acts", b.output)
        rows.append(
            Target(
                f"Séance pack of {acts or '?'} stored acts assembled",
                "≤ 5 s",
                f"{pack} s" if pack else "failed",
                float(pack) <= 5 if pack else False,
            )
        )
    if (b := benches.get("pes")) and b.output:
        for label, value, target, verdict in re.findall(
            r"^\s+(build\+sign\+validate|build\+sign|import|peak RSS, any phase|peak RSS, whole chain)"
            r"\s+([\d.]+ \S+)\s+\(target (≤ [^)]+)\)\s+(ok|OVER)",
            b.output,
            flags=re.M,
        ):
            rows.append(Target(f"PES 100,000 pièces: {label}", target, value, verdict == "ok"))
    return rows


def verdict(met: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "—"}[met]


def _load_line(benches: list[Bench], started: dict) -> str:
    ones = [float(b.load_start.split("/")[0]) for b in benches if b.load_start]
    measured = (
        f"at the start of the run {started['load_start']}, at its end {started['load_end']}"
        if not all(b.ran for b in benches)
        else "given for each bench in its section"
    )
    spread = f" (1-minute figure from {min(ones):.1f} to {max(ones):.1f})" if ones else ""
    return (
        f"- Load average (1/5/15 min): {measured}{spread}. The figures are only comparable on "
        "an idle machine: with a load above the number of CPUs every timing below is inflated "
        "by the other processes."
    )


def write_page(path: Path, benches: list[Bench], info: dict, started: dict, full: bool) -> None:
    by_name = {b.name: b for b in benches}
    rows = targets(by_name)
    lines = [
        "# Performance",
        "",
        "Written by `make bench` (bench/run_all.py); do not edit by hand — run it again. Each",
        "bench prints its own figures; they are collected here with the targets of the issues.",
        "",
        (
            f"- Date: {started['date']} (run took {started['total']:.0f} s; "
            f"sizes: {'full' if full else 'modest'})"
            if not all(b.ran for b in benches)
            else f"- Page written {started['date']} from the last run of each bench (dated in "
            "its section below)"
        )
        + (
            "; benches marked “earlier run” keep the figures of their last run"
            if any(b.ran for b in benches) and not all(b.ran for b in benches)
            else ""
        ),
        f"- Machine: {info['host']}, {info['nproc']} CPU ({info['cpu']}), {info['ram']} RAM, "
        f"{info['os']}",
        f"- Software: Python {info['python']}, {info['postgresql']}, {info['redis']}",
        _load_line(benches, started),
        "",
        "## Targets",
        "",
        "| measure | target | measured | |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {r.what} | {r.target} | {r.measured.replace('|', '/')} | {verdict(r.met)} |"
        for r in rows
    ]
    missed = [r for r in rows if r.met is False]
    lines += ["", "## Where a target is missed", ""]
    if not missed:
        lines.append("Every target above is met.")
    else:
        notes = Path(BENCH / "performance_notes.md")
        lines.append(
            "Missed: " + "; ".join(r.what for r in missed) + ". "
            "The explanation and the profile follow."
        )
        if notes.exists():
            lines += ["", notes.read_text().strip()]
    lines += ["", "## Each bench", ""]
    for bench in benches:
        arguments = " ".join(bench.full if full and bench.full else bench.modest)
        lines += [
            f"### {bench.title}",
            "",
            f"`python bench/{arguments}` — {bench.seconds:.0f} s"
            + (" — **failed**" if bench.failed else "")
            + (f" — load at its start {bench.load_start}" if bench.load_start else "")
            + (f" — earlier run ({bench.ran})" if bench.ran else ""),
            "",
            "```",
            "\n".join(
                line for line in bench.output.strip().splitlines() if not line.startswith("RESULT ")
            )
            or "(no output)",
            "```",
            "",
        ]
    path.write_text("\n".join(lines).rstrip() + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", help="comma-separated names: " + ",".join(b.name for b in BENCHES)
    )
    parser.add_argument("--full", action="store_true", help="the sizes of the issues' targets")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per bench")
    parser.add_argument("--out", default=str(ROOT / "docs" / "performance.md"))
    parser.add_argument(
        "--page-only", action="store_true", help="rewrite the page from the last figures"
    )
    args = parser.parse_args()
    chosen = [b for b in BENCHES if not args.only or b.name in args.only.split(",")]
    if args.page_only:
        chosen = []
    info = machine()
    started = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_start": load(),
    }
    begin = time.perf_counter()
    RESULTS.mkdir(parents=True, exist_ok=True)
    for bench in chosen:
        run(bench, full=args.full, timeout=args.timeout)
        (RESULTS / f"{bench.name}.json").write_text(
            json.dumps(
                {
                    "output": bench.output,
                    "seconds": bench.seconds,
                    "failed": bench.failed,
                    "date": started["date"],
                    "load_start": bench.load_start,
                }
            )
        )
    started["total"] = time.perf_counter() - begin
    started["load_end"] = load()
    # With --only, the other benches keep the figures of their last run (dated on the page).
    shown = []
    for bench in BENCHES:
        if bench in chosen:
            shown.append(bench)
            continue
        stored = RESULTS / f"{bench.name}.json"
        if stored.exists():
            saved = json.loads(stored.read_text())
            bench.output, bench.seconds, bench.failed = (
                saved["output"],
                saved["seconds"],
                saved["failed"],
            )
            bench.ran = saved["date"]
            bench.load_start = saved["load_start"]
            shown.append(bench)
    write_page(Path(args.out), shown, info, started, args.full)
    print(f"Written {args.out}")
    if any(b.failed for b in chosen):
        raise SystemExit("some benches failed: see the page")


if __name__ == "__main__":
    main()
