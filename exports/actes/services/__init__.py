"""Domain actions of the prefecture exchanges (verb-first, keyword-only, with an actor).

``actor`` None means Délibre itself (a background task, a command run on the server): the role
check applies to users only.
"""

from .returns import (
    PollReport,
    close_message,
    import_classification_message,
    import_prefecture_file,
    poll_collectivite,
)
from .settings import fetch_classification, update_tdt_settings
from .transmissions import (
    MAX_ATTEMPTS,
    BuiltArchive,
    SendOutcome,
    answer_prefecture_message,
    build_act_archive,
    discard_transmission,
    prepare_transmission,
    reconcile_transmission,
    request_cancellation,
    retry_delay,
    send_transmission,
    transmit,
)

__all__ = [
    "MAX_ATTEMPTS",
    "BuiltArchive",
    "PollReport",
    "SendOutcome",
    "answer_prefecture_message",
    "build_act_archive",
    "close_message",
    "discard_transmission",
    "fetch_classification",
    "import_classification_message",
    "import_prefecture_file",
    "poll_collectivite",
    "prepare_transmission",
    "reconcile_transmission",
    "request_cancellation",
    "retry_delay",
    "send_transmission",
    "transmit",
    "update_tdt_settings",
]
