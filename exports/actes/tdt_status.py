"""What a tiers de télétransmission's status numbers mean for Délibre.

ACTES status numbers (S2LOW ``S2low\\Enum\\ActesStatus``) and the Délibre state they map to:

====  ==============================================  ==============
code  S2LOW label                                     TdtState
====  ==============================================  ==============
-1    Erreur (the message says why)                   error
0     Annulé                                          cancelled
1     Posté                                           queued
2     En attente de transmission                      queued
3     Transmis (to the ministry; waiting for the AR)  transmitted
4     Acquittement reçu (ARActe available)            acknowledged
5     Validé (legacy; Pastell calls it invalid)       unknown
6     Refusé                                          refused
7     Document reçu (prefecture letter)               received
8     Acquittement envoyé                             answered
9     Document envoyé                                 answered
10    Refus d'envoi                                   answered
11    Acquittement de document reçu                   answered
12    Envoyé au SAE                                   archived
13    Archivé par le SAE                              archived
14    Erreur lors de l'archivage                      archived
15    Reçu par le SAE                                 archived
16    Détruite                                        archived
17    En attente d'être postée                        queued
18    En attente d'être signée                        queued
19    En attente de transmission au SAE               archived
20    Erreur lors de l'envoi au SAE                   archived
21    Document reçu (pas d'AR)                        received
22    Impossible d'envoyer au SAE                     archived
====  ==============================================  ==============

Archive (SAE) statuses only happen after the act's exchange is over; the act's legal state is
then read from its ARActe or ARAnnulation. Hélios statuses (``S2low\\Enum\\HeliosStatus``): -1
error, 0 cancelled, 1 posté, 2 en attente, 13/14 en attente signée/postée → queued; 3 transmis,
24 transmis sans ack → transmitted; 4 acquitté → acknowledged; 6 refusé → refused;
7 en traitement → transmitted; 8 information disponible (PES retour) → received; 9–11, 19, 20,
22 SAE → archived.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .reader import ARActe


class TdtState(enum.StrEnum):
    """Where a transaction stands, in Délibre's words (the lead maps it onto the act's flow)."""

    QUEUED = "queued"
    TRANSMITTED = "transmitted"
    ACKNOWLEDGED = "acknowledged"
    REFUSED = "refused"
    CANCELLED = "cancelled"
    ERROR = "error"
    RECEIVED = "received"
    ANSWERED = "answered"
    ARCHIVED = "archived"
    UNKNOWN = "unknown"


_S = TdtState
ACTES_STATUSES: dict[int, tuple[str, TdtState]] = {
    -1: ("Erreur", _S.ERROR),
    0: ("Annulé", _S.CANCELLED),
    1: ("Posté", _S.QUEUED),
    2: ("En attente de transmission", _S.QUEUED),
    3: ("Transmis", _S.TRANSMITTED),
    4: ("Acquittement reçu", _S.ACKNOWLEDGED),
    5: ("Validé", _S.UNKNOWN),
    6: ("Refusé", _S.REFUSED),
    7: ("Document reçu", _S.RECEIVED),
    8: ("Acquittement envoyé", _S.ANSWERED),
    9: ("Document envoyé", _S.ANSWERED),
    10: ("Refus d'envoi", _S.ANSWERED),
    11: ("Acquittement de document reçu", _S.ANSWERED),
    12: ("Envoyé au SAE", _S.ARCHIVED),
    13: ("Archivé par le SAE", _S.ARCHIVED),
    14: ("Erreur lors de l'archivage", _S.ARCHIVED),
    15: ("Reçu par le SAE", _S.ARCHIVED),
    16: ("Détruite", _S.ARCHIVED),
    17: ("En attente d'être postée", _S.QUEUED),
    18: ("En attente d'être signée", _S.QUEUED),
    19: ("En attente de transmission au SAE", _S.ARCHIVED),
    20: ("Erreur lors de l'envoi au SAE", _S.ARCHIVED),
    21: ("Document reçu (pas d'AR)", _S.RECEIVED),
    22: ("Impossible d'envoyer au SAE", _S.ARCHIVED),
}
HELIOS_STATUSES: dict[int, tuple[str, TdtState]] = {
    -1: ("Erreur", _S.ERROR),
    0: ("Annulé", _S.CANCELLED),
    1: ("Posté", _S.QUEUED),
    2: ("En attente de transmission", _S.QUEUED),
    3: ("Transmis", _S.TRANSMITTED),
    4: ("Acquitté", _S.ACKNOWLEDGED),
    5: ("Validé", _S.UNKNOWN),
    6: ("Refusé", _S.REFUSED),
    7: ("En traitement", _S.TRANSMITTED),
    8: ("Information disponible", _S.RECEIVED),
    9: ("Envoyé au SAE", _S.ARCHIVED),
    10: ("Accepté par le SAE", _S.ARCHIVED),
    11: ("Refusé par le SAE", _S.ARCHIVED),
    13: ("En attente d'être signée", _S.QUEUED),
    14: ("En attente d'être postée", _S.QUEUED),
    19: ("En attente de transmission au SAE", _S.ARCHIVED),
    20: ("Erreur lors de l'envoi au SAE", _S.ARCHIVED),
    22: ("Détruite", _S.ARCHIVED),
    24: ("Transmis sans acquittement", _S.TRANSMITTED),
}


@dataclass(frozen=True)
class TdtStatus:
    """A transaction status: S2LOW's number and label, Délibre's state, and what came with it.

    For ACTES status 4, ``aracte`` is the parsed acknowledgement; for -1, ``message`` says why.
    """

    code: int
    label: str
    state: TdtState
    message: str = ""
    aracte: ARActe | None = None
    return_xml: bytes | None = None


def status_of(code: int, table: dict[int, tuple[str, TdtState]]) -> tuple[str, TdtState]:
    """Label and state of a status number; unknown numbers map to ``TdtState.UNKNOWN``."""
    return table.get(code, (f"Statut {code}", TdtState.UNKNOWN))
