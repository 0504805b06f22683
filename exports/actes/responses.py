"""The other messages a collectivité sends: answers to the prefecture, cancellation, classification.

Each builder checks its input, names the files after the act (``<IDActe>-<T>-<F>_<k>``, as S2LOW
does), validates envelope and message against the XSD and returns a ``Transmission``. Pure
functions, no I/O. What the XSD defines for each (standards/README.md §1.2):

* 2-2 ReponseCourrierSimple: IDActe, DateCourrierPref, one Document;
* 3-2 ARDemandePieceComplementaire: IDActe, DateCourrierPref, no document;
* 3-3 RefusPieceComplementaire: one Document (the letter explaining the refusal);
* 3-4 PieceComplementaire: Documents (one or more);
* 4-2 ARLettreObservations: no document; 4-3 RejetLettreObservations and
  4-4 ReponseLettreObservations: one Document;
* 6-1 Annulation: IDActe only; 7-1 DemandeClassification: optional DateClassification.

``date_courrier`` is the date of the prefecture's letter being answered (``DateCourrierPref`` as
read from it), not the date of the answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.translation import gettext as _

from .builder import (
    Collectivite,
    Piece,
    Transmission,
    check_collectivite,
    check_id_acte,
    check_pieces,
    document_names,
    new_root,
    package,
    refuse,
    serialize,
    sub,
)
from .codes import MessageKind


def _courrier_answer(
    *,
    kind: MessageKind,
    collectivite: Collectivite,
    id_acte: str,
    date_courrier: dt.date,
    pieces: Sequence[Piece],
    sent_on: dt.date,
    serial: int,
) -> Transmission:
    check_collectivite(collectivite)
    check_id_acte(id_acte, siren=collectivite.siren)
    base = f"{id_acte}-{kind.value}"
    extensions = check_pieces(pieces, require_type=False)
    names = document_names(base, pieces, extensions)
    root = new_root(kind.root, IDActe=id_acte, DateCourrierPref=date_courrier.isoformat())
    if kind is MessageKind.PIECE_COMPLEMENTAIRE:
        documents = sub(root, "Documents")
        for name in names:
            sub(sub(documents, "Document"), "NomFichier", name)
    elif names:
        sub(sub(root, "Document"), "NomFichier", names[0])
    return package(
        kind=kind,
        collectivite=collectivite,
        sent_on=sent_on,
        serial=serial,
        message_name=f"{base}_0.xml",
        message=serialize(root),
        documents=[(name, piece.content) for name, piece in zip(names, pieces, strict=True)],
    )


def _one_document(document: Piece | None) -> list[Piece]:
    if document is None:
        raise refuse(_("Attach the letter answering the prefecture (PDF)."), code="document")
    return [document]


def build_reponse_courrier_simple(
    *,
    collectivite: Collectivite,
    id_acte: str,
    date_courrier: dt.date,
    document: Piece,
    sent_on: dt.date,
    serial: int,
) -> Transmission:
    """Answer a courrier simple (2-2) with one document. Raises InvalidActesData."""
    return _courrier_answer(
        kind=MessageKind.REPONSE_COURRIER_SIMPLE,
        collectivite=collectivite,
        id_acte=id_acte,
        date_courrier=date_courrier,
        pieces=_one_document(document),
        sent_on=sent_on,
        serial=serial,
    )


def build_ar_demande_pieces(
    *,
    collectivite: Collectivite,
    id_acte: str,
    date_courrier: dt.date,
    sent_on: dt.date,
    serial: int,
) -> Transmission:
    """Acknowledge a request for additional documents (3-2). Raises InvalidActesData."""
    return _courrier_answer(
        kind=MessageKind.AR_DEMANDE_PIECE_COMPLEMENTAIRE,
        collectivite=collectivite,
        id_acte=id_acte,
        date_courrier=date_courrier,
        pieces=[],
        sent_on=sent_on,
        serial=serial,
    )


def build_refus_pieces(
    *,
    collectivite: Collectivite,
    id_acte: str,
    date_courrier: dt.date,
    document: Piece,
    sent_on: dt.date,
    serial: int,
) -> Transmission:
    """Refuse explicitly to send additional documents (3-3), with the letter saying why."""
    return _courrier_answer(
        kind=MessageKind.REFUS_PIECE_COMPLEMENTAIRE,
        collectivite=collectivite,
        id_acte=id_acte,
        date_courrier=date_courrier,
        pieces=_one_document(document),
        sent_on=sent_on,
        serial=serial,
    )


def build_pieces_complementaires(
    *,
    collectivite: Collectivite,
    id_acte: str,
    date_courrier: dt.date,
    documents: Sequence[Piece],
    sent_on: dt.date,
    serial: int,
) -> Transmission:
    """Send the additional documents the prefecture asked for (3-4). Raises InvalidActesData."""
    if not documents:
        raise refuse(_("Attach at least one of the documents requested."), code="document")
    return _courrier_answer(
        kind=MessageKind.PIECE_COMPLEMENTAIRE,
        collectivite=collectivite,
        id_acte=id_acte,
        date_courrier=date_courrier,
        pieces=documents,
        sent_on=sent_on,
        serial=serial,
    )


def build_ar_lettre_observations(
    *,
    collectivite: Collectivite,
    id_acte: str,
    date_courrier: dt.date,
    sent_on: dt.date,
    serial: int,
) -> Transmission:
    """Acknowledge a lettre d'observations (4-2). Raises InvalidActesData."""
    return _courrier_answer(
        kind=MessageKind.AR_LETTRE_OBSERVATIONS,
        collectivite=collectivite,
        id_acte=id_acte,
        date_courrier=date_courrier,
        pieces=[],
        sent_on=sent_on,
        serial=serial,
    )


def build_rejet_lettre_observations(
    *,
    collectivite: Collectivite,
    id_acte: str,
    date_courrier: dt.date,
    document: Piece,
    sent_on: dt.date,
    serial: int,
) -> Transmission:
    """Refuse explicitly to answer a lettre d'observations (4-3). Raises InvalidActesData."""
    return _courrier_answer(
        kind=MessageKind.REJET_LETTRE_OBSERVATIONS,
        collectivite=collectivite,
        id_acte=id_acte,
        date_courrier=date_courrier,
        pieces=_one_document(document),
        sent_on=sent_on,
        serial=serial,
    )


def build_reponse_lettre_observations(
    *,
    collectivite: Collectivite,
    id_acte: str,
    date_courrier: dt.date,
    document: Piece,
    sent_on: dt.date,
    serial: int,
) -> Transmission:
    """Answer a lettre d'observations (4-4) with the justification letter."""
    return _courrier_answer(
        kind=MessageKind.REPONSE_LETTRE_OBSERVATIONS,
        collectivite=collectivite,
        id_acte=id_acte,
        date_courrier=date_courrier,
        pieces=_one_document(document),
        sent_on=sent_on,
        serial=serial,
    )


def build_annulation(
    *, collectivite: Collectivite, id_acte: str, sent_on: dt.date, serial: int
) -> Transmission:
    """Cancel the transmission of an acknowledged act (6-1). Raises InvalidActesData."""
    check_collectivite(collectivite)
    check_id_acte(id_acte, siren=collectivite.siren)
    name = f"{id_acte}-{MessageKind.ANNULATION.value}_0.xml"
    return package(
        kind=MessageKind.ANNULATION,
        collectivite=collectivite,
        sent_on=sent_on,
        serial=serial,
        message_name=name,
        message=serialize(new_root(MessageKind.ANNULATION.root, IDActe=id_acte)),
    )


def build_demande_classification(
    *,
    collectivite: Collectivite,
    classification_date: dt.date | None,
    sent_on: dt.date,
    serial: int,
) -> Transmission:
    """Ask the prefecture for its classification (7-1), giving the date of the one in use.

    The message is not tied to an act: its name leaves date, number and nature empty
    (``DDD-SIREN----7-1_0.xml``). Raises InvalidActesData.
    """
    check_collectivite(collectivite)
    root = new_root(MessageKind.DEMANDE_CLASSIFICATION.root)
    if classification_date is not None:
        sub(root, "DateClassification", classification_date.isoformat())
    name = f"{collectivite.departement}-{collectivite.siren}----7-1_0.xml"
    return package(
        kind=MessageKind.DEMANDE_CLASSIFICATION,
        collectivite=collectivite,
        sent_on=sent_on,
        serial=serial,
        message_name=name,
        message=serialize(root),
    )
