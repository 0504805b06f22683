"""The stand-in S2LOW HTTPS server: routing, TLS with client certificates, command line."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import email.parser
import email.policy
import hashlib
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from core.xml import safe_parser

from ..builder import new_root, serialize
from ..codes import MessageKind
from .pki import make_test_pki
from .prefecture import (
    MAX_BODY_BYTES,
    StandinConfig,
    StandinState,
    StandinTransaction,
    check_acte_form,
    classification_xml,
    helios_xml,
    outcome_xml,
)


def _linger_and_close(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_WR)
        connection.settimeout(1.0)
        while connection.recv(65536):
            pass
    except OSError:
        pass
    finally:
        connection.close()


class StandinHandler(BaseHTTPRequestHandler):
    server: StandinServer
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        # The TLS handshake happens here, in the request's own thread: a client without a
        # valid certificate is refused before any HTTP is read. On refusal, a duplicate of the
        # connection stays open long enough for the TLS alert to reach the client: closing at
        # once with its request unread would send a TCP reset and the alert would be lost.
        spare = self.request.dup()
        try:
            self.request = self.server.tls_context.wrap_socket(self.request, server_side=True)
        except (ssl.SSLError, OSError):
            _linger_and_close(spare)
            raise
        spare.close()
        super().setup()

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    # -- plumbing ----------------------------------------------------------------------------

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "text/plain; charset=ISO-8859-1",
        **headers: str,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _text(self, text: str) -> None:
        self._send(200, text.encode("iso-8859-1", "replace"))

    def _before(self) -> bool:
        """Apply the configured delay and transient failures; False when already answered."""
        state = self.server.state
        with state.lock:
            state.requests.append(f"{self.command} {self.path}")
            delay = state.config.delay_seconds
            fail = state.config.fail_next > 0
            if fail:
                state.config.fail_next -= 1
        if delay:
            time.sleep(delay)
        if fail:
            self._send(503, b"Service temporairement indisponible")
            return False
        return True

    def _form(self) -> tuple[dict[str, list[str]], list[tuple[str, str, bytes]]]:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            raise ValueError("body too large")
        body = self.rfile.read(length)
        content_type = self.headers.get("Content-Type", "")
        fields: dict[str, list[str]] = {}
        files: list[tuple[str, str, bytes]] = []
        if content_type.startswith("multipart/form-data"):
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + body
            )
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                decoded = part.get_payload(decode=True)
                payload = decoded if isinstance(decoded, bytes) else b""
                filename = part.get_filename()
                if filename is not None:
                    files.append((str(name), filename, payload))
                else:
                    fields.setdefault(str(name), []).append(payload.decode("iso-8859-1"))
        else:
            for key, values in parse_qs(body.decode("iso-8859-1")).items():
                fields[key] = values
        return fields, files

    # -- routing -----------------------------------------------------------------------------

    def do_GET(self) -> None:
        if not self._before():
            return
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        routes: dict[str, Callable[[dict[str, str]], None]] = {
            "/modules/actes/actes_transac_get_status.php": self._status,
            "/modules/actes/actes_transac_get_ARActe.php": self._aracte,
            "/modules/actes/actes_transac_get_document.php": self._document,
            "/modules/actes/actes_download_file.php": self._download,
            "/modules/actes/actes_classification_fetch.php": self._classification,
            "/modules/helios/api/helios_transac_get_status.php": self._helios_status,
            "/modules/helios/api/helios_get_retour.php": self._helios_retour,
            "/_standin/transactions": self._dump,
        }
        handler = routes.get(url.path)
        if handler is None:
            self._send(404, b"Not found")
            return
        handler(query)

    def do_POST(self) -> None:
        if not self._before():
            return
        url = urlsplit(self.path)
        forms: dict[str, Callable[[dict[str, list[str]], list[tuple[str, str, bytes]]], None]] = {
            "/modules/actes/actes_transac_create.php": self._create,
            "/modules/actes/actes_transac_cancel.php": self._cancel,
            "/modules/actes/actes_transac_reponse_create.php": self._reponse,
            "/modules/helios/api/helios_importer_fichier.php": self._helios_import,
        }
        controls: dict[str, Callable[[dict[str, object]], None]] = {
            "/_standin/config": self._configure,
            "/_standin/courrier": self._courrier,
        }
        if url.path in controls:
            length = int(self.headers.get("Content-Length") or 0)
            controls[url.path](json.loads(self.rfile.read(length) or b"{}"))
        elif url.path in forms:
            fields, files = self._form()
            forms[url.path](fields, files)
        else:
            self._send(404, b"Not found")

    # -- ACTES -------------------------------------------------------------------------------

    def _create(self, fields: dict[str, list[str]], files: list[tuple[str, str, bytes]]) -> None:
        state = self.server.state
        with state.lock:
            reason = check_acte_form(fields, files, state)
            if reason is None:
                transaction = StandinTransaction(
                    id=state.new_id(), type=1, status=1, fields=fields, files=files
                )
                state.transactions[transaction.id] = transaction
        if reason is not None:
            self._text(f"KO\n{reason}\n")
            return
        self._text(f"OK\n{transaction.id}\n")

    def _find(self, value: str | None) -> StandinTransaction | None:
        if value is None or not value.isdigit():
            return None
        return self.server.state.transactions.get(int(value))

    def _status(self, query: dict[str, str]) -> None:
        state = self.server.state
        with state.lock:
            transaction = self._find(query.get("transaction"))
            if transaction is None:
                body = "KO\nNuméro de transaction invalide.".encode("iso-8859-1")
            else:
                if transaction.type == 1 and transaction.status in (1, 2, 3):
                    transaction.polls += 1
                    if transaction.polls <= state.config.polls_before_outcome:
                        transaction.status = 3
                    else:
                        transaction.return_xml = outcome_xml(
                            transaction, state.config, state.today()
                        )
                        if state.config.outcome == "anomaly":
                            transaction.status = -1
                            transaction.message = f"Anomalie : {state.config.anomaly_detail}"
                        else:
                            transaction.status = 4
                body = f"OK\n{transaction.status}\n".encode("iso-8859-1")
                if transaction.return_xml and transaction.status in (4, -1):
                    body += transaction.return_xml
                if transaction.status == -1:
                    body += transaction.message.encode("iso-8859-1", "replace")
        self._send(200, body)

    def _aracte(self, query: dict[str, str]) -> None:
        with self.server.state.lock:
            transaction = self._find(query.get("id"))
            xml = transaction.return_xml if transaction and transaction.status in (0, 4) else None
        if xml is None:
            self._send(404, "Cette transaction n'existe pas".encode("iso-8859-1"))
            return
        self._send(200, xml, "application/xml")

    def _document(self, query: dict[str, str]) -> None:
        with self.server.state.lock:
            transaction = self._find(query.get("id"))
            if transaction is None:
                self._send(200, "KO\nNuméro de transaction invalide.".encode("iso-8859-1"))
                return
            if transaction.type == 1:
                lines = [
                    f"{other.type}-{other.status}-{other.id}\n"
                    for other in self.server.state.transactions.values()
                    if other.related_id == transaction.id and other.type in (2, 3, 4, 5)
                ]
                self._text("".join(lines))
                return
        self._send(302, b"", Location=f"actes_download_file.php?env={transaction.id}")

    def _download(self, query: dict[str, str]) -> None:
        with self.server.state.lock:
            transaction = self._find(query.get("env"))
            archive = transaction.archive if transaction else None
        if archive is None:
            self._send(404, b"Not found")
            return
        self._send(200, archive, "application/x-gzip")

    def _cancel(self, fields: dict[str, list[str]], files: list[tuple[str, str, bytes]]) -> None:
        state = self.server.state
        with state.lock:
            transaction = self._find(next(iter(fields.get("id", [])), None))
            if transaction is None:
                reply = "KO\nErreur d'initialisation de la transaction.\n"
            elif transaction.status != 4:
                reply = "KO\nImpossible d'annuler une transaction qui n'est pas en état « Acquittement reçu ».\n"
            else:
                cancellation = StandinTransaction(
                    id=state.new_id(), type=6, status=4, related_id=transaction.id
                )
                root = new_root(
                    "ARAnnulation",
                    IDActe=transaction.id_acte or "",
                    DateReception=state.today().isoformat(),
                )
                cancellation.return_xml = serialize(root)
                state.transactions[cancellation.id] = cancellation
                transaction.status = 0
                reply = f"OK\n{cancellation.id}\n"
        self._text(reply)

    def _reponse(self, fields: dict[str, list[str]], files: list[tuple[str, str, bytes]]) -> None:
        """An answer to a prefecture letter: stored as a transaction related to the letter."""
        state = self.server.state
        with state.lock:
            letter = self._find(next(iter(fields.get("id", [])), None))
            kind = next(iter(fields.get("type_envoie", [])), "")
            if letter is None or letter.type not in (2, 3, 4):
                reply = "KO : Transaction invalide\n"
            elif kind not in ("2", "3", "4") or not any(f[0] == "acte_pdf_file" for f in files):
                reply = "KO : Type d'envoi ou fichier absent\n"
            else:
                answer = StandinTransaction(
                    id=state.new_id(), type=letter.type, status=9, fields=fields, files=files
                )
                answer.related_id = letter.id
                state.transactions[answer.id] = answer
                letter.status = 8
                reply = f"OK\n{answer.id}\n"
        self._text(reply)

    def _classification(self, query: dict[str, str]) -> None:
        with self.server.state.lock:
            date = self.server.state.config.classification_date
        self._send(200, classification_xml(date), "application/xml")

    # -- Hélios ------------------------------------------------------------------------------

    def _helios_import(
        self, fields: dict[str, list[str]], files: list[tuple[str, str, bytes]]
    ) -> None:
        state = self.server.state
        uploads = [item for item in files if item[0] == "enveloppe"]
        if not uploads:
            self._send(
                200,
                helios_xml(
                    "import",
                    id="",
                    resultat="KO",
                    message="Echec lors du téléchargement du fichier",
                ),
                "text/xml",
            )
            return
        _field, filename, content = uploads[0]
        try:
            etree.fromstring(content, parser=safe_parser())
        except etree.XMLSyntaxError:
            self._send(
                200,
                helios_xml(
                    "import", id="", resultat="KO", message="Le fichier n'est pas un XML valide"
                ),
                "text/xml",
            )
            return
        digest = hashlib.sha1(content).hexdigest()  # S2LOW detects duplicates by SHA-1
        with state.lock:
            if any(entry["sha1"] == digest for entry in state.helios.values()):
                reply = helios_xml(
                    "import",
                    id="",
                    resultat="KO",
                    message="doublon détecté. Ce fichier a déjà été posté",
                )
            else:
                identifier = state.new_id()
                state.helios[identifier] = {"sha1": digest, "filename": filename, "status": 1}
                reply = helios_xml(
                    "import",
                    id=identifier,
                    resultat="OK",
                    message="Téléchargement du fichier réussi.",
                )
        self._send(200, reply, "text/xml")

    def _helios_status(self, query: dict[str, str]) -> None:
        with self.server.state.lock:
            value = query.get("transaction", "")
            entry = self.server.state.helios.get(int(value)) if value.isdigit() else None
            if entry is None:
                reply = helios_xml(
                    "transaction",
                    id=value,
                    resultat="KO",
                    message="Numéro de transaction invalide",
                    status="",
                )
            else:
                reply = helios_xml(
                    "transaction",
                    id=value,
                    resultat="OK",
                    message="Transmis",
                    status=entry["status"],
                )
        self._send(200, reply, "text/xml")

    def _helios_retour(self, query: dict[str, str]) -> None:
        value = query.get("id", "")
        self._send(
            200,
            helios_xml(
                "get_retour", id=value, resultat="KO", message="retour id n'est pas correcte"
            ),
            "text/xml",
        )

    # -- control -----------------------------------------------------------------------------

    def _configure(self, values: dict[str, object]) -> None:
        state = self.server.state
        with state.lock:
            for key, value in values.items():
                if key in {f.name for f in dataclasses.fields(StandinConfig)}:
                    setattr(state.config, key, value)
            body = json.dumps(dataclasses.asdict(state.config)).encode()
        self._send(200, body, "application/json")

    def _courrier(self, values: dict[str, object]) -> None:
        try:
            identifier = self.server.state.add_courrier(
                transaction_id=int(str(values.get("transaction"))),
                kind=MessageKind(str(values.get("kind", "2-1"))),
                text=str(values.get("text", "")),
            )
        except (KeyError, ValueError):
            self._send(404, b"unknown or unacknowledged transaction, or unknown kind")
            return
        self._send(200, json.dumps({"transaction": identifier}).encode(), "application/json")

    def _dump(self, query: dict[str, str]) -> None:
        with self.server.state.lock:
            data = [
                {
                    "id": t.id,
                    "type": t.type,
                    "status": t.status,
                    "number": (t.fields.get("number") or [""])[0],
                    "related_id": t.related_id,
                }
                for t in self.server.state.transactions.values()
            ]
        self._send(200, json.dumps(data).encode(), "application/json")


class StandinServer(ThreadingHTTPServer):
    """HTTPS server requiring a client certificate signed by ``ca_file``."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        *,
        cert_file: str,
        key_file: str,
        ca_file: str,
        state: StandinState | None = None,
        verbose: bool = False,
    ):
        super().__init__(address, StandinHandler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        context.load_verify_locations(cafile=ca_file)
        context.verify_mode = ssl.CERT_REQUIRED
        self.tls_context = context
        self.state = state or StandinState()
        self.verbose = verbose

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Refused handshakes and clients that hung up (timeouts) are expected here.
        if self.verbose:
            super().handle_error(request, client_address)


def serve_in_thread(
    *,
    cert_file: str,
    key_file: str,
    ca_file: str,
    config: StandinConfig | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> tuple[StandinServer, threading.Thread]:
    """Start a stand-in on ``host:port`` (0: any free port) in a daemon thread.

    Stop it with ``server.shutdown(); server.server_close()``.
    """
    server = StandinServer(
        (host, port),
        cert_file=cert_file,
        key_file=key_file,
        ca_file=ca_file,
        state=StandinState(config),
    )
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},  # quick shutdown between tests
        name="s2low-standin",
        daemon=True,
    )
    thread.start()
    return server, thread


def main(argv: list[str] | None = None) -> None:
    """Command line entry point: serve until interrupted."""
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()  # builders translate their messages
    parser = argparse.ArgumentParser(description="Stand-in S2LOW server (tests only).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--cert", help="server certificate (PEM)")
    parser.add_argument("--key", help="server private key (PEM)")
    parser.add_argument("--ca", help="CA that signs accepted client certificates")
    parser.add_argument(
        "--make-pki",
        metavar="DIR",
        help="write a throw-away CA, server and client certificates into DIR, then exit",
    )
    parser.add_argument("--outcome", choices=["success", "anomaly"], default="success")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before every answer")
    parser.add_argument(
        "--fail-next", type=int, default=0, help="answer 503 to the next N requests"
    )
    parser.add_argument("--siren", default=StandinConfig.siren)
    parser.add_argument("--departement", default=StandinConfig.departement)
    parser.add_argument(
        "--classification-date",
        default=StandinConfig.classification_date,
        type=lambda value: dt.date.fromisoformat(value).isoformat(),
        help="date (YYYY-MM-DD) of the classification the prefecture announces as current",
    )
    parser.add_argument("--verbose", action="store_true")
    options = parser.parse_args(argv)
    if options.make_pki:
        pki = make_test_pki(directory=Path(options.make_pki))
        print("\n".join(f"{name}: {path}" for name, path in dataclasses.asdict(pki).items()))  # noqa: T201
        return
    if not (options.cert and options.key and options.ca):
        parser.error("--cert, --key and --ca are required (see --make-pki)")
    config = StandinConfig(
        outcome=options.outcome,
        delay_seconds=options.delay,
        fail_next=options.fail_next,
        siren=options.siren,
        departement=options.departement,
        classification_date=options.classification_date,
    )
    server = StandinServer(
        (options.host, options.port),
        cert_file=options.cert,
        key_file=options.key,
        ca_file=options.ca,
        state=StandinState(config),
        verbose=options.verbose,
    )
    url = f"https://{options.host}:{server.server_address[1]}/"
    print(f"Stand-in S2LOW listening on {url}", flush=True)  # noqa: T201 - the command's output
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
