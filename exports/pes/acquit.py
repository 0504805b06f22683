"""Reading what Hélios sends back: PES_ACQUIT (acknowledgements) and PES_Retour.

A PES_ACQUIT lists, per element of the flow sent (a bordereau of a domain, an attachment, a
signature...), whether Hélios took it (``EtatAck`` 1) or rejected it, with the anomalies per
pièce and per line. :func:`read_pes_acquit` returns them; :meth:`PesAcquit.outcome_for` finds
the outcome of one bordereau. Acknowledgements are checked against the Acquit V2 schema, but a
failure is reported, not raised: real negative acknowledgements do not always follow it (the
KO samples carry ``CodCol`` 000).

PES_Retour (prise en charge, rejets, paiements) is only read minimally: header, bordereaux and
their pièces with their state, as plain values, so that it can be kept and shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from lxml import etree

from ._xmlio import (
    SAFE_ITERPARSE_OPTIONS,
    Source,
    check_no_doctype,
    open_source,
    refuse,
    syntax_error,
)
from .issues import PesIssue
from .model import PesEnvelope, PesHeader
from .schemas import Guard, check_validation, load_schema, localname, schema_issue
from .values import date_or_none, truthy

NS_ACQUIT = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/retour/v2"
NS_RETOUR = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/retour"
DEFAULT_MAX_BYTES = 50 * 1024 * 1024

#: DomaineAck (CommunAck.xsd).
ACK_DOMAINS = {
    "0": gettext_lazy("technical"),
    "1": gettext_lazy("technical signature"),
    "2": gettext_lazy("global signature"),
    "3": gettext_lazy("bordereau signature"),
    "4": gettext_lazy("attachment"),
    "5": gettext_lazy("expenditure (dépense)"),
    "6": gettext_lazy("revenue (recette)"),
    "7": gettext_lazy("roll (rôle)"),
    "8": gettext_lazy("budget"),
    "9": gettext_lazy("assets statement"),
    "10": gettext_lazy("liabilities statement"),
    "11": gettext_lazy("public contract (marché)"),
    "12": gettext_lazy("invoice"),
    "99": gettext_lazy("settings"),
}
KIND_DOMAINS = {"depense": "5", "recette": "6"}

#: NumAnoAck (CommunAck.xsd), for the interface.
ACK_ERRORS = {
    "ERREUR_CONNECTION_IMPOSSIBLE_A_LA_BASE": gettext_lazy("Hélios could not reach its database."),
    "ERREUR_ENCODING": gettext_lazy("The file encoding is wrong."),
    "ERREUR_FLUX_VIDE": gettext_lazy("The flow is empty."),
    "ERREUR_SCHEMA_INCOMPLET": gettext_lazy("The flow does not follow the PES schema."),
    "ERREUR_CODIFICATION": gettext_lazy("A code of the flow is unknown."),
    "ERREUR_CODIQUE": gettext_lazy("The accounting office (IdPost) is unknown."),
    "ERREUR_SIRET": gettext_lazy("The SIRET of the collectivité is wrong."),
    "ERREUR_CODE_COLLECTIVITE_BUDGET": gettext_lazy("The collectivité or budget code is wrong."),
    "ERREUR_VERSION_PES": gettext_lazy("The PES version is wrong."),
    "ERREUR_VERSION_PJ": gettext_lazy("The attachment block version is wrong."),
    "ERREUR_SIGNATURE_INVALIDE": gettext_lazy("The signature is not valid."),
    "ERREUR_SIGNATURE_ILLISIBLE": gettext_lazy("The signature cannot be read."),
    "ERREUR_SIGNATURE_INCOMPLETE": gettext_lazy("The signature is incomplete."),
    "ERREUR_DOUBLON_BORDEREAU": gettext_lazy("This bordereau was already received."),
    "ERREUR_DOUBLON_PIECE": gettext_lazy("This pièce was already received."),
    "ERREUR_DOUBLON_LIGNE": gettext_lazy("This line was already received."),
    "ERREUR_DOUBLON_PJ": gettext_lazy("This attachment was already received."),
    "ERREUR_PES_PARAM": gettext_lazy("The flow settings are wrong."),
    "ERREUR_PES_SIGNATURE": gettext_lazy("The flow signature is wrong."),
    "ERREUR_PES_PARAM_SIGNATURE": gettext_lazy("The signature settings are wrong."),
    "ERREUR_CERTIFICAT": gettext_lazy("The signing certificate is not accepted."),
    "ERREUR_TIMEOUT": gettext_lazy("Hélios timed out."),
    "ERREUR_TAILLE_BORDEREAUX": gettext_lazy("The bordereaux are too large."),
    "ERREUR_TAILLE_PIECE": gettext_lazy("A pièce is too large."),
    "ERREUR_TAILLE_LIGNE": gettext_lazy("A line is too large."),
    "ERREUR_PJ_SIGNEE": gettext_lazy("A signed attachment is not accepted."),
    "ERREUR_SIGNATURE_EXTERNE": gettext_lazy("The external signature is wrong."),
    "ERREUR_AUTRE": gettext_lazy("Other error (see the label)."),
    "ERREUR_SIGNATURE_BORDEREAU_INVALIDE": gettext_lazy("The bordereau signature is not valid."),
    "ERREUR_MONTANT_TVA_ZERO_NEGATIF": gettext_lazy("A VAT amount is zero or negative."),
    "ERREUR_PJ": gettext_lazy("The attachment is rejected."),
    "ERREUR_CUMUL_MONTANTS": gettext_lazy("The totals do not add up."),
    "ERREUR_SIGNATURE_BORDEREAU_ILLISIBLE": gettext_lazy("The bordereau signature cannot be read."),
    "ERREUR_SIGNATURE_BORDEREAU_INCOMPLETE": gettext_lazy("The bordereau signature is incomplete."),
}


@dataclass(slots=True)
class AckError:
    code: str | None  # NumAnoAck
    label: str | None  # LibelleAnoAck, Hélios' own text (French)

    @property
    def message(self) -> str:
        known = ACK_ERRORS.get(self.code or "")
        return str(known) if known is not None else (self.code or "")


@dataclass(slots=True)
class AckLine:
    number: str | None
    errors: list[AckError] = field(default_factory=list)


@dataclass(slots=True)
class AckPiece:
    number: str | None
    errors: list[AckError] = field(default_factory=list)
    lines: list[AckLine] = field(default_factory=list)


@dataclass(slots=True)
class AckElement:
    """One ElementACQUIT: the outcome of a bordereau, an attachment, a signature..."""

    domain: str | None
    accepted: bool
    bordereau_number: str | None = None
    exercice: str | None = None
    id_unique: str | None = None
    id_marche: str | None = None
    errors: list[AckError] = field(default_factory=list)
    pieces: list[AckPiece] = field(default_factory=list)

    @property
    def domain_label(self) -> str:
        label = ACK_DOMAINS.get(self.domain or "")
        return str(label) if label is not None else (self.domain or "")


@dataclass(slots=True)
class PesAcquit:
    envelope: PesEnvelope
    header: PesHeader
    id_ver: str | None
    elements: list[AckElement]
    schema_issues: list[PesIssue] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        """Every element acknowledged was taken."""
        return bool(self.elements) and all(e.accepted for e in self.elements)

    def outcome_for(self, *, kind: str, exercice: str, id_bord: str) -> list[AckElement]:
        """The elements about one bordereau (``kind`` "depense" or "recette"). Several are
        possible: a KO acknowledgement may list one element per rejected pièce."""
        domain = KIND_DOMAINS[kind]
        return [
            e
            for e in self.elements
            if e.domain == domain and e.exercice == exercice and e.bordereau_number == id_bord
        ]

    def attachment_outcome(self, id_unique: str) -> AckElement | None:
        return next((e for e in self.elements if e.id_unique == id_unique), None)


def _v(element: etree._Element | None) -> str | None:
    return element.get("V") if element is not None else None


def _errors(element: etree._Element) -> list[AckError]:
    return [
        AckError(code=_v(e.find("NumAnoAck")), label=_v(e.find("LibelleAnoAck")))
        for e in element.iterfind("Erreur")
    ]


def _envelope(element: etree._Element) -> PesEnvelope:
    return PesEnvelope(
        version=_v(element.find("Parametres/Version")),
        file_type=_v(element.find("Parametres/TypFic")),
        file_name=_v(element.find("Parametres/NomFic")),
        emitter_sigle=_v(element.find("Emetteur/Sigle")),
        emitter_address=_v(element.find("Emetteur/Adresse")),
        receiver_sigle=_v(element.find("Recepteur/Sigle")),
        receiver_address=_v(element.find("Recepteur/Adresse")),
    )


def _header(element: etree._Element) -> PesHeader:
    values = {c.tag: c.get("V") for c in element}
    return PesHeader(
        dte_str=date_or_none(values.get("DteStr")),
        id_post=values.get("IdPost"),
        libelle_poste=values.get("LibellePoste"),
        id_coll=values.get("IdColl"),
        fin_jur=values.get("FinJur"),
        cod_col=values.get("CodCol") or values.get("CodColl"),  # PES_Retour says CodColl
        cod_bud=values.get("CodBud"),
        libelle_col_bud=values.get("LibelleColBud"),
    )


def _parse(
    source: Source,
    *,
    root_tag: str,
    tags: tuple[str, ...],
    schema_name: str | None,
    max_bytes: int,
    on_element: Any,
) -> list[PesIssue]:
    schema = load_schema(schema_name) if schema_name else None
    checked = closed = False
    messages: list[str] | None = []
    with open_source(source, max_bytes=max_bytes) as (reader, _prolog, _size):
        guard = Guard()
        reader.observers.append(guard)
        context = etree.iterparse(
            reader,
            events=("end",),
            tag=(*tags, root_tag),
            schema=schema,
            remove_comments=True,
            remove_pis=True,
            **SAFE_ITERPARSE_OPTIONS,
        )
        try:
            for _event, element in context:
                guard.mark()
                if not checked:
                    checked = True
                    root = element.getroottree().getroot()
                    check_no_doctype(root)
                    if root.tag != root_tag:
                        raise refuse(
                            "FILE_ROOT",
                            _wrong_root(localname(root.tag)),
                            line=root.sourceline,
                        )
                if element.getparent() is None:
                    closed = True
                    continue
                on_element(element)
        except etree.XMLSyntaxError as exc:
            if schema is None:
                raise syntax_error(exc) from exc
            messages = [e.message for e in context.error_log if e.domain_name == "SCHEMASV"]
            messages = messages or None
        if messages == [] and not closed:
            messages = None
    # With a schema, libxml2 hides well-formedness errors (see schemas.NotWellFormed).
    check_validation(source, messages, max_bytes=max_bytes)
    if not checked:
        raise refuse("FILE_ROOT", _wrong_root("?"))
    return [schema_issue(message) for message in messages or []]


def _wrong_root(name: str) -> str:
    return _("This is not the expected Hélios return file (the root element is %(tag)s).") % {
        "tag": name
    }


def _release(element: etree._Element) -> None:
    element.clear(keep_tail=True)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def read_pes_acquit(
    source: Source, *, max_bytes: int = DEFAULT_MAX_BYTES, validate: bool = True
) -> PesAcquit:
    """Read a PES_ACQUIT (positive or negative). Schema problems are returned in
    ``schema_issues``, not raised. Raises
    :class:`~exports.pes.exceptions.PesFileRefused` for unsafe, malformed or other files.
    Side effect: reads the source."""
    state: dict[str, Any] = {"envelope": PesEnvelope(), "header": PesHeader(), "id_ver": None}
    elements: list[AckElement] = []

    def on_element(element: etree._Element) -> None:
        tag = element.tag
        if tag == "Enveloppe":
            state["envelope"] = _envelope(element)
        elif tag == "EnTetePES":
            state["header"] = _header(element)
        elif tag == "EnTeteAcquit":
            state["id_ver"] = _v(element.find("IdVer"))
        elif tag == "ElementACQUIT":
            elements.append(
                AckElement(
                    domain=_v(element.find("DomaineAck")),
                    accepted=bool(truthy(_v(element.find("EtatAck")))),
                    bordereau_number=_v(element.find("NumBord")),
                    exercice=_v(element.find("ExerciceBord")),
                    id_unique=_v(element.find("IdUnique")),
                    id_marche=_v(element.find("IdMarche")),
                    errors=_errors(element),
                    pieces=[
                        AckPiece(
                            number=_v(piece.find("NumPiece")),
                            errors=_errors(piece),
                            lines=[
                                AckLine(number=_v(line.find("NumLigne")), errors=_errors(line))
                                for line in piece.iterfind("DetailLigne")
                            ],
                        )
                        for piece in element.iterfind("DetailPiece")
                    ],
                )
            )
            _release(element)

    issues = _parse(
        source,
        root_tag=f"{{{NS_ACQUIT}}}PES_ACQUIT",
        tags=("Enveloppe", "EnTetePES", "EnTeteAcquit", "ElementACQUIT"),
        schema_name="acquit-5.17" if validate else None,
        max_bytes=max_bytes,
        on_element=on_element,
    )
    return PesAcquit(
        envelope=state["envelope"],
        header=state["header"],
        id_ver=state["id_ver"],
        elements=elements,
        schema_issues=issues,
    )


@dataclass(slots=True)
class RetourPiece:
    values: dict[str, str | None]  # InfoPiece children: IdPce, TypPce, EtatPce, DtePcePec...


@dataclass(slots=True)
class RetourBordereau:
    domain: str  # PES_DepenseRetour / PES_RecetteRetour
    values: dict[str, str | None]  # BlocBordereau children: Exer, IdBord, TypBord...
    pieces: list[RetourPiece] = field(default_factory=list)


@dataclass(slots=True)
class PesRetour:
    envelope: PesEnvelope
    header: PesHeader
    bordereaux: list[RetourBordereau]
    schema_issues: list[PesIssue] = field(default_factory=list)


def read_pes_retour(
    source: Source, *, max_bytes: int = DEFAULT_MAX_BYTES, validate: bool = True
) -> PesRetour:
    """Read a PES_Retour minimally (see the module docstring). Same errors as
    :func:`read_pes_acquit`. Side effect: reads the source."""
    state: dict[str, Any] = {"envelope": PesEnvelope(), "header": PesHeader()}
    bordereaux: list[RetourBordereau] = []

    def on_element(element: etree._Element) -> None:
        tag = element.tag
        if tag == "Enveloppe":
            state["envelope"] = _envelope(element)
        elif tag == "EnTetePES":
            state["header"] = _header(element)
        elif tag == "Bordereau":
            parent = element.getparent()
            bloc = element.find("BlocBordereau")
            bordereaux.append(
                RetourBordereau(
                    domain=parent.tag if parent is not None else "",  # type: ignore[arg-type]
                    values={c.tag: c.get("V") for c in bloc} if bloc is not None else {},
                    pieces=[
                        RetourPiece(values={c.tag: c.get("V") for c in info})
                        for info in element.iterfind("Piece/InfoPiece")
                    ],
                )
            )
            _release(element)

    issues = _parse(
        source,
        root_tag=f"{{{NS_RETOUR}}}PES_Retour",
        tags=("Enveloppe", "EnTetePES", "Bordereau"),
        schema_name="retour-5.17" if validate else None,
        max_bytes=max_bytes,
        on_element=on_element,
    )
    return PesRetour(
        envelope=state["envelope"],
        header=state["header"],
        bordereaux=bordereaux,
        schema_issues=issues,
    )
