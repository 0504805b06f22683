"""Domain actions on treasury flows (verb-first, keyword-only, with an actor; STYLE.md §2).

Journal codes, all on the flow's chain (``pesflow:<id>``) unless said otherwise:
``pes.flow.imported``, ``pes.flow.built``, ``pes.flow.withdrawn``, ``pes.circuit.started`` /
``.approved`` / ``.rejected`` / ``.recalled`` / ``.completed`` (workflow.services.runs),
``pes.flow.signed``, ``pes.transmission.queued`` / ``.delayed`` / ``.failed`` / ``.requeued``,
``pes.flow.sent``, ``pes.acquit.imported``, ``pes.retour.imported`` (the collectivité's chain
when no flow matches), ``pes.flow.verified``, ``pes.mandates.recorded`` (the act's chain),
``pes.import.queued`` / ``.failed`` (background imports, the collectivité's chain).
"""

from .building import build_flow, import_planned_mandates, parse_mandates_csv
from .importing import import_flow, withdraw_flow
from .jobs import background_threshold, import_progress, run_import, start_import
from .returns import WatchReport, import_acquit, import_retour, watch_folder
from .sending import (
    deliver_transmission,
    retry_transmission,
    retry_transmissions,
    send_flow,
    settings_of,
)
from .settings import update_settings
from .signing import sign_flow
from .treasury import verify_for_treasury

__all__ = [
    "WatchReport",
    "background_threshold",
    "build_flow",
    "deliver_transmission",
    "import_acquit",
    "import_flow",
    "import_planned_mandates",
    "import_progress",
    "import_retour",
    "parse_mandates_csv",
    "retry_transmission",
    "retry_transmissions",
    "run_import",
    "send_flow",
    "settings_of",
    "sign_flow",
    "start_import",
    "update_settings",
    "verify_for_treasury",
    "watch_folder",
    "withdraw_flow",
]
