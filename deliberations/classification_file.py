"""Reading the prefecture's classification file (ACTES message 7-2 RetourClassification)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from core.xml import parse_xml

from .exceptions import InvalidClassification

ACTES_NS = "http://www.interieur.gouv.fr/ACTES#v1.1-20040216"
_A = f"{{{ACTES_NS}}}"


@dataclass(frozen=True)
class MatiereEntry:
    code: str
    label: str
    level: int
    parent_code: str | None


@dataclass(frozen=True)
class PieceTypeEntry:
    nature: int
    code: str
    label: str


@dataclass
class Classification:
    version_date: dt.date
    matieres: list[MatiereEntry] = field(default_factory=list)
    piece_types: list[PieceTypeEntry] = field(default_factory=list)


def _attr(element, name: str) -> str:
    return (element.get(f"{_A}{name}") or element.get(name) or "").strip()


def parse_classification(content: bytes) -> Classification:
    """Parse a RetourClassification file; raise InvalidClassification when it is not one."""
    root = parse_xml(content).getroot()
    if root.tag != f"{_A}RetourClassification":
        raise InvalidClassification(
            _("This file is not a prefecture classification (RetourClassification) file.")
        )
    date_text = (root.findtext(f"{_A}DateClassification") or "").strip()
    try:
        version_date = dt.date.fromisoformat(date_text)
    except ValueError as exc:
        raise InvalidClassification(
            _("The classification file has no valid DateClassification.")
        ) from exc
    result = Classification(version_date=version_date)
    for nature in root.iterfind(f"{_A}NaturesActes/{_A}NatureActe"):
        code = _attr(nature, "CodeNatureActe")
        if not code.isdigit():
            continue
        for piece in nature.iterfind(f"{_A}TypePJNatureActe"):
            result.piece_types.append(
                PieceTypeEntry(int(code), _attr(piece, "CodeTypePJ"), _attr(piece, "Libelle"))
            )

    def walk(element, level: int, parent_code: str | None) -> None:
        for child in element.iterfind(f"{_A}Matiere{level}"):
            own = _attr(child, "CodeMatiere")
            if not own:
                raise InvalidClassification(
                    _("A level-%(level)d matière has no code.") % {"level": level}
                )
            code = own if parent_code is None else f"{parent_code}.{own}"
            result.matieres.append(MatiereEntry(code, _attr(child, "Libelle"), level, parent_code))
            if level < 5:
                walk(child, level + 1, code)

    matieres = root.find(f"{_A}Matieres")
    if matieres is None:
        raise InvalidClassification(_("The classification file lists no matière."))
    walk(matieres, 1, None)
    if not result.matieres:
        raise InvalidClassification(_("The classification file lists no matière."))
    return result
