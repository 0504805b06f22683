"""Client of the S2LOW tiers de télétransmission API (ACTES and Hélios), over HTTPS with a
client certificate.

Library choice: the standard library (``http.client`` + ``ssl.SSLContext.load_cert_chain``).
The calls run inside synchronous Celery tasks, a handful per act, so aiohttp's event loop would
only add ``asyncio.run`` plumbing; ``requests`` is not a dependency of the project, and the
stdlib gives direct control of the TLS context and of the socket timeout, which bounds the
connection, the TLS handshake and every read (``timeout`` seconds each).

Endpoints and answers, as S2LOW implements them (libriciel/s2low ``public.ssl/modules/…``, and
Pastell's ``connecteur/s2low/S2low.class.php`` which calls them; standards/README.md §1.5): text
answers are ``OK\\n<value>\\n`` or ``KO\\n<reason>`` in ISO-8859-1; Hélios answers are small XML
documents (``<import>``, ``<transaction>``, ``<get_retour>`` with ``resultat`` OK/KO).

Status numbers and their meaning: ``tdt_status``.

Errors: ``TdtUnavailable`` (retryable) for timeouts, refused/reset connections, HTTP 408, 429 and
5xx; ``TdtAuthenticationFailed`` for a refused client certificate, an unexpected server
certificate or HTTP 401/403; ``TdtNotFound`` for HTTP 404 or an unknown transaction;
``TdtRefused`` for KO answers (bad number, objet…) and other 4xx.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import re
import ssl
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from django.utils.translation import gettext as _
from lxml import etree

from core.exceptions import InvalidInput
from core.xml import parse_xml

from .builder import Acte, Piece, check_acte
from .exceptions import (
    TdtAuthenticationFailed,
    TdtNotFound,
    TdtProtocolError,
    TdtRefused,
    TdtUnavailable,
)
from .reader import ARActe, IncomingPackage, RetourClassification, read_incoming, read_message
from .tdt_status import ACTES_STATUSES, HELIOS_STATUSES, TdtStatus, status_of

T = TypeVar("T")
ACTES_PATH = "/modules/actes/"
HELIOS_PATH = "/modules/helios/api/"
MAX_RESPONSE_BYTES = 200 * 1024 * 1024
# TLS alerts by which a server refuses our certificate (OpenSSL reason names). A refusal can
# also surface as a bare EOF when the server resets the connection: that one stays transient,
# since it cannot be told apart from a network failure.
_REFUSAL_ALERTS = (
    "CERTIFICATE",
    "UNKNOWN_CA",
    "HANDSHAKE_FAILURE",
    "ACCESS_DENIED",
    "DECRYPT_ERROR",
)


@dataclass(frozen=True)
class PrefectureMessageRef:
    """One prefecture message about a transmitted act (a line of actes_transac_get_document)."""

    transaction_type: int
    status: int
    transaction_id: int


@dataclass(frozen=True)
class _Response:
    status: int
    body: bytes
    location: str | None


def upload_name(name: str) -> str:
    """The file name as Pastell sends it to S2LOW: characters outside [a-zA-Z0-9._ -] → ``_``."""
    return re.sub(r"[^a-zA-Z0-9._ \-]", "_", name) or "document.pdf"


def _multipart(
    fields: Sequence[tuple[str, str]], files: Sequence[tuple[str, str, bytes]]
) -> tuple[bytes, str]:
    boundary = f"delibre-{uuid.uuid4().hex}"
    parts = []
    for name, value in fields:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode("ascii")
            # S2LOW reads form fields as ISO-8859-1 (Pastell utf8_decodes the subject).
            + value.encode("iso-8859-1")
            + b"\r\n"
        )
    for name, filename, content in files:
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            ).encode("iso-8859-1")
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode("ascii"))
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _unavailable(exc: BaseException, *, reached: bool) -> TdtUnavailable:
    return TdtUnavailable(
        _(
            "The transmission platform (S2LOW) cannot be reached right now. Délibre will try "
            "again; if this lasts, check the network or the platform's status page."
        ),
        detail=f"{type(exc).__name__}: {exc}",
        may_have_reached_server=reached,
    )


def _certificate_refused(detail: str) -> TdtAuthenticationFailed:
    return TdtAuthenticationFailed(
        _(
            "The transmission platform (S2LOW) refused the connection: check that the "
            "collectivité's certificate is installed, valid and registered on the platform."
        ),
        detail=detail,
    )


class S2lowClient:
    """One S2LOW account: base URL, client certificate (PEM) and optional HTTP login.

    Loading the certificate is done once, in the constructor. Every method makes one HTTPS
    request (two when S2LOW redirects a download) and raises a TdtError subclass on failure.
    """

    def __init__(
        self,
        *,
        base_url: str,
        cert_file: str,
        key_file: str | None = None,
        key_password: str | None = None,
        ca_file: str | None = None,
        timeout: float = 30.0,
        login: tuple[str, str] | None = None,
    ):
        parts = urlsplit(base_url)
        if parts.scheme != "https" or not parts.hostname:
            raise InvalidInput(_("The S2LOW address must start with https://."))
        self.base_url = base_url.rstrip("/")
        self.host = parts.hostname
        self.port = parts.port or 443
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self.login = login
        # create_default_context verifies the server certificate and host name.
        self.context = ssl.create_default_context(cafile=ca_file)
        self.context.load_cert_chain(cert_file, key_file, password=key_password)

    # -- transport ---------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        fields: Sequence[tuple[str, str]] = (),
        files: Sequence[tuple[str, str, bytes]] = (),
        redirects: int = 1,
    ) -> _Response:
        target = self.prefix + path + (f"?{urlencode(query)}" if query else "")
        headers = {"User-Agent": "Delibre", "Accept": "*/*"}
        body = None
        if method == "POST":
            body, headers["Content-Type"] = _multipart(fields, files)
        if self.login:
            token = base64.b64encode(f"{self.login[0]}:{self.login[1]}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        connection = http.client.HTTPSConnection(
            self.host, self.port, context=self.context, timeout=self.timeout
        )
        connected = False
        try:
            connection.connect()
            connected = True
            connection.request(method, target, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read(MAX_RESPONSE_BYTES + 1)
            result = _Response(response.status, data, response.getheader("Location"))
        except ssl.SSLCertVerificationError as exc:
            raise TdtAuthenticationFailed(
                _(
                    "The transmission platform's certificate could not be verified: check the "
                    "S2LOW address and the certificate authority configured for it."
                ),
                detail=str(exc),
            ) from exc
        except ssl.SSLError as exc:
            if any(word in (exc.reason or "") for word in _REFUSAL_ALERTS):
                raise _certificate_refused(str(exc)) from exc
            raise _unavailable(exc, reached=connected) from exc
        except ConnectionRefusedError as exc:
            raise _unavailable(exc, reached=False) from exc
        except (TimeoutError, OSError, http.client.HTTPException) as exc:
            raise _unavailable(exc, reached=connected) from exc
        finally:
            connection.close()
        if result.status in (301, 302, 303) and result.location and redirects > 0:
            location = urlsplit(urljoin(self.base_url + target, result.location))
            if location.hostname != self.host:
                raise TdtProtocolError(
                    _(
                        "S2LOW redirected to another site; the download was stopped. Tell the administrator."
                    ),
                    detail=result.location,
                )
            path_only = location.path.removeprefix(self.prefix)
            query_pairs = dict(parse_qsl(location.query))
            return self._request("GET", path_only, query=query_pairs, redirects=redirects - 1)
        self._raise_for_status(result)
        return result

    @staticmethod
    def _raise_for_status(result: _Response) -> None:
        detail = result.body[:500].decode("iso-8859-1", "replace")
        if len(result.body) > MAX_RESPONSE_BYTES:
            raise TdtProtocolError(
                _(
                    "S2LOW sent an answer too large to be read. Try again later; if this persists, tell the administrator."
                )
            )
        if result.status in (408, 429) or result.status >= 500:
            raise TdtUnavailable(
                _(
                    "The transmission platform (S2LOW) is temporarily unavailable (HTTP "
                    "%(status)d). Délibre will try again later."
                )
                % {"status": result.status},
                detail=detail,
            )
        if result.status in (401, 403):
            raise _certificate_refused(detail)
        if result.status == 404:
            raise TdtNotFound(
                _(
                    "S2LOW does not know this transaction or page: check the S2LOW address and the transaction number."
                ),
                detail=detail,
            )
        if result.status >= 300:
            raise TdtRefused(
                _("S2LOW refused the request (HTTP %(status)d).") % {"status": result.status},
                detail=detail,
            )

    @staticmethod
    def _ok_lines(result: _Response) -> list[str]:
        """Split an ``OK\\n…`` answer; raise the right error for ``KO…``."""
        text = result.body.decode("iso-8859-1")
        head, _sep, rest = text.partition("\n")
        if head.strip() == "OK" or head.startswith("OK :"):
            return [head, *rest.split("\n")]
        if not head.startswith("KO"):
            raise TdtProtocolError(
                _(
                    "S2LOW answered something Délibre does not understand. Try again later; if this persists, tell the administrator."
                ),
                detail=text[:500],
            )
        # "KO\n<reason>" from most pages, "KO : <reason>" from actes_transac_reponse_create.
        reason = rest.strip() or head.removeprefix("KO").strip(" :")
        if "transaction invalide" in reason or "n'existe pas" in reason:
            raise TdtNotFound(
                _(
                    "S2LOW does not know this transaction: check that it was sent from this collectivité's account."
                ),
                detail=reason,
            )
        if "authentification" in reason or "Accès refusé" in reason:
            raise _certificate_refused(reason)
        raise TdtRefused(
            _("S2LOW refused the request: %(reason)s. Correct it and try again.")
            % {"reason": reason},
            detail=reason,
        )

    def _xml(self, result: _Response, root_name: str) -> etree._Element:
        try:
            root = parse_xml(result.body, max_bytes=MAX_RESPONSE_BYTES).getroot()
        except InvalidInput as exc:
            raise TdtProtocolError(
                _("S2LOW's answer is not the expected XML (check the login and certificate)."),
                detail=result.body[:500].decode("iso-8859-1", "replace"),
            ) from exc
        if root.tag != root_name:
            raise TdtProtocolError(
                _(
                    "S2LOW answered something Délibre does not understand. Try again later; if this persists, tell the administrator."
                ),
                detail=root.tag,
            )
        if (root.findtext("resultat") or "").strip() != "OK":
            reason = (root.findtext("message") or "").strip()
            if "transaction invalide" in reason.lower() or "pas correcte" in reason:
                raise TdtNotFound(
                    _(
                        "S2LOW does not know this transaction: check that it was sent from this collectivité's account."
                    ),
                    detail=reason,
                )
            raise TdtRefused(
                _("S2LOW refused the request: %(reason)s. Correct it and try again.")
                % {"reason": reason},
                detail=reason,
            )
        return root

    # -- ACTES -------------------------------------------------------------------------------

    def create_transaction(self, *, acte: Acte, today: dt.date, en_attente: bool = False) -> int:
        """Post an act (actes_transac_create.php); return S2LOW's transaction id.

        The act is checked with the same rules as the archive builder first, so S2LOW never
        sees an act Délibre would refuse. Side effect: a transaction exists on S2LOW. NOT
        idempotent: after ``TdtUnavailable`` with ``may_have_reached_server``, reconcile
        before posting again (S2LOW refuses a second act with the same number anyway).
        """
        objet, _extensions = check_acte(acte, today=today)
        fields = [
            ("api", "1"),
            ("nature_code", str(acte.nature)),
            ("number", acte.number),
            ("subject", objet),
            ("decision_date", acte.decision_date.isoformat()),
            ("en_attente", "1" if en_attente else "0"),
            ("document_papier", "1" if acte.document_papier else "0"),
            ("type_acte", acte.document.type_pj),
        ]
        fields += [(f"classif{level}", str(code)) for level, code in enumerate(acte.matieres, 1)]
        fields += [("type_pj[]", annex.type_pj) for annex in acte.annexes]
        files = [("acte_pdf_file", upload_name(acte.document.filename), acte.document.content)]
        files += [
            ("acte_attachments[]", upload_name(annex.filename), annex.content)
            for annex in acte.annexes
        ]
        lines = self._ok_lines(
            self._request(
                "POST", ACTES_PATH + "actes_transac_create.php", fields=fields, files=files
            )
        )
        return self._transaction_id(lines)

    @staticmethod
    def _transaction_id(lines: list[str]) -> int:
        candidates = [lines[0].rpartition(":")[2], *lines[1:2]]
        for candidate in candidates:
            if candidate.strip().isdigit():
                return int(candidate.strip())
        raise TdtProtocolError(
            _(
                "S2LOW did not return a transaction number. Try again later; if this persists, tell the administrator."
            ),
            detail="|".join(lines),
        )

    def get_status(self, *, transaction_id: int) -> TdtStatus:
        """Read an ACTES transaction's status; with status 4, parse the ARActe that comes with it."""
        result = self._request(
            "GET",
            ACTES_PATH + "actes_transac_get_status.php",
            query={"transaction": str(transaction_id)},
        )
        text_lines = self._ok_lines(result)
        try:
            code = int(text_lines[1].strip())
        except (IndexError, ValueError) as exc:
            raise TdtProtocolError(
                _(
                    "S2LOW did not return a status. Try again later; if this persists, tell the administrator."
                ),
                detail=str(text_lines),
            ) from exc
        label, state = status_of(code, ACTES_STATUSES)
        # After "OK\n<status>\n": the stored return message (XML, ISO-8859-1) and, for -1, the
        # error text. Split on bytes so the XML keeps its own encoding.
        tail = result.body.split(b"\n", 2)[2] if result.body.count(b"\n") >= 2 else b""
        return_xml, message = _split_return(tail)
        aracte = None
        if return_xml is not None and code == 4:
            parsed = read_message(content=return_xml, name=f"transaction-{transaction_id}.xml")
            aracte = parsed if isinstance(parsed, ARActe) else None
        return TdtStatus(
            code=code,
            label=label,
            state=state,
            message=message,
            aracte=aracte,
            return_xml=return_xml,
        )

    def get_aracte(self, *, transaction_id: int) -> ARActe:
        """Download the acknowledgement of an act (actes_transac_get_ARActe.php)."""
        result = self._request(
            "GET", ACTES_PATH + "actes_transac_get_ARActe.php", query={"id": str(transaction_id)}
        )
        message = read_message(content=result.body, name=f"transaction-{transaction_id}-1-2.xml")
        if not isinstance(message, ARActe):
            raise TdtProtocolError(
                _(
                    "S2LOW did not return an acknowledgement (ARActe). Try again later; if this persists, tell the administrator."
                ),
                detail=message.kind.root,
            )
        return message

    def list_prefecture_messages(self, *, transaction_id: int) -> list[PrefectureMessageRef]:
        """List the prefecture's messages about a transmitted act (actes_transac_get_document)."""
        result = self._request(
            "GET", ACTES_PATH + "actes_transac_get_document.php", query={"id": str(transaction_id)}
        )
        text = result.body.decode("iso-8859-1").strip()
        if text.startswith("KO"):
            self._ok_lines(result)
        refs = []
        for line in filter(None, (line.strip() for line in text.splitlines())):
            match = re.fullmatch(r"(\d+)-(-?\d+)-(\d+)", line)
            if match is None:
                raise TdtProtocolError(
                    _(
                        "S2LOW sent an unexpected message list. Try again later; if this persists, tell the administrator."
                    ),
                    detail=line,
                )
            refs.append(PrefectureMessageRef(*(int(group) for group in match.groups())))
        return refs

    def download_prefecture_message(self, *, transaction_id: int) -> bytes:
        """The bytes of one prefecture message as S2LOW stores it (its tar.gz), unread."""
        result = self._request(
            "GET", ACTES_PATH + "actes_transac_get_document.php", query={"id": str(transaction_id)}
        )
        if result.body.startswith(b"KO"):
            self._ok_lines(result)
        return result.body

    def get_prefecture_message(self, *, transaction_id: int) -> IncomingPackage:
        """Download and read one prefecture message (its tar.gz, through S2LOW's redirect)."""
        content = self.download_prefecture_message(transaction_id=transaction_id)
        return read_incoming(content=content, name=f"transaction-{transaction_id}.tar.gz")

    def send_response(
        self,
        *,
        transaction_id: int,
        type_envoie: int,
        document: Piece,
        attachments: Sequence[Piece] = (),
    ) -> int:
        """Answer a prefecture letter (actes_transac_reponse_create.php); return the answer's id.

        ``transaction_id`` is S2LOW's id of the letter (2-1, 3-1, 4-1); ``type_envoie`` 4 answers
        with the documents, 3 refuses with a letter (as Pastell's S2LOW connector posts them).
        Side effect: S2LOW sends the answer to the prefecture. Not idempotent (see create).
        """
        fields = [
            ("api", "1"),
            ("id", str(transaction_id)),
            ("type_envoie", str(type_envoie)),
            ("type_acte", document.type_pj),
        ]
        fields += [("type_pj[]", piece.type_pj) for piece in attachments]
        files = [("acte_pdf_file", upload_name(document.filename), document.content)]
        files += [
            ("acte_attachments[]", upload_name(piece.filename), piece.content)
            for piece in attachments
        ]
        lines = self._ok_lines(
            self._request(
                "POST", ACTES_PATH + "actes_transac_reponse_create.php", fields=fields, files=files
            )
        )
        return self._transaction_id(lines)

    def cancel_transaction(self, *, transaction_id: int) -> int:
        """Ask S2LOW to cancel an acknowledged act (6-1); return the cancellation's transaction id.

        Side effect: S2LOW sends an Annulation to the prefecture.
        """
        lines = self._ok_lines(
            self._request(
                "POST",
                ACTES_PATH + "actes_transac_cancel.php",
                fields=[("api", "1"), ("id", str(transaction_id))],
            )
        )
        return self._transaction_id(lines)

    def download_classification(self) -> bytes:
        """The bytes of the collectivité's current classification file, unread."""
        result = self._request(
            "GET", ACTES_PATH + "actes_classification_fetch.php", query={"api": "1"}
        )
        if result.body.startswith(b"KO"):
            self._ok_lines(result)
        return result.body

    def fetch_classification(self) -> RetourClassification:
        """Download the collectivité's current classification (actes_classification_fetch.php)."""
        message = read_message(content=self.download_classification(), name="classification.xml")
        if not isinstance(message, RetourClassification):
            raise TdtProtocolError(
                _(
                    "S2LOW did not return a classification. Try again later; if this persists, tell the administrator."
                ),
                detail=message.kind.root,
            )
        return message

    # -- Hélios ------------------------------------------------------------------------------

    def helios_send(self, *, filename: str, content: bytes) -> int:
        """Post a signed PES_Aller (helios_importer_fichier.php, field ``enveloppe``).

        Returns the Hélios transaction id. Side effect: a transaction exists on S2LOW (S2LOW
        refuses the same file twice: "doublon").
        """
        result = self._request(
            "POST",
            HELIOS_PATH + "helios_importer_fichier.php",
            files=[("enveloppe", upload_name(filename), content)],
        )
        root = self._xml(result, "import")
        identifier = (root.findtext("id") or "").strip()
        if not identifier.isdigit():
            raise TdtProtocolError(
                _(
                    "S2LOW did not return a transaction number. Try again later; if this persists, tell the administrator."
                ),
                detail=identifier,
            )
        return int(identifier)

    def helios_status(self, *, transaction_id: int) -> TdtStatus:
        """Read a Hélios transaction's status (helios_transac_get_status.php)."""
        result = self._request(
            "GET",
            HELIOS_PATH + "helios_transac_get_status.php",
            query={"transaction": str(transaction_id)},
        )
        root = self._xml(result, "transaction")
        try:
            code = int((root.findtext("status") or "").strip())
        except ValueError as exc:
            raise TdtProtocolError(
                _(
                    "S2LOW did not return a status. Try again later; if this persists, tell the administrator."
                )
            ) from exc
        label, state = status_of(code, HELIOS_STATUSES)
        return TdtStatus(
            code=code, label=label, state=state, message=(root.findtext("message") or "").strip()
        )

    def helios_get_retour(self, *, retour_id: int) -> bytes:
        """Download a PES_Retour (helios_get_retour.php); raise TdtRefused/TdtNotFound on KO."""
        result = self._request(
            "GET", HELIOS_PATH + "helios_get_retour.php", query={"id": str(retour_id)}
        )
        head = result.body[:200].lstrip()
        if b"<get_retour" in head:
            self._xml(result, "get_retour")
        return result.body


def _split_return(tail: bytes) -> tuple[bytes | None, str]:
    """Separate the stored return XML from the trailing error text of a status answer."""
    stripped = tail.strip()
    if not stripped.startswith(b"<"):
        return None, stripped.decode("iso-8859-1")
    match = re.search(rb"<(?!\?)([\w:.-]+)", stripped)
    if match is None:
        return None, stripped.decode("iso-8859-1")
    closing = b"</" + match.group(1) + b">"
    end = stripped.rfind(closing)
    if end < 0:
        self_closed = stripped.find(b"/>", match.end())
        end, closing = (self_closed, b"/>") if self_closed >= 0 else (len(stripped), b"")
    end += len(closing)
    return stripped[:end], stripped[end:].strip().decode("iso-8859-1")


def call_with_retries(
    operation: Callable[[], T],
    *,
    attempts: int = 3,
    delay: float = 1.0,
    idempotent: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``operation``, retrying only transient failures, at most ``attempts`` times.

    Waits ``delay``, then twice as long each time. A non-idempotent operation (posting an act)
    is retried only when the request certainly did not reach S2LOW, so an act is never sent
    twice. Other errors are raised at once. Side effects: those of ``operation``; sleeps.
    """
    for attempt in range(1, attempts + 1):
        try:
            return operation()
        except TdtUnavailable as exc:
            if attempt == attempts or (not idempotent and exc.may_have_reached_server):
                raise
            sleep(delay * 2 ** (attempt - 1))
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
