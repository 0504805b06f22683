"""Command line of the demo PKI: ``python -m signing.pki {generate,serve,show} --dir DIR``.

Does not need Django. The PKCS#12 password comes from ``--password`` or the
``DELIBRE_PKI_PASSWORD`` environment variable (default ``delibre-demo``: demo only).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .config import (
    DEFAULT_COLLECTIVITE,
    DEFAULT_PEOPLE,
    DEFAULT_PORT,
    MANIFEST,
    PkiError,
    PkiPerson,
)
from .generate import generate_pki, load_pki
from .server import serve_forever

DEFAULT_PASSWORD = "delibre-demo"  # demo PKI only, documented as such


def _person(text: str) -> PkiPerson:
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise argparse.ArgumentTypeError("expected SLUG:COMMON NAME[:TITLE]")
    return PkiPerson(*parts)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m signing.pki", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("generate", "create or refresh the PKI in DIR"),
        ("serve", "serve TSA/OCSP/CRL on loopback (generates the PKI first if DIR has none)"),
        ("show", "print the PKI's manifest (URLs, people, port) as JSON"),
    ):
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument("--dir", required=True, help="PKI directory, e.g. var/pki")
        if name == "show":
            continue
        cmd.add_argument("--port", type=int, default=None, help=f"default {DEFAULT_PORT}")
        cmd.add_argument("--host", default="127.0.0.1", help="loopback address only")
        cmd.add_argument("--password", default=None, help="PKCS#12 password")
        cmd.add_argument("--collectivite", default=DEFAULT_COLLECTIVITE)
        cmd.add_argument("--key-cache", default=None, help="directory of keys to reuse")
        cmd.add_argument(
            "--person",
            action="append",
            type=_person,
            dest="people",
            help='SLUG:COMMON NAME[:TITLE], repeatable, e.g. "marie-dupont:Marie DUPONT:Maire"',
        )
    return parser


def _say(text: str) -> None:
    # A command line tool talks on stdout (ruff T201 forbids print() outside commands).
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        if args.command == "show":
            manifest = load_pki(directory=args.dir).manifest
            _say(json.dumps(manifest, indent=2, ensure_ascii=False))
            return 0
        existing = (Path(args.dir) / MANIFEST).exists()
        if args.command == "serve" and existing and args.port is None and not args.people:
            pki = load_pki(directory=args.dir)
        else:
            pki = generate_pki(
                directory=args.dir,
                password=args.password or os.environ.get("DELIBRE_PKI_PASSWORD", DEFAULT_PASSWORD),
                people=args.people or DEFAULT_PEOPLE,
                collectivite=args.collectivite,
                host=args.host,
                port=args.port or DEFAULT_PORT,
                key_cache=args.key_cache,
            )
        if args.command == "generate":
            _say(f"Demo PKI in {pki.directory} (TSA {pki.tsa_url}).")
            return 0
        _say(f"Serving {pki.directory} on http://{pki.host}:{pki.port}/ (TSA {pki.tsa_url}).")
        serve_forever(pki)
    except PkiError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
