"""Small exports for the history tests: a manifest of a few rows, its PDFs, and a census of
every row and stored file (what "nothing was written" means)."""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings

from core.simplepdf import text_pdf
from tests.history.conftest import CLASSIFICATION, make_history

COLUMNS = (
    "number",
    "type",
    "nature",
    "matiere",
    "objet",
    "decision_date",
    "assembly",
    "seance_date",
    "members_in_office",
    "present",
    "represented",
    "for",
    "against",
    "abstention",
    "rapporteur",
    "pdf",
    "annexes",
    "annex_types",
    "transmitted_on",
    "id_acte",
    "ar_date",
    "published_on",
    "confidential",
)


def deliberation(number: str, day: str, **values: str) -> dict[str, str]:
    """A valid deliberation of the council of the sample (29 members)."""
    row = {
        "number": number,
        "type": "deliberation",
        "matiere": "7.5",
        "objet": f"Subvention au comité des fêtes ({number})",
        "assembly": "Conseil municipal",
        "seance_date": day,
        "members_in_office": "29",
        "present": "25",
        "represented": "2",
        "for": "24",
        "against": "2",
        "abstention": "1",
        "rapporteur": "Sophie Lefèvre",
        "pdf": f"pdf/{number}.pdf",
    }
    row.update(values)
    return row


def arrete(number: str, day: str, **values: str) -> dict[str, str]:
    row = {
        "number": number,
        "type": "arrete",
        "nature": "AR",
        "matiere": "6.1",
        "objet": f"Arrêté portant réglementation de la circulation ({number})",
        "decision_date": day,
        "pdf": f"pdf/{number}.pdf",
    }
    row.update(values)
    return row


def write_export(
    folder: Path,
    rows: list[dict[str, str]],
    *,
    columns: tuple[str, ...] = COLUMNS,
    pdfs: bool = True,
    name: str = "manifest.csv",
) -> Path:
    """manifest.csv, elus.csv, classification.xml and a PDF for every path named."""
    folder.mkdir(parents=True, exist_ok=True)
    make_history.write_officials(folder / "elus.csv")
    shutil.copy(CLASSIFICATION, folder / "classification.xml")
    with (folder / name).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({column: row.get(column, "") for column in columns})
    if pdfs:
        for row in rows:
            for path in [row.get("pdf", ""), *row.get("annexes", "").split(";")]:
                if path and not (folder / path).exists():
                    (folder / path).parent.mkdir(parents=True, exist_ok=True)
                    (folder / path).write_bytes(text_pdf([[row["number"], row["objet"][:80]]]))
    return folder


def zipped(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def census() -> dict[str, Any]:
    """Rows of every table and the stored files: compared before and after a refusal."""
    counts = {
        model._meta.label_lower: model._base_manager.count()
        for model in apps.get_models(include_auto_created=True)
    }
    media = Path(settings.MEDIA_ROOT)
    files = sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())
    return {"rows": counts, "files": files}
