"""Valid request bodies for the matrix, so that a role's permission is observed, not the form.

Without a body a form is refused as invalid for everyone (often before the role is checked),
which proves nothing about who may act: the sensitive actions get a body here. The others are
sent empty; their cells then say "invalid input" for the roles that pass the permission check,
and the refusals are still checked to change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .world import World

REASON = {"reason": "Contrôle de la matrice des droits"}


def _sign(world: World, role: str) -> dict[str, Any]:
    # The world's certificate is not a real PKCS#12: the signer passes the permission check and
    # is then refused the key ("error"); every other role is refused before ("denied").
    return {"certificate": world["certificate"].pk, "password": "mot-de-passe"}


def _grant(world: World, role: str) -> dict[str, Any]:
    return {"user": world.users["clerk"].username, "role": "validator"}


PAYLOADS: dict[str, Callable[[World, str], Any]] = {
    "POST /signing/steps/{pk}/sign/": _sign,
    "POST /api/signing/steps/{pk}/sign/": _sign,
    "POST /api/collectivites/{pk}/grant-role/": _grant,
    "POST /api/collectivites/{pk}/revoke-role/": _grant,
    **dict.fromkeys(
        [
            "POST /acts/{pk}/withdraw/",
            "POST /api/acts/{pk}/withdraw/",
            "POST /circuit/steps/{pk}/reject/",
            "POST /api/step-runs/{pk}/reject/",
            "POST /circuit/steps/{pk}/skip/",
            "POST /api/step-runs/{pk}/skip/",
            "POST /publication/publications/{pk}/unpublish/",
            "POST /api/publication/acts/{pk}/unpublish/",
            "POST /publication/seance-documents/{pk}/unpublish/",
            "POST /api/publication/seance-documents/{pk}/unpublish/",
            "POST /api/pes/flows/{pk}/reject/",
            "POST /api/pes/flows/{pk}/withdraw/",
            "POST /prefecture/transmissions/{pk}/cancel/",
            "POST /api/actes/transmissions/{pk}/cancel/",
        ],
        lambda world, role: dict(REASON),
    ),
}


def payload_for(case: Any, world: World, role: str) -> Any:
    make = PAYLOADS.get(case.row)
    return make(world, role) if make is not None else {}
