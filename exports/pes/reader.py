"""Importing a PES_Aller: one streaming pass that validates, extracts and checks the rules.

:func:`read_pes_aller` reads bytes, a path or a file object. In a single ``iterparse`` pass
libxml2 validates against the DGFiP XSD while Python extracts the header, the bordereaux, the
pièces with their lines, tiers and imputations, and the attachments, then frees each finished
element, so memory does not grow with the file (a 100,000-pièce flow reads in ~20 MB of tree).
The Hélios rules of :mod:`exports.pes.rules` are checked along the way.

A file with errors raises :class:`~exports.pes.exceptions.PesInvalidFile` carrying every issue
(XSD errors with their line and element path, then rule errors); warnings are returned with the
result. Nothing else is raised for any input bytes.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal

from django.utils.translation import gettext as _
from lxml import etree

from ._xmlio import (
    DEFAULT_MAX_BYTES,
    SAFE_ITERPARSE_OPTIONS,
    BoundedReader,
    Source,
    check_no_doctype,
    open_source,
    refuse,
)
from .exceptions import PesFileRefused, PesInvalidFile
from .issues import PesIssue
from .model import (
    AttachmentInfo,
    BordereauInfo,
    DomainHeader,
    Kind,
    LineInfo,
    PesAllerFile,
    PesEnvelope,
    PesHeader,
    PieceInfo,
    PjRefInfo,
    RefComptaInfo,
    TiersInfo,
)
from .rules import RuleChecker
from .schemas import (
    MAX_SCHEMA_ERRORS,
    Guard,
    NotWellFormed,
    SchemaVersion,
    TooManyErrors,
    aller_schema,
    check_validation,
    localname,
    locate_schema_errors,
    schema_issue,
    validate_stream,
)
from .values import date_or_none, decimal_or_none, int_or_none, truthy

NS_ALLER = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
ROOT_TAG = f"{{{NS_ALLER}}}PES_Aller"
SIGNATURE_TAG = f"{{{NS_DS}}}Signature"

_KINDS: dict[str, Kind] = {"PES_DepenseAller": "depense", "PES_RecetteAller": "recette"}
_TAGS = (
    ROOT_TAG,
    "Enveloppe",
    "EnTetePES",
    "EnTeteDepense",
    "EnTeteRecette",
    "BlocBordereau",
    "LigneDePiece",
    "Piece",
    SIGNATURE_TAG,
    "Bordereau",
    "PJ",
    "EnTetePES_PJ",
    "PES_DepenseAller",
    "PES_RecetteAller",
    "PES_PJ",
    "PES_Facture",
    "PES_Marche",
)

PieceCallback = Callable[[BordereauInfo, PieceInfo], None]


def _values(element: etree._Element | None) -> dict[str, str | None]:
    if element is None:
        return {}
    # Comments and PIs are dropped by the parser and no entity can be declared, so every child
    # is an element.
    return {child.tag: child.get("V") for child in element}


def _release(element: etree._Element) -> None:
    """Free a handled element and its earlier siblings (all handled already)."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _drop(element: etree._Element) -> None:
    """Free a handled element whose earlier siblings are still to be read by its parent's
    handler (a line: the pièce's BlocPiece before it is read at the pièce's end)."""
    parent = element.getparent()
    element.clear(keep_tail=False)
    if parent is not None:
        parent.remove(element)


class _Pass:
    """State of one reading pass (see module docstring)."""

    def __init__(
        self,
        *,
        checker: RuleChecker,
        keep_pieces: bool,
        on_piece: PieceCallback | None,
        guard: Guard,
    ):
        self.checker = checker
        self.keep_pieces = keep_pieces
        self.on_piece = on_piece
        self.guard = guard
        self.envelope = PesEnvelope()
        self.header = PesHeader()
        self.domains: dict[Kind, DomainHeader] = {}
        self.pj_id_ver: str | None = None
        self.bordereaux: list[BordereauInfo] = []
        self.attachments: list[AttachmentInfo] = []
        self.other_blocks: list[str] = []
        self.global_signature = False
        self.root_checked = False
        self.root_closed = False
        self.root_tag: str | None = None
        self.domain_count: dict[Kind, int] = {"depense": 0, "recette": 0}
        self.bordereau: BordereauInfo | None = None
        self.bordereau_path = ""
        self.lines: list[LineInfo] = []
        self.handlers: dict[str, Callable[[etree._Element], None]] = {
            "Enveloppe": self.on_envelope,
            "EnTetePES": self.on_header,
            "EnTeteDepense": self.on_domain_header,
            "EnTeteRecette": self.on_domain_header,
            "BlocBordereau": self.on_bloc_bordereau,
            "LigneDePiece": self.on_line,
            "Piece": self.on_piece_end,
            SIGNATURE_TAG: self.on_signature,
            "Bordereau": self.on_bordereau_end,
            "PJ": self.on_attachment,
            "EnTetePES_PJ": self.on_pj_header,
            "PES_DepenseAller": _release,
            "PES_RecetteAller": _release,
            "PES_PJ": _release,
            "PES_Facture": self.on_other_block,
            "PES_Marche": self.on_other_block,
        }

    # -- dispatch -------------------------------------------------------------------------------

    def handle(self, element: etree._Element) -> None:
        self.guard.mark()
        if not self.root_checked:
            self.check_root(element)
        if element.getparent() is None:
            self.root_closed = True
            return
        handler = self.handlers.get(element.tag)  # type: ignore[arg-type]
        if handler is not None:
            handler(element)

    def check_root(self, element: etree._Element) -> None:
        self.root_checked = True
        root = element.getroottree().getroot()
        check_no_doctype(root)
        self.root_tag = root.tag if isinstance(root.tag, str) else None
        if self.root_tag != ROOT_TAG:
            raise refuse(
                "FILE_ROOT",
                _("This is not a PES_Aller flow (the root element is %(tag)s).")
                % {"tag": localname(root.tag) or "?"},
                line=root.sourceline,
            )

    # -- header ---------------------------------------------------------------------------------

    def on_envelope(self, element: etree._Element) -> None:
        parametres = _values(element.find("Parametres"))
        emitter = _values(element.find("Emetteur"))
        receiver = _values(element.find("Recepteur"))
        self.envelope = PesEnvelope(
            version=parametres.get("Version"),
            file_type=parametres.get("TypFic"),
            file_name=parametres.get("NomFic"),
            emitter_sigle=emitter.get("Sigle"),
            emitter_address=emitter.get("Adresse"),
            receiver_sigle=receiver.get("Sigle"),
            receiver_address=receiver.get("Adresse"),
        )
        self.checker.check_envelope(self.envelope, line=element.sourceline)
        _release(element)

    def on_header(self, element: etree._Element) -> None:
        values = _values(element)
        self.header = PesHeader(
            dte_str=date_or_none(values.get("DteStr")),
            id_post=values.get("IdPost"),
            libelle_poste=values.get("LibellePoste"),
            id_coll=values.get("IdColl"),
            fin_jur=values.get("FinJur"),
            cod_col=values.get("CodCol"),
            cod_bud=values.get("CodBud"),
            libelle_col_bud=values.get("LibelleColBud"),
        )
        self.checker.check_header(self.header, line=element.sourceline)
        _release(element)

    def on_domain_header(self, element: etree._Element) -> None:
        kind = _KINDS.get(_parent_tag(element))
        if kind is None:
            return
        values = _values(element)
        domain = DomainHeader(
            id_ver=values.get("IdVer"),
            info_dematerialisee=truthy(values.get("InfoDematerialisee")),
        )
        self.domains[kind] = domain
        self.checker.check_domain_header(kind, domain, line=element.sourceline)

    def on_pj_header(self, element: etree._Element) -> None:
        self.pj_id_ver = _values(element).get("IdVer")
        self.checker.check_pj_header(self.pj_id_ver, line=element.sourceline)

    def on_other_block(self, element: etree._Element) -> None:
        self.other_blocks.append(localname(element.tag))
        _release(element)

    # -- bordereaux -----------------------------------------------------------------------------

    def current_bordereau(self, bordereau_element: etree._Element | None) -> BordereauInfo:
        if self.bordereau is None:
            kind = _KINDS.get(_parent_tag(bordereau_element), "depense")
            self.domain_count[kind] += 1
            index = self.domain_count[kind]
            self.bordereau = BordereauInfo(
                kind=kind,
                index=index,
                element_id=bordereau_element.get("Id") if bordereau_element is not None else None,
                line=bordereau_element.sourceline if bordereau_element is not None else None,
            )
            element_name = "PES_DepenseAller" if kind == "depense" else "PES_RecetteAller"
            self.bordereau_path = f"/PES_Aller/{element_name}/Bordereau[{index}]"
        return self.bordereau

    def on_bloc_bordereau(self, element: etree._Element) -> None:
        parent = element.getparent()
        if parent is None or parent.tag != "Bordereau":
            return
        bordereau = self.current_bordereau(parent)
        values = _values(element)
        bordereau.exercice = values.get("Exer")
        bordereau.id_bord = values.get("IdBord")
        bordereau.date_emission = date_or_none(values.get("DteBordEm"))
        bordereau.typ_bord = values.get("TypBord")
        bordereau.nbr_pce = int_or_none(values.get("NbrPce"))
        bordereau.mt_cumul_annuel = decimal_or_none(values.get("MtCumulAnnuel"))
        bordereau.mt_bord_ht = decimal_or_none(
            values.get("MtBordHT") if bordereau.kind == "depense" else values.get("MtBordHt")
        )
        bordereau.mt_bord_tva = decimal_or_none(values.get("MtBordTVA"))
        _release(element)

    def on_line(self, element: etree._Element) -> None:
        if _parent_tag(element) != "Piece":
            return
        bloc = element.find("BlocLignePiece")
        info_element = None
        if bloc is not None:
            info_element = bloc.find("InfoLignePce")
            if info_element is None:
                info_element = bloc.find("InfoLignePiece")
        info = _values(info_element)
        tiers = [_tiers(t) for t in element.iterfind("Tiers")]
        refs = _pj_refs(info_element)
        self.lines.append(
            LineInfo(
                id_ligne=info.get("IdLigne"),
                nature=info.get("Nature"),
                fonction=info.get("Fonction"),
                operation=info.get("Operation"),
                montant_ht=decimal_or_none(info.get("MtHT")),
                montant_tva=decimal_or_none(info.get("MtTVA")),
                libelle=info.get("LibVir1") or info.get("ObjLignePce"),
                libelle2=info.get("LibVir2"),
                mod_regl=info.get("ModRegl"),
                cod_prod_loc=info.get("CodProdLoc"),
                tiers=tiers,
                pj_refs=refs,
                line=element.sourceline,
            )
        )
        _drop(element)

    def on_piece_end(self, element: etree._Element) -> None:
        parent = element.getparent()
        if parent is None or parent.tag != "Bordereau":
            return
        bordereau = self.current_bordereau(parent)
        bloc = element.find("BlocPiece")
        if bordereau.kind == "depense":
            info_element = bloc.find("InfoPce") if bloc is not None else None
            objet_tag = "Obj"
        else:
            info_element, objet_tag = bloc, "ObjPce"
        info = _values(info_element)
        objet = info.get(objet_tag)
        bordereau.piece_count += 1
        piece = PieceInfo(
            id_pce=info.get("IdPce"),
            typ_pce=info.get("TypPce"),
            nat_pce=info.get("NatPce"),
            objet=objet,
            cod_serv=info.get("CodServ"),
            date_echeance=date_or_none(info.get("DteEch")),
            lines=self.lines,
            pj_refs=_pj_refs(info_element),
            line=element.sourceline,
            index=bordereau.piece_count,
        )
        self.lines = []
        for line in piece.lines:
            bordereau.total_ht += line.montant_ht or Decimal(0)
            bordereau.total_tva += line.montant_tva or Decimal(0)
        self.checker.check_piece(
            bordereau, piece, path=f"{self.bordereau_path}/Piece[{bordereau.piece_count}]"
        )
        if self.keep_pieces:
            bordereau.pieces.append(piece)
        if self.on_piece is not None:
            self.on_piece(bordereau, piece)
        _release(element)

    def on_signature(self, element: etree._Element) -> None:
        parent = element.getparent()
        if parent is None:
            return
        if parent.tag == "Bordereau":
            bordereau = self.current_bordereau(parent)
            bordereau.signed = True
            bordereau.signature_uris = [
                reference.get("URI") or ""
                for reference in element.iterfind(f"{{{NS_DS}}}SignedInfo/{{{NS_DS}}}Reference")
            ]
        elif parent.tag == ROOT_TAG:
            self.global_signature = True
        _release(element)

    def on_bordereau_end(self, element: etree._Element) -> None:
        if _parent_tag(element) not in _KINDS:
            return
        bordereau = self.current_bordereau(element)
        self.checker.check_bordereau(bordereau, path=self.bordereau_path)
        self.bordereaux.append(bordereau)
        self.bordereau = None
        _release(element)

    # -- attachments ----------------------------------------------------------------------------

    def on_attachment(self, element: etree._Element) -> None:
        if _parent_tag(element) != "PES_PJ":
            return  # InfoPce/PJ is a text field of the pièce, read with it
        values = _values(element)
        fichier = element.find("Contenu/Fichier")
        content = (fichier.text or "") if fichier is not None else ""
        encoded = "".join(content.split())
        attachment = AttachmentInfo(
            id_unique=values.get("IdUnique"),
            nom_pj=values.get("NomPJ"),
            type_pj=values.get("TypePJ"),
            description=values.get("Description"),
            mime_type=fichier.get("MIMEType") if fichier is not None else None,
            encoded_size=len(encoded),
            ref_compta=[
                RefComptaInfo(
                    domaine=v.get("Domaine"),
                    exercice=v.get("Exercice"),
                    type_objet=v.get("TypeObjet"),
                    identifiant=v.get("Identifiant"),
                )
                for v in (_values(r) for r in element.iterfind("RefCompta"))
            ],
            line=element.sourceline,
        )
        self.checker.check_attachment(
            attachment,
            path=f"/PES_Aller/PES_PJ/PJ[{len(self.attachments) + 1}]",
            gzip_ok=_is_gzip_base64(encoded),
        )
        self.attachments.append(attachment)
        _release(element)


def _pj_refs(element: etree._Element | None) -> list[PjRefInfo]:
    if element is None:
        return []
    refs = []
    for ref in element.iterfind("PJRef"):
        values = _values(ref)
        refs.append(
            PjRefInfo(
                support=values.get("Support"),
                id_unique=values.get("IdUnique"),
                nom_pj=values.get("NomPJ"),
                type_pj=values.get("TypePJ"),
            )
        )
    return refs


def _tiers(element: etree._Element) -> TiersInfo:
    info = _values(element.find("InfoTiers"))
    address = _values(element.find("Adresse"))
    bank_element = element.find("CpteBancaire")
    bank = _values(bank_element)
    rib = None
    if any(bank.get(k) for k in ("CodeEtab", "CodeGuic", "IdCpte", "CleRib")):
        rib = (bank.get("CodeEtab"), bank.get("CodeGuic"), bank.get("IdCpte"), bank.get("CleRib"))
    return TiersInfo(
        nom=info.get("Nom"),
        prenom=info.get("Prenom"),
        civilite=info.get("Civilite"),
        compl_nom=info.get("ComplNom"),
        cat_tiers=info.get("CatTiers"),
        nat_jur=info.get("NatJur"),
        typ_tiers=info.get("TypTiers"),
        id_tiers=info.get("IdTiers"),
        nat_id_tiers=info.get("NatIdTiers"),
        ref_tiers=info.get("RefTiers"),
        adr1=address.get("Adr1"),
        adr2=address.get("Adr2"),
        adr3=address.get("Adr3"),
        cp=address.get("CP"),
        ville=address.get("Ville"),
        cod_res=address.get("CodRes"),
        cod_pays=address.get("CodPays"),
        iban=bank.get("IBAN"),
        bic=bank.get("BIC"),
        rib=rib,
        titulaire=bank.get("TitCpte"),
        libelle_banque=bank.get("LibBanc"),
        has_bank_account=bank_element is not None,
    )


def _parent_tag(element: etree._Element | None) -> str:
    parent = element.getparent() if element is not None else None
    return parent.tag if parent is not None and isinstance(parent.tag, str) else ""


def _is_gzip_base64(encoded: str) -> bool:
    try:
        return base64.b64decode(encoded[:8], validate=True).startswith(b"\x1f\x8b")
    except (binascii.Error, ValueError):
        return False


def read_pes_aller(
    source: Source,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    schema_version: Literal["auto"] | SchemaVersion = "auto",
    keep_pieces: bool = True,
    on_piece: PieceCallback | None = None,
    for_sending: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> PesAllerFile:
    """Read, validate and extract a PES_Aller; raise with every problem if it fails.

    ``schema_version``: "auto" validates against v5.17 and, if that fails, against the v5.30
    wrapper (a flow using v5.30-only codes); the result says which one passed.
    ``keep_pieces=False`` keeps no pièce in the result (memory stays flat); ``on_piece`` is called
    with each pièce as it is read — before the file is known to be valid, so a consumer that
    stores them must do it in a transaction rolled back on :class:`PesInvalidFile`.
    ``for_sending=True`` applies the checks of a flow about to leave (unsigned bordereaux of a
    dematerialised flow become errors). ``on_progress`` is called with the number of bytes read
    so far, chunk after chunk, during the main pass (progress of a long import).

    Raises :class:`PesFileRefused` (unsafe, too large, malformed, not a PES_Aller) or
    :class:`PesInvalidFile` (XSD or Hélios rule errors; ``issues`` lists all of them).
    Side effect: reads the source (twice for a failing file that can be read again).
    """
    checker = RuleChecker(for_sending=for_sending)
    first: SchemaVersion = "5.17" if schema_version in ("auto", "5.17") else "5.30"
    schema = aller_schema(first)
    with open_source(source, max_bytes=max_bytes) as (reader, prolog, size):
        checker.check_prolog(declared_encoding=prolog.declared_encoding, encoding=prolog.encoding)
        if on_progress is not None:
            reader.observers.append(lambda chunk, offset: on_progress(offset + len(chunk)))
        state, messages, stopped = _main_pass(reader, schema, checker, keep_pieces, on_piece)
        size = size if size is not None else reader.offset
    check_validation(source, messages, max_bytes=max_bytes)
    if messages:
        _refuse_wrong_root(state, messages)
    messages = messages or []
    version: str = first
    xsd_issues: list[PesIssue] = []
    if (
        messages
        and schema_version == "auto"
        and not stopped
        and _valid_against(source, "5.30", max_bytes)
    ):
        version, messages = "5.30", []
    if messages:
        xsd_issues = _located(source, schema, messages, version=first, max_bytes=max_bytes)
        if stopped:
            xsd_issues.append(
                schema_issue(
                    _("more than %(count)d errors; the rest of the file was not checked.")
                    % {"count": MAX_SCHEMA_ERRORS},
                    version=first,
                )
            )
    if not stopped:
        checker.finish(
            has_domain=bool(state.domains or state.pj_id_ver is not None or state.other_blocks),
            has_global_signature=state.global_signature,
        )
    errors = xsd_issues + [i for i in checker.issues if i.is_error]
    warnings = [i for i in checker.issues if not i.is_error]
    if errors:
        raise PesInvalidFile(
            _("The PES file has %(count)d error(s).") % {"count": len(errors)},
            issues=errors + warnings,
        )
    return PesAllerFile(
        envelope=state.envelope,
        header=state.header,
        schema_version=version,
        encoding=prolog.encoding,
        declared_encoding=prolog.declared_encoding,
        size=size,
        depense=state.domains.get("depense"),
        recette=state.domains.get("recette"),
        pj_id_ver=state.pj_id_ver,
        bordereaux=state.bordereaux,
        attachments=state.attachments,
        has_global_signature=state.global_signature,
        other_blocks=state.other_blocks,
        warnings=warnings,
    )


def _main_pass(
    reader: BoundedReader,
    schema: etree.XMLSchema,
    checker: RuleChecker,
    keep_pieces: bool,
    on_piece: PieceCallback | None,
) -> tuple[_Pass, list[str] | None, bool]:
    """The single reading pass. Returns the state, the schema error messages (None when the
    pass did not reach the end of the document: see :class:`schemas.NotWellFormed`) and
    whether it stopped at :data:`MAX_SCHEMA_ERRORS`."""
    context: Any = None
    guard = Guard(lambda: len(context.error_log) if context is not None else 0)
    reader.observers.append(guard)
    state = _Pass(checker=checker, keep_pieces=keep_pieces, on_piece=on_piece, guard=guard)
    context = etree.iterparse(
        reader,
        events=("end",),
        tag=_TAGS,
        schema=schema,
        remove_comments=True,
        remove_pis=True,
        **SAFE_ITERPARSE_OPTIONS,
    )
    try:
        for _event, element in context:
            state.handle(element)
    except TooManyErrors:
        schema_errors = [e.message for e in context.error_log if e.domain_name == "SCHEMASV"]
        return state, schema_errors[:MAX_SCHEMA_ERRORS], True
    except etree.XMLSyntaxError:
        schema_errors = [e.message for e in context.error_log if e.domain_name == "SCHEMASV"]
        return state, schema_errors or None, False
    return state, ([] if state.root_closed else None), False


def _refuse_wrong_root(state: _Pass, messages: list[str]) -> None:
    """A document that is not a PES_Aller fails the schema at its root; say it plainly."""
    if state.root_checked and state.root_tag == ROOT_TAG:
        return
    if state.root_tag:
        name = localname(state.root_tag)
    else:  # no element we handle was met: the schema message names the root
        match = re.search(r"Element '(?:\{[^}]*\})?([^']+)': No matching global", messages[0])
        name = match.group(1) if match else "?"
    raise refuse(
        "FILE_ROOT",
        _("This is not a PES_Aller flow (the root element is %(tag)s).") % {"tag": name},
    )


def _valid_against(source: Source, version: SchemaVersion, max_bytes: int) -> bool:
    if hasattr(source, "read"):
        return False
    try:
        with open_source(source, max_bytes=max_bytes) as (reader, _prolog, _size):
            return not validate_stream(reader, aller_schema(version))
    except (PesFileRefused, NotWellFormed):
        return False


def _located(
    source: Source,
    schema: etree.XMLSchema,
    messages: list[str],
    *,
    version: str,
    max_bytes: int,
) -> list[PesIssue]:
    if not hasattr(source, "read"):
        try:
            with open_source(source, max_bytes=max_bytes) as (reader, _prolog, _size):
                located = locate_schema_errors(reader, schema, version=version, limit=len(messages))
        except PesFileRefused:
            located = []
        if len(located) >= len(messages):
            return located[: len(messages)]
    return [schema_issue(message, version=version) for message in messages]
