"""Fixtures of the documents integration tests: a real séance played through the services.

The deliberations fixtures (collectivité, users, council of 29, numbering…) are reused. The
documents pages and API are mounted by tests/exports/urls.py until config/urls.py includes them.
The test modules of the integration opt in with ``pytestmark = DOCUMENTS`` (these fixtures are
not autouse, so that the other tests of tests/exports are left alone).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from deliberations import services
from deliberations.enums import ActType, AttendanceStatus, BallotChoice, Role, VoteMode
from deliberations.models import Act, AgendaItem, Mandate, Seance
from tests.deliberations import conftest as deliberations_fixtures
from tests.factories import NumberingSchemeFactory, member

# The deliberations fixtures, shared (pytest_plugins is only allowed in the root conftest).
admin = deliberations_fixtures.admin
assembly = deliberations_fixtures.assembly
clerk = deliberations_fixtures.clerk
collectivite = deliberations_fixtures.collectivite
mandates = deliberations_fixtures.mandates
numbering = deliberations_fixtures.numbering
outsider = deliberations_fixtures.outsider
the_council = deliberations_fixtures.the_council
validator = deliberations_fixtures.validator
make_validated_project = deliberations_fixtures.make_validated_project

ROOT = Path(__file__).resolve().parents[2]
SNIPPETS = [
    ROOT / "exports" / "documents" / "TRANSLATIONS_fr.po-snippet",
    ROOT / "exports" / "TRANSLATIONS_fr.po-snippet",
]
P, R, A, E = (
    AttendanceStatus.PRESENT,
    AttendanceStatus.PROXY,
    AttendanceStatus.ABSENT,
    AttendanceStatus.EXCUSED,
)


@pytest.fixture
def documents_urls(settings):
    settings.ROOT_URLCONF = "tests.exports.urls"


@pytest.fixture
def french_documents(settings, tmp_path):
    """The French wording of the documents, compiled from the snippets not merged yet.

    Documents are French whatever the interface language; the snippets' entries come first
    so that the exact strings are checked today, and the project catalogue once merged.
    """
    snippets = [path for path in SNIPPETS if path.exists()]
    if not snippets:
        return
    if shutil.which("msgfmt") is None or shutil.which("msgcat") is None:
        pytest.skip("msgfmt and msgcat (gettext) are needed to compile the French snippets")
    target = tmp_path / "locale" / "fr" / "LC_MESSAGES"
    target.mkdir(parents=True)
    merged = tmp_path / "snippets.po"
    subprocess.run(["msgcat", "--use-first", "-o", str(merged), *map(str, snippets)], check=True)
    subprocess.run(["msgfmt", "-o", str(target / "django.mo"), str(merged)], check=True)
    settings.LOCALE_PATHS = [tmp_path / "locale", *settings.LOCALE_PATHS]


#: What every documents integration test module uses.
DOCUMENTS = pytest.mark.usefixtures("documents_urls", "french_documents")


@pytest.fixture
def signer(collectivite):
    return member(collectivite, Role.SIGNER, username="signer")


def pdf_text(content: bytes) -> str:
    """Every page's text, whitespace collapsed."""
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return re.sub(r"\s+", " ", text.replace("-\n", "-"))


@dataclass
class Played:
    """A séance held and closed: item 1 voted per member, item 2 by totals, item 3 postponed."""

    seance: Seance
    items: list[AgendaItem]
    acts: list[Act]
    mandates: list[Mandate]


def play(collectivite, clerk, validator, assembly, mandates, *, close=True) -> Played:
    NumberingSchemeFactory(collectivite=collectivite, pattern="DEL{YYYY}_{SEQ:4}")
    rapporteur = mandates[3]
    first = services.create_project(
        collectivite=collectivite,
        actor=clerk,
        act_type=ActType.DELIBERATION,
        objet="Attribution d’une subvention de 1 500 € au comité des fêtes « Les Amis »",
        assembly=assembly,
        rapporteur=rapporteur,
        summary="Le comité organise la fête locale.",
        visas=["Vu le code général des collectivités territoriales ;"],
        considerants=["Considérant l’intérêt local de la fête ;"],
        articles=["Une subvention de 1 500 € est attribuée au comité des fêtes."],
        budget_amount=Decimal("1500.00"),
        budget_year=2026,
    )
    acts = [services.validate_project(act=first, actor=validator)] + [
        make_validated_project(collectivite, clerk, validator, assembly, objet=objet)
        for objet in ("Tarifs de la restauration scolaire", "Dénomination d’une voie nouvelle")
    ]
    seance = services.create_seance(
        collectivite=collectivite,
        actor=clerk,
        assembly=assembly,
        date=timezone.now() + dt.timedelta(days=10),
        place="la salle du conseil",
        president=mandates[0],
        secretary=mandates[1],
    )
    items = [services.add_to_agenda(seance=seance, actor=clerk, act=act) for act in acts]
    services.convene(seance=seance, actor=clerk, convocation_date=timezone.localdate())
    entries = [services.AttendanceEntry(m.pk, P) for m in mandates[:20]]
    entries += [
        services.AttendanceEntry(mandates[20].pk, R, mandates[0].pk),
        services.AttendanceEntry(mandates[21].pk, R, mandates[2].pk),
        services.AttendanceEntry(mandates[22].pk, E),
    ]
    entries += [services.AttendanceEntry(m.pk, A) for m in mandates[23:]]
    services.record_roll_call(seance=seance, actor=clerk, entries=entries)
    services.open_seance(seance=seance, actor=clerk)
    services.record_vote(
        item=items[0],
        actor=clerk,
        mode=VoteMode.DETAIL,
        choices={mandates[5].pk: BallotChoice.AGAINST, mandates[21].pk: BallotChoice.ABSTENTION},
        default_choice=BallotChoice.FOR,
    )
    services.declare_interest(item=items[1], actor=clerk, mandate=mandates[7])
    services.record_vote(
        item=items[1],
        actor=clerk,
        mode=VoteMode.TOTALS,
        counts={"for": 19, "against": 2, "abstention": 0, "not_voting": 0},
    )
    services.postpone_item(item=items[2], actor=clerk, reason="Avis attendu")
    if close:
        services.close_seance(seance=seance, actor=clerk)
    for obj in (*acts, seance):
        obj.refresh_from_db()
    return Played(seance=seance, items=items, acts=acts, mandates=mandates)


@pytest.fixture
def played(collectivite, clerk, validator, assembly, mandates):
    return play(collectivite, clerk, validator, assembly, mandates)


@pytest.fixture
def arrete(collectivite, clerk, validator, mandates):
    """An order (arrêté) validated and numbered, without circuit."""
    NumberingSchemeFactory(
        collectivite=collectivite,
        act_type=ActType.ARRETE,
        pattern="ARR{YYYY}_{SEQ:4}",
        counter_name="arretes",
    )
    act = services.create_project(
        collectivite=collectivite,
        actor=clerk,
        act_type=ActType.ARRETE,
        objet="Réglementation du stationnement rue de l’Église",
        articles=["Le stationnement est interdit rue de l’Église."],
    )
    act = services.validate_project(act=act, actor=validator, comment="Visa favorable")
    return services.assign_number(act=act, actor=clerk)
