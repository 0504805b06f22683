"""Vocabulary of the prefecture exchanges (transmissions, connectors, prefecture messages)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .codes import MessageKind


class TdtConnector(models.TextChoices):
    """How archives leave Délibre: dropped in a folder, or posted to S2LOW's API."""

    FOLDER = "folder", _("Folder drop")
    S2LOW = "s2low", _("S2LOW (API with client certificate)")


class TransmissionStatus(models.TextChoices):
    """Where one outgoing @ctes message stands; changed only by exports.actes.services."""

    PREPARED = "prepared", _("Prepared")
    QUEUED = "queued", _("Waiting to be sent")
    SENT = "sent", _("Sent, waiting for the prefecture")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged by the prefecture")
    ANOMALY = "anomaly", _("Refused by the prefecture (anomaly)")
    FAILED = "failed", _("Not sent (error)")
    CANCELLED = "cancelled", _("Cancelled")


#: A transmission of an act in one of these statuses forbids another one (never sent twice).
ACTIVE_STATUSES = (
    TransmissionStatus.PREPARED,
    TransmissionStatus.QUEUED,
    TransmissionStatus.SENT,
    TransmissionStatus.ACKNOWLEDGED,
)


class TransmissionKind(models.TextChoices):
    """The outgoing messages, valued by their @ctes ``T-F`` code."""

    ACTE = MessageKind.ACTE.value, _("Transmission of the act (1-1)")
    REPONSE_COURRIER_SIMPLE = (
        MessageKind.REPONSE_COURRIER_SIMPLE.value,
        _("Answer to a letter (2-2)"),
    )
    AR_DEMANDE_PIECES = (
        MessageKind.AR_DEMANDE_PIECE_COMPLEMENTAIRE.value,
        _("Acknowledgement of a request for documents (3-2)"),
    )
    REFUS_PIECES = (
        MessageKind.REFUS_PIECE_COMPLEMENTAIRE.value,
        _("Refusal to send documents (3-3)"),
    )
    PIECES_COMPLEMENTAIRES = MessageKind.PIECE_COMPLEMENTAIRE.value, _("Additional documents (3-4)")
    AR_LETTRE_OBSERVATIONS = (
        MessageKind.AR_LETTRE_OBSERVATIONS.value,
        _("Acknowledgement of a letter of observations (4-2)"),
    )
    REJET_LETTRE_OBSERVATIONS = (
        MessageKind.REJET_LETTRE_OBSERVATIONS.value,
        _("Rejection of a letter of observations (4-3)"),
    )
    REPONSE_LETTRE_OBSERVATIONS = (
        MessageKind.REPONSE_LETTRE_OBSERVATIONS.value,
        _("Answer to a letter of observations (4-4)"),
    )
    ANNULATION = MessageKind.ANNULATION.value, _("Cancellation of the transmission (6-1)")


class PrefectureMessageKind(models.TextChoices):
    """Every message the prefecture (or the TdT) sends back."""

    AR_ACTE = MessageKind.AR_ACTE.value, _("Acknowledgement (1-2)")
    ANOMALIE_ACTE = MessageKind.ANOMALIE_ACTE.value, _("Anomaly of the act (1-3)")
    ANOMALIE_ENVELOPPE = MessageKind.ANOMALIE_ENVELOPPE.value, _("Anomaly of the envelope")
    COURRIER_SIMPLE = MessageKind.COURRIER_SIMPLE.value, _("Letter (courrier simple, 2-1)")
    DEMANDE_PIECES = (
        MessageKind.DEMANDE_PIECE_COMPLEMENTAIRE.value,
        _("Request for additional documents (3-1)"),
    )
    AR_PIECES = (
        MessageKind.AR_PIECE_COMPLEMENTAIRE.value,
        _("Acknowledgement of the additional documents (3-5)"),
    )
    LETTRE_OBSERVATIONS = MessageKind.LETTRE_OBSERVATIONS.value, _("Letter of observations (4-1)")
    AR_REPONSE_OBSERVATIONS = (
        MessageKind.AR_REPONSE_REJET_LETTRE_OBSERVATIONS.value,
        _("Acknowledgement of the answer to observations (4-5)"),
    )
    DEFERE_TA = MessageKind.DEFERE_TA.value, _("Referral to the administrative court (5-1)")
    AR_ANNULATION = MessageKind.AR_ANNULATION.value, _("Cancellation acknowledged (6-2)")
    RETOUR_CLASSIFICATION = MessageKind.RETOUR_CLASSIFICATION.value, _("Classification (7-2)")
    CLASSIFICATION_SANS_CHANGEMENT = (
        MessageKind.REPONSE_CLASSIFICATION_SANS_CHANGEMENT.value,
        _("Classification unchanged (7-3)"),
    )


class MessageSource(models.TextChoices):
    """How a prefecture message reached Délibre."""

    UPLOAD = "upload", _("Imported from a page")
    FOLDER = "folder", _("Returns folder")
    S2LOW = "s2low", _("S2LOW")
    API = "api", _("API")
    COMMAND = "command", _("Command")


class PrefectureMessageStatus(models.TextChoices):
    """What is left to do about a prefecture message."""

    NEW = "new", _("To handle")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Handled")
    INFO = "info", _("For information")


#: The answers @ctes allows to each letter of the prefecture (T-F codes).
ANSWERS: dict[str, tuple[str, ...]] = {
    PrefectureMessageKind.COURRIER_SIMPLE: (TransmissionKind.REPONSE_COURRIER_SIMPLE,),
    PrefectureMessageKind.DEMANDE_PIECES: (
        TransmissionKind.AR_DEMANDE_PIECES,
        TransmissionKind.PIECES_COMPLEMENTAIRES,
        TransmissionKind.REFUS_PIECES,
    ),
    PrefectureMessageKind.LETTRE_OBSERVATIONS: (
        TransmissionKind.AR_LETTRE_OBSERVATIONS,
        TransmissionKind.REPONSE_LETTRE_OBSERVATIONS,
        TransmissionKind.REJET_LETTRE_OBSERVATIONS,
    ),
}
#: Answers that carry no document (acknowledgements); the others need at least one PDF.
ANSWERS_WITHOUT_DOCUMENT = frozenset(
    {TransmissionKind.AR_DEMANDE_PIECES, TransmissionKind.AR_LETTRE_OBSERVATIONS}
)
#: Answers after which the prefecture letter is settled (an acknowledgement leaves it open).
FINAL_ANSWERS = frozenset(
    {
        TransmissionKind.REPONSE_COURRIER_SIMPLE,
        TransmissionKind.PIECES_COMPLEMENTAIRES,
        TransmissionKind.REFUS_PIECES,
        TransmissionKind.REPONSE_LETTRE_OBSERVATIONS,
        TransmissionKind.REJET_LETTRE_OBSERVATIONS,
    }
)
#: S2LOW's ``type_envoie`` for each answer it accepts (actes_transac_reponse_create.php):
#: 4 answers with a document, 3 refuses with a letter. Its acknowledgements (3-2, 4-2) are
#: sent by S2LOW itself when the letter is read, so they are not posted.
S2LOW_ANSWER_TYPES: dict[str, int] = {
    TransmissionKind.REPONSE_COURRIER_SIMPLE: 4,
    TransmissionKind.PIECES_COMPLEMENTAIRES: 4,
    TransmissionKind.REPONSE_LETTRE_OBSERVATIONS: 4,
    TransmissionKind.REFUS_PIECES: 3,
    TransmissionKind.REJET_LETTRE_OBSERVATIONS: 3,
}

#: Default type de pièce of the act's own document, per ACTES nature (the "99" code of each
#: nature in the prefecture's classification; budget documents use 99_BU).
DEFAULT_PIECE_TYPES = {1: "99_DE", 2: "99_AR", 3: "99_AI", 4: "99_DC", 5: "99_BU", 6: "99_AU"}
