from .acts import Act, ActQuerySet, Annex, Counter, NumberingScheme
from .classification import ClassificationVersion, Matiere, PieceType
from .organisation import (
    Assembly,
    Collectivite,
    ElectedOfficial,
    Mandate,
    MandateQuerySet,
    Membership,
    Service,
    User,
)
from .seances import AgendaItem, Ballot, ItemAttendance, RollCall, Seance, Vote

__all__ = [
    "Act",
    "ActQuerySet",
    "AgendaItem",
    "Annex",
    "Assembly",
    "Ballot",
    "ClassificationVersion",
    "Collectivite",
    "Counter",
    "ElectedOfficial",
    "ItemAttendance",
    "Mandate",
    "MandateQuerySet",
    "Matiere",
    "Membership",
    "NumberingScheme",
    "PieceType",
    "RollCall",
    "Seance",
    "Service",
    "User",
    "Vote",
]
