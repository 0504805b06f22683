"""A stand-in S2LOW server for tests and demonstrations (never for production).

It speaks the documented S2LOW endpoints that ``s2low.S2lowClient`` uses, over HTTPS, and
refuses any client without a certificate signed by the configured CA. Transactions live in
memory. Uploaded acts are checked like S2LOW does (number, objet, dates, types, files, unique
number) and get S2LOW's French KO answers. Outcomes are configurable (``StandinConfig``):

* ``outcome="success"``: status 4 with a schema-valid ARActe (IDActe, DateReception, echo);
* ``outcome="anomaly"``: status -1 with an AnomalieActe and its reason;
* ``delay_seconds``: every answer is held back (to exercise client timeouts);
* ``fail_next``: the next N requests get HTTP 503 (to exercise retries);
* ``polls_before_outcome``: status polls answered "3 Transmis" before the outcome.

Run it (``--make-pki D`` writes a throw-away CA, server and client certificates into D)::

    python -m exports.actes.standin --make-pki D
    python -m exports.actes.standin --port 8443 --cert D/server.pem --key D/server.key --ca D/ca.pem

The client then uses ``D/client.pem``, ``D/client.key`` and trusts ``D/ca.pem``.

Control endpoints (same TLS and client certificate), for browser tests: ``POST
/_standin/config`` with a JSON object of StandinConfig fields, ``POST /_standin/courrier`` with
``{"transaction": id, "kind": "2-1" | "3-1" | "4-1", "text": "..."}`` to make the prefecture
write about an act, ``GET /_standin/transactions`` for a JSON dump.
"""

from .pki import TestPki, make_test_pki
from .prefecture import StandinConfig, StandinState, StandinTransaction
from .server import StandinServer, main, serve_in_thread

__all__ = [
    "StandinConfig",
    "StandinServer",
    "StandinState",
    "StandinTransaction",
    "TestPki",
    "main",
    "make_test_pki",
    "serve_in_thread",
]
