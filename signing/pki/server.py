"""Serving the demo PKI's TSA, OCSP responder and CRLs over HTTP on loopback.

The aiohttp application is certomancer's own "animator" (the tool pyHanko's tests use), without
its web UI and without its fake-time header, bound to the host and port baked into the
certificates. It runs either in a background thread (tests, benchmarks, ``make run``) or in the
foreground (``python -m signing.pki serve``).

URLs, relative to ``http://127.0.0.1:<port>``:
``POST /delibre/tsa/tsa`` (RFC 3161), ``POST /delibre/ocsp/intermediate`` (RFC 6960),
``GET /delibre/crls/{root,intermediate}/latest.crl``.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ._backend import install_fast_backend
from .config import PkiError, _check_loopback
from .generate import DemoPki

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger("delibre.signing.pki")


def build_app(pki: DemoPki) -> web.Application:
    """The aiohttp application serving ``pki``'s TSA, OCSP responder and CRLs.

    Thin handlers over certomancer's service registry rather than its "animator" app, for two
    reasons: OCSP must also be answered by GET (RFC 6960 appendix A.1, what NSS and so
    ``pdfsig`` send), and OCSP times must be whole seconds: certomancer stamps them with
    microseconds, which strict DER parsers (pyca/cryptography, NSS) reject.
    Side effect: installs the fast certomancer crypto backend (see :mod:`._backend`).
    """
    import base64
    import binascii
    from urllib.parse import unquote

    from aiohttp import web
    from asn1crypto import ocsp, tsp
    from certomancer.registry import CertomancerObjectNotFoundError, ServiceLabel

    install_fast_backend()
    arch = pki.arch
    services = arch.service_registry
    arch_name = arch.arch_label.value

    def now() -> datetime:
        return datetime.now(UTC).replace(microsecond=0)

    def check_arch(request: web.Request) -> ServiceLabel:
        if request.match_info["arch"] != arch_name:
            raise web.HTTPNotFound()
        return ServiceLabel(request.match_info["label"])

    def ocsp_answer(label: ServiceLabel, der: bytes) -> web.Response:
        try:
            ocsp_request = ocsp.OCSPRequest.load(der)
            responder = services.summon_responder(label, now())
            body = responder.build_ocsp_response(ocsp_request).dump()
        except CertomancerObjectNotFoundError as exc:
            raise web.HTTPNotFound() from exc
        except ValueError as exc:
            raise web.HTTPBadRequest() from exc
        return web.Response(body=body, content_type="application/ocsp-response")

    async def ocsp_post(request: web.Request) -> web.Response:
        return ocsp_answer(check_arch(request), await request.read())

    async def ocsp_get(request: web.Request) -> web.Response:
        label = check_arch(request)
        try:
            der = base64.b64decode(unquote(request.match_info["request"]), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise web.HTTPBadRequest() from exc
        return ocsp_answer(label, der)

    async def tsa_post(request: web.Request) -> web.Response:
        label = check_arch(request)
        try:
            tsa_request = tsp.TimeStampReq.load(await request.read())
            timestamper = services.summon_timestamper(label, datetime.now(UTC))
            answer = timestamper.request_tsa_response(tsa_request).dump()
        except CertomancerObjectNotFoundError as exc:
            raise web.HTTPNotFound() from exc
        except ValueError as exc:
            raise web.HTTPBadRequest() from exc
        return web.Response(body=answer, content_type="application/timestamp-reply")

    async def crl_get(request: web.Request) -> web.Response:
        label = check_arch(request)
        try:
            crl = services.get_crl(label, now())
        except CertomancerObjectNotFoundError as exc:
            raise web.HTTPNotFound() from exc
        return web.Response(body=crl.dump(), content_type="application/pkix-crl")

    app = web.Application()
    app.router.add_post("/{arch}/ocsp/{label}", ocsp_post)
    app.router.add_get("/{arch}/ocsp/{label}/{request:.+}", ocsp_get)
    app.router.add_post("/{arch}/tsa/{label}", tsa_post)
    app.router.add_get("/{arch}/crls/{label}/latest.crl", crl_get)
    return app


def bind_loopback_socket(*, host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """Bind a listening TCP socket on loopback; with ``port=0`` the OS picks a free port.

    Lets the test suite learn a free port *before* generating the PKI (the port is written into
    the certificates) without the race of closing and re-binding it.
    """
    _check_loopback(host)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise PkiError(f"Cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.setblocking(False)
    return sock


class PkiServer:
    """The PKI services in a background thread with its own event loop.

    Use as a context manager or call :meth:`start` / :meth:`stop`. ``sock`` is an already
    bound socket (see :func:`bind_loopback_socket`); by default the server binds the PKI's own
    host and port.
    """

    def __init__(self, pki: DemoPki, *, sock: socket.socket | None = None):
        _check_loopback(pki.host)
        if sock is not None and sock.getsockname()[1] != pki.port:
            raise PkiError(
                f"The socket listens on port {sock.getsockname()[1]} but the PKI's certificates "
                f"name port {pki.port}."
            )
        self.pki = pki
        self._sock = sock
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._stop: asyncio.Event | None = None

    @property
    def url(self) -> str:
        return f"http://{self.pki.host}:{self.pki.port}"

    def start(self, *, timeout: float = 10.0) -> PkiServer:
        """Start serving; return once the socket accepts connections.

        Side effects: starts a daemon thread, listens on the PKI's loopback port.
        """
        if self._thread is not None:
            raise PkiError("The PKI server is already running.")
        app = build_app(self.pki)  # built here so configuration errors surface in the caller
        self._thread = threading.Thread(
            target=self._run, args=(app,), name="delibre-pki-server", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(timeout):
            raise PkiError("The PKI server did not start in time.")
        if self._error is not None:
            raise PkiError(f"The PKI server failed to start: {self._error}") from self._error
        if not self._thread.is_alive():
            raise PkiError("The PKI server stopped as soon as it started (see the log).")
        return self

    def _run(self, app: web.Application) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve(app))
        except OSError as exc:  # cannot listen: reported to the thread that called start()
            self._error = exc
        finally:
            self._ready.set()
            loop.close()

    async def _serve(self, app: web.Application) -> None:
        from aiohttp import web

        self._stop = asyncio.Event()
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site: web.BaseSite
        if self._sock is not None:
            site = web.SockSite(runner, self._sock)
        else:
            site = web.TCPSite(runner, self.pki.host, self.pki.port, reuse_address=True)
        try:
            await site.start()
            self._ready.set()
            await self._stop.wait()
        finally:
            await runner.cleanup()

    def stop(self, *, timeout: float = 10.0) -> None:
        """Stop serving and join the thread. Side effect: closes the listening socket."""
        if self._thread is None:
            return
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)
        self._thread = None

    def __enter__(self) -> PkiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_forever(pki: DemoPki) -> None:
    """Serve ``pki`` in the foreground until interrupted (the ``serve`` command).

    Side effects: listens on the PKI's loopback host and port; logs to stderr.
    """
    from aiohttp import web

    _check_loopback(pki.host)
    web.run_app(
        build_app(pki),
        host=pki.host,
        port=pki.port,
        access_log=log,
        print=lambda text: log.info("%s", text),
    )
