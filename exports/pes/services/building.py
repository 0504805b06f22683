"""Building PES flows from Délibre's own data: the mandats an adopted deliberation decides.

A finance officer knows a subsidies deliberation by its table: one line per association with
its SIRET, its bank details, the amount and the budget imputation. The clerk uploads that table
as CSV (``import_planned_mandates``: one :class:`PlannedMandate` per line, all checked before
any is kept), then ``build_flow`` makes a dépense bordereau of one mandat per line, each with
its tiers and bank account, and carries the deliberation's PDF as a PES_PJ that every mandat
references. Numbers follow the Hélios rules: IdBord consecutive per exercise, budget and type of
bordereau, IdPce unique per exercise and budget, given under a lock (``PesCounter``) after the
highest number already used by any flow of the budget, imported ones included.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.files import removed_on_error
from core.simplepdf import text_pdf
from deliberations.enums import ActStatus, ActType
from deliberations.models import Act, Collectivite, User
from deliberations.services._common import locked
from workflow.journal import record_event

from ..builder import new_id_unique, write_pes_aller
from ..enums import BordereauKind, CounterKind, FlowSource, PesFlowStatus
from ..exceptions import (
    PesBuildError,
    PesInvalidFile,
    PesMandatesInvalid,
    PesNotConfigured,
    PesStateRefused,
)
from ..flow import Address, Attachment, BankAccount, Bordereau, Emitter, Header, Ligne, PjRef, Tiers
from ..flow import PesFlow as FlowData
from ..flow import Piece as PieceData
from ..models import Bordereau as BordereauRow
from ..models import PesCounter, PesFlow, Piece, PlannedMandate
from ..values import iban_ok, siret_ok
from ._common import file_digest, require_finance, temporary_path
from .importing import flow_summary, load_flow_file

#: Deliberations whose payments can be issued: adopted, and every later state.
PAYABLE = (
    ActStatus.ADOPTED,
    ActStatus.SIGNED,
    ActStatus.TRANSMITTED,
    ActStatus.ACKNOWLEDGED,
    ActStatus.PUBLISHED,
)
MAX_MANDATES = 5000
MAX_CSV_BYTES = 2 * 1024 * 1024
TYP_BORD = "01"  # bordereau ordinaire
ASSOCIATION = {"cat_tiers": "50", "nat_jur": "06"}  # personne morale de droit privé, association
VIREMENT = "03"

# --- the table of mandats to issue ----------------------------------------------------------------

#: CSV columns (header names compared without case, accents, spaces or dashes).
COLUMNS = {
    "beneficiaire": "beneficiary",
    "siret": "siret",
    "iban": "iban",
    "bic": "bic",
    "montant": "amount",
    "nature": "nature",
    "fonction": "fonction",
    "objet": "objet",
    "adresse": "address",
    "codepostal": "postal_code",
    "ville": "city",
}
REQUIRED = ("beneficiary", "iban", "bic", "amount", "objet", "address", "postal_code", "city")
_NATURE = re.compile(r"[0-9]{1,12}")
_FONCTION = re.compile(r"[0-9A-Z]{1,10}")
_BIC = re.compile(r"[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?")


def _key(header: str) -> str:
    text = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z]", "", text)


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise PesMandatesInvalid(_("The table is neither UTF-8 nor Windows-1252 text."))


def _amount(raw: str) -> Decimal | None:
    cleaned = raw.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("€", "")
    cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0 or value >= Decimal("1e12"):
        return None
    if value != value.quantize(Decimal("0.01")):
        return None
    return value.quantize(Decimal("0.01"))


def _default_nature(act: Act) -> str:
    """The account of the act's budget line ("65-6574" → "6574"), or ""."""
    numbers = re.findall(r"[0-9]+", act.budget_line or "")
    return numbers[-1] if numbers and _NATURE.fullmatch(numbers[-1]) else ""


@dataclass(frozen=True)
class MandateLine:
    beneficiary: str
    siret: str
    iban: str
    bic: str
    amount: Decimal
    nature: str
    fonction: str
    objet: str
    address: str
    postal_code: str
    city: str


def parse_mandates_csv(content: bytes, *, default_nature: str = "") -> list[MandateLine]:
    """Read the table of mandats; raise PesMandatesInvalid listing every problem by line.

    Separator ";" (French spreadsheets) or ","; amounts "1 500,00" or "1500.00". No side effect.
    """
    if len(content) > MAX_CSV_BYTES:
        raise PesMandatesInvalid(_("The table is larger than 2 MB."))
    text = _decode(content)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise PesMandatesInvalid(_("The table is empty."))
    header = [COLUMNS.get(_key(h), "") for h in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise PesMandatesInvalid(
            _("The table lacks the columns: %(columns)s.")
            % {"columns": ", ".join(k for k, v in COLUMNS.items() if v in missing)}
        )
    if len(rows) - 1 > MAX_MANDATES:
        raise PesMandatesInvalid(
            _("The table has more than %(max)d lines.") % {"max": MAX_MANDATES}
        )
    problems: list[str] = []
    lines: list[MandateLine] = []
    for number, row in enumerate(rows[1:], start=2):
        values = {
            name: (row[index].strip() if index < len(row) else "")
            for index, name in enumerate(header)
            if name
        }
        where = {"line": number}
        errors: list[str] = []
        for name in REQUIRED:
            if not values.get(name):
                errors.append(
                    _("line %(line)s: the column “%(column)s” is empty.")
                    % {**where, "column": next(k for k, v in COLUMNS.items() if v == name)}
                )
        beneficiary = values.get("beneficiary", "")
        if len(beneficiary) > 38:
            errors.append(
                _("line %(line)s: the beneficiary's name has more than 38 characters.") % where
            )
        siret = re.sub(r"\s", "", values.get("siret", ""))
        if siret and not siret_ok(siret):
            errors.append(
                _("line %(line)s: the SIRET %(siret)s is not valid.") % {**where, "siret": siret}
            )
        iban = re.sub(r"\s", "", values.get("iban", "")).upper()
        if iban and not iban_ok(iban):
            errors.append(_("line %(line)s: the IBAN is not valid.") % where)
        bic = re.sub(r"\s", "", values.get("bic", "")).upper()
        if bic and not _BIC.fullmatch(bic):
            errors.append(_("line %(line)s: the BIC is not valid.") % where)
        amount = _amount(values.get("amount", "")) if values.get("amount") else None
        if values.get("amount") and amount is None:
            errors.append(
                _("line %(line)s: the amount must be above zero, with at most 2 decimals.") % where
            )
        nature = values.get("nature", "") or default_nature
        if not _NATURE.fullmatch(nature):
            errors.append(
                _("line %(line)s: the nature (account) must be digits, such as 6574.") % where
            )
        fonction = values.get("fonction", "").upper()
        if fonction and not _FONCTION.fullmatch(fonction):
            errors.append(_("line %(line)s: the function is not a code such as 025.") % where)
        objet = values.get("objet", "")
        if len(objet) > 100:
            errors.append(_("line %(line)s: the objet has more than 100 characters.") % where)
        postal_code = values.get("postal_code", "")
        if postal_code and not re.fullmatch(r"[0-9]{5}", postal_code):
            errors.append(_("line %(line)s: the postal code must be 5 digits.") % where)
        for name, label in (("address", "adresse"), ("city", "ville")):
            if len(values.get(name, "")) > 38:
                errors.append(
                    _("line %(line)s: the column “%(column)s” has more than 38 characters.")
                    % {**where, "column": label}
                )
        if errors:
            problems.extend(errors)
            continue
        assert amount is not None
        lines.append(
            MandateLine(
                beneficiary=beneficiary,
                siret=siret,
                iban=iban,
                bic=bic,
                amount=amount,
                nature=nature,
                fonction=fonction,
                objet=objet,
                address=values["address"],
                postal_code=postal_code,
                city=values["city"],
            )
        )
    if problems:
        raise PesMandatesInvalid(
            _("The table has %(count)d error(s); nothing was recorded.") % {"count": len(problems)},
            problems=problems,
        )
    if not lines:
        raise PesMandatesInvalid(_("The table has no mandat."))
    return lines


def _check_payable(act: Act) -> None:
    if act.act_type != ActType.DELIBERATION or act.status not in PAYABLE:
        raise PesStateRefused(
            _("Mandats are issued from an adopted deliberation; this act is “%(status)s”.")
            % {"status": act.get_status_display()}
        )


def _live_flow(act: Act) -> PesFlow | None:
    return PesFlow.objects.filter(act=act).exclude(status=PesFlowStatus.WITHDRAWN).first()


def import_planned_mandates(*, act: Act, actor: User, content: bytes) -> list[PlannedMandate]:
    """Record the mandats an adopted deliberation decides, from its table (CSV), replacing the
    previous table. Refused once a flow was built from them (withdraw it first).

    Who: the finance service, the ordonnateur, an administrator. Side effects: the
    PlannedMandate rows; journal event ``pes.mandates.recorded`` on the act's chain.
    """
    require_finance(actor, act.collectivite)
    lines = parse_mandates_csv(content, default_nature=_default_nature(act))
    with transaction.atomic():
        current = locked(Act, act.pk)
        _check_payable(current)
        if _live_flow(current) is not None:
            raise PesStateRefused(
                _("A PES flow was already built from these mandats: withdraw it to change them.")
            )
        PlannedMandate.objects.filter(act=current).delete()
        rows = PlannedMandate.objects.bulk_create(
            [
                PlannedMandate(
                    act=current,
                    position=position,
                    created_by=actor,
                    beneficiary=line.beneficiary,
                    siret=line.siret,
                    iban=line.iban,
                    bic=line.bic,
                    amount=line.amount,
                    nature=line.nature,
                    fonction=line.fonction,
                    objet=line.objet,
                    address=line.address,
                    postal_code=line.postal_code,
                    city=line.city,
                )
                for position, line in enumerate(lines, start=1)
            ]
        )
        record_event(
            current,
            "pes.mandates.recorded",
            actor=actor,
            data={
                "act": current.pk,
                "count": len(rows),
                "total": f"{sum((r.amount for r in rows), Decimal(0)):.2f}",
            },
        )
    return rows


# --- numbering --------------------------------------------------------------------------------


def _counter(
    collectivite: Collectivite, cod_bud: str, kind: str, exercice: int, counter: str, typ: str
) -> PesCounter:
    lookup = {
        "collectivite": collectivite,
        "cod_bud": cod_bud,
        "kind": kind,
        "exercice": exercice,
        "counter": counter,
        "typ_bord": typ,
    }
    row = PesCounter.objects.select_for_update().filter(**lookup).first()
    if row is None:
        try:
            with transaction.atomic():
                PesCounter.objects.create(**lookup)
        except IntegrityError:
            pass  # created meanwhile by a concurrent build: lock it below
        row = PesCounter.objects.select_for_update().get(**lookup)
    return row


def _used(collectivite: Collectivite, cod_bud: str, kind: str, exercice: int) -> Any:
    return BordereauRow.objects.filter(
        flow__collectivite=collectivite, flow__cod_bud=cod_bud, kind=kind, exercice=exercice
    ).exclude(flow__status=PesFlowStatus.WITHDRAWN)


def next_numbers(
    collectivite: Collectivite, cod_bud: str, exercice: int, count: int
) -> tuple[int, int, Decimal]:
    """Lock the counters and return (IdBord, first IdPce, cumulated amount of the exercise so
    far) for one new dépense bordereau of ``count`` pièces; the counters are advanced."""
    kind = BordereauKind.DEPENSE
    bordereau_counter = _counter(
        collectivite, cod_bud, kind, exercice, CounterKind.BORDEREAU, TYP_BORD
    )
    piece_counter = _counter(collectivite, cod_bud, kind, exercice, CounterKind.PIECE, "")
    used = _used(collectivite, cod_bud, kind, exercice)
    highest_bordereau = used.filter(typ_bord=TYP_BORD).aggregate(m=Max("id_bord"))["m"] or 0
    highest_piece = Piece.objects.filter(bordereau__in=used).aggregate(m=Max("id_pce"))["m"] or 0
    id_bord = max(bordereau_counter.last_value, highest_bordereau) + 1
    first_piece = max(piece_counter.last_value, highest_piece) + 1
    bordereau_counter.last_value = id_bord
    piece_counter.last_value = first_piece + count - 1
    PesCounter.objects.bulk_update([bordereau_counter, piece_counter], ["last_value"])
    cumul = used.aggregate(total=Sum("total_ht"))["total"] or Decimal(0)
    return id_bord, first_piece, cumul


# --- the act's PDF ------------------------------------------------------------------------------


def act_pdf(act: Act) -> tuple[bytes, str]:
    """The deliberation as PDF for the PES_PJ: its latest signed version when it has one, else
    its rendered document, else an extract written from its data (the flow still carries the
    decision). Returns (content, description)."""
    from django.core.files.storage import default_storage

    candidates: list[tuple[Any, str]] = []
    try:  # the signing and documents apps are optional layers above the deliberations
        from signing.selectors import current_act_version

        version = current_act_version(act)
        if version is not None and version.file:
            candidates.append((version.file.name, _("signed deliberation")))
    except ImportError:
        pass
    try:
        from exports.enums import DocumentKind
        from exports.selectors import latest_ready

        document = latest_ready(DocumentKind.ACT, act)
        if document is not None and document.file:
            candidates.append((document.file.name, _("deliberation")))
    except ImportError:
        pass
    for name, label in candidates:
        if default_storage.exists(name):
            with default_storage.open(name, "rb") as handle:
                return handle.read(), label
    lines = [
        f"Délibération n° {act.number or '—'}",
        f"{act.collectivite.name}",
        "",
        *[act.objet[i : i + 90] for i in range(0, len(act.objet), 90)],
        "",
        *[f"Article {n} : {text[:150]}" for n, text in enumerate(act.articles or [], start=1)],
    ]
    return text_pdf([lines], title=act.objet[:100]), _("extract of the deliberation")


# --- building ------------------------------------------------------------------------------------


def _header(collectivite: Collectivite) -> Header:
    id_coll = collectivite.pes_id_coll or collectivite.siret
    missing = [
        label
        for label, value in (
            ("IdPost", collectivite.pes_id_post),
            ("IdColl", id_coll),
            ("CodCol", collectivite.pes_cod_col),
            ("CodBud", collectivite.pes_cod_bud),
        )
        if not value
    ]
    if missing:
        raise PesNotConfigured(
            _(
                "The collectivité's PES identifiers are incomplete (%(missing)s): an "
                "administrator must enter them before a flow can be built."
            )
            % {"missing": ", ".join(missing)}
        )
    return Header(
        id_post=collectivite.pes_id_post,
        id_coll=id_coll,
        cod_col=collectivite.pes_cod_col,
        cod_bud=collectivite.pes_cod_bud,
        libelle_col_bud=collectivite.name[:100],
    )


def build_flow(*, act: Act, actor: User, issued_on: dt.date | None = None) -> PesFlow:
    """Build the PES_Aller that pays out the mandats of an adopted deliberation.

    One dépense bordereau (TypBord 01) of one mandat per planned mandate (TypPce 01, NatPce 01
    fonctionnement), each with one line (its nature and function, paid by transfer, ModRegl 03)
    and its tiers with bank account; the deliberation's PDF as a PES_PJ (gzip + base64, a fresh
    IdUnique) referenced by every mandat. The flow is checked like an import (XSD and Hélios
    rules) and stored unsigned, InfoDematerialisee 0 until it is signed.
    Who: the finance service, the ordonnateur, an administrator.
    Raises PesStateRefused (not adopted, already built), PesNotConfigured (PES identifiers),
    PesBuildError. Side effects: the flow and its rows, the file in storage, the counters;
    journal event ``pes.flow.built`` on the flow's chain.
    """
    collectivite = act.collectivite
    require_finance(actor, collectivite)
    header = _header(collectivite)
    day = issued_on or timezone.localdate()
    pdf, label = act_pdf(act)
    with transaction.atomic(), removed_on_error() as stored:
        current = locked(Act, act.pk)
        _check_payable(current)
        if _live_flow(current) is not None:
            raise PesStateRefused(_("A PES flow was already built from this deliberation."))
        mandates = list(PlannedMandate.objects.filter(act=current).order_by("position"))
        if not mandates:
            raise PesStateRefused(
                _("Record the mandats to issue (the deliberation's table) before building.")
            )
        exercice = current.budget_year or day.year
        id_bord, first_piece, cumul = next_numbers(
            collectivite, header.cod_bud, exercice, len(mandates)
        )
        total = sum((m.amount for m in mandates), Decimal(0))
        number = current.number or f"ACT{current.pk}"
        attachment = Attachment(
            id_unique=new_id_unique(id_coll=header.id_coll),
            nom_pj=f"{re.sub(r'[^0-9A-Za-z_-]', '_', number)}.pdf",
            content=pdf,
            description=(f"{label.capitalize()} n° {number} : {current.objet}")[:250],
            type_pj="003",
        )
        reference = PjRef(id_unique=attachment.id_unique, nom_pj=attachment.nom_pj, type_pj="003")
        pieces = [
            PieceData(
                id_pce=first_piece + index,
                objet=m.objet[:100],
                lignes=[
                    Ligne(
                        nature=m.nature,
                        fonction=m.fonction or None,
                        montant_ht=m.amount,
                        libelle=m.objet[:70],
                        mod_regl=VIREMENT,
                        tiers=[
                            Tiers(
                                nom=m.beneficiary,
                                id_tiers=m.siret or None,
                                nat_id_tiers="01" if m.siret else None,
                                address=Address(adr2=m.address, cp=m.postal_code, ville=m.city),
                                bank=BankAccount(
                                    titulaire=m.beneficiary[:32], iban=m.iban, bic=m.bic
                                ),
                                **ASSOCIATION,
                            )
                        ],
                    )
                ],
                pj_refs=[reference],
            )
            for index, m in enumerate(mandates)
        ]
        file_name = f"PESALR2_{header.id_coll}_{day:%y%m%d}_{id_bord:03d}"
        data = FlowData(
            header=header,
            emitter=Emitter(sigle="DELIBRE", adresse=collectivite.name[:38]),
            file_name=file_name,
            date_str=day,
            depense=[
                Bordereau(
                    id_bord=id_bord,
                    exercice=exercice,
                    date_emission=day,
                    mt_cumul_annuel=cumul + total,
                    pieces=pieces,
                    typ_bord=TYP_BORD,
                )
            ],
            attachments=[attachment],
        )
        with temporary_path() as path:
            with path.open("wb") as out:
                write_pes_aller(flow=data, out=out)
            flow = _store_built(path, collectivite, actor, current, f"{file_name}.xml", stored)
    return flow


def _store_built(
    path: Path, collectivite: Collectivite, actor: User, act: Act, name: str, stored: list[str]
) -> PesFlow:
    sha256, size = file_digest(path)
    try:
        flow, result = load_flow_file(
            path=path,
            sha256=sha256,
            size=size,
            collectivite=collectivite,
            actor=actor,
            name=name,
            source=FlowSource.BUILT,
            act=act,
        )
    except PesInvalidFile as exc:
        raise PesBuildError(
            _("The flow built does not pass the checks: %(issues)s")
            % {"issues": "; ".join(str(i) for i in exc.issues if i.is_error)},
            issues=exc.issues,
        ) from exc
    stored.append(flow.original_file.name)
    flow.save()
    record_event(
        flow, "pes.flow.built", actor=actor, data={**flow_summary(flow, result), "act": act.pk}
    )
    return flow
