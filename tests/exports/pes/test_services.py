"""Importing, building, withdrawing stored flows (exports.pes.services)."""

from __future__ import annotations

import datetime as dt
import io
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from deliberations.enums import Role
from deliberations.models import Act
from exports.pes import build_pes_aller, read_pes_aller, validate_xsd
from exports.pes import services as pes
from exports.pes.attachments import extract_attachment
from exports.pes.exceptions import (
    PesBuildError,
    PesDuplicateFile,
    PesFileRefused,
    PesInvalidFile,
    PesMandatesInvalid,
    PesNotConfigured,
    PesStateRefused,
    PesWrongCollectivite,
)
from exports.pes.models import Bordereau, PesAttachment, PesCounter, PesFlow, Piece, PlannedMandate
from tests.factories import CollectiviteFactory, member
from workflow.models import AuditEvent

from .fixtures import MANDATES_CSV
from .flows import PDF, make_flow


def _media_files(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _nothing_created(settings) -> tuple:
    return (
        PesFlow.objects.count(),
        Bordereau.objects.count(),
        Piece.objects.count(),
        PesAttachment.objects.count(),
        AuditEvent.objects.filter(action__startswith="pes.").count(),
        _media_files(settings),
    )


# --- import ---------------------------------------------------------------------------------------


def test_import_flow_stores_the_flow_its_bordereaux_pieces_and_attachment(
    commune, finance, pes_bytes
):
    flow = pes.import_flow(
        collectivite=commune, actor=finance, source=io.BytesIO(pes_bytes), name="flux.xml"
    )

    assert (flow.status, flow.source, flow.schema_version, flow.encoding) == (
        "imported",
        "imported",
        "5.17",
        "ISO-8859-1",
    )
    assert (flow.id_coll, flow.cod_col, flow.cod_bud, flow.id_post, flow.file_name) == (
        "24310063300011",
        "100",
        "00",
        "031007",
        "PESALR2_24310063300011_250302_001",
    )
    assert (flow.bordereau_count, flow.piece_count, flow.attachment_count) == (3, 7, 1)
    assert (flow.total_ht, flow.total_tva) == (Decimal("7953.00"), Decimal("90.00"))
    assert [
        (b.kind, b.exercice, b.id_bord, b.piece_count, b.total_ht, b.status, b.element_id)
        for b in flow.bordereaux.order_by("position")
    ] == [
        ("depense", 2025, 10, 3, Decimal("3751.50"), "imported", "BORD_DEP_2025_10"),
        ("depense", 2025, 11, 3, Decimal("3751.50"), "imported", "BORD_DEP_2025_11"),
        ("recette", 2025, 5, 1, Decimal("450.00"), "imported", "BORD_REC_2025_5"),
    ]
    first = Piece.objects.get(bordereau__id_bord=10, position=1)
    assert (first.id_pce, first.tiers_name, first.tiers_id, first.nature, first.fonction) == (
        1,
        "ASSOCIATION LES AMIS",
        "37909534200018",
        "6574",
        "025",
    )
    assert first.pj_refs == ["24310063300011DELIBERATION2025000012"]
    assert first.lines[0]["tiers"][0]["bank"] == "FR7630003017020002010412521 SOGEFRPPXXX"
    with default_storage.open(flow.original_file.name, "rb") as handle:
        assert handle.read() == pes_bytes
    event = AuditEvent.objects.get(chain__key=f"pesflow:{flow.pk}")
    assert (event.action, event.actor_id, event.data["pieces"]) == (
        "pes.flow.imported",
        finance.pk,
        7,
    )


@pytest.mark.parametrize(
    ("sample", "siren", "expected"),
    [
        ("pastell/PES_ex.xml", "243100633", ("imported", [(2372, 1, Decimal("55.22"))])),
        (
            "stela/PESALR2_25060187900027_190328_001.xml",
            "755800646",
            # Signed by its finance software's parapheur: valid signatures, ready to send.
            ("signed", [(11, 1, Decimal("4874.40"))]),
        ),
    ],
)
def test_the_real_samples_import_through_the_service(db, samples, sample, siren, expected):
    collectivite = CollectiviteFactory(siren=siren)
    clerk = member(collectivite, Role.CLERK)
    flow = pes.import_flow(
        collectivite=collectivite, actor=clerk, source=samples / sample, name=Path(sample).name
    )

    rows = [(b.id_bord, b.piece_count, b.total_ht) for b in flow.bordereaux.order_by("position")]
    assert (flow.status, rows) == expected


@pytest.mark.parametrize(
    ("sample", "errors"),
    [
        ("pastell/HELIOS_SIMU_ALR2_1496987735_826268894.xml", ["BORD_TOTAL_HT", "IDVER"]),
        ("iparapheur/PESALR1_unsigned.xml", ["XSD", "XSD"]),
    ],
)
def test_real_samples_that_fail_create_nothing(db, samples, settings, sample, errors):
    collectivite = CollectiviteFactory()
    clerk = member(collectivite, Role.CLERK)
    before = _nothing_created(settings)

    with pytest.raises(PesInvalidFile) as caught:
        pes.import_flow(collectivite=collectivite, actor=clerk, source=samples / sample, name="x")

    assert sorted(i.code for i in caught.value.issues if i.is_error) == errors
    assert _nothing_created(settings) == before


def test_a_file_that_fails_lists_its_errors_with_line_element_and_rule_and_creates_nothing(
    commune, finance, pes_bytes, settings
):
    broken = pes_bytes.replace(b'<MtBordHT V="3751.50"/>', b'<MtBordHT V="3751.51"/>', 1)
    broken = broken.replace(b'<NbrPce V="1"/>', b'<NbrPce V="X"/>', 1)
    before = _nothing_created(settings)

    with pytest.raises(PesInvalidFile) as caught:
        pes.import_flow(
            collectivite=commune, actor=finance, source=io.BytesIO(broken), name="broken.xml"
        )

    errors = [(i.code, i.line, i.path) for i in caught.value.issues if i.is_error]
    assert errors == [
        ("XSD", 23, "/PES_Aller/PES_RecetteAller/Bordereau/BlocBordereau/NbrPce"),
        ("BORD_TOTAL_HT", 7, "/PES_Aller/PES_DepenseAller/Bordereau/BlocBordereau/MtBordHT"),
    ]
    assert str(caught.value.message) == "The PES file has 2 error(s)."
    assert _nothing_created(settings) == before


def test_a_flow_of_another_collectivite_is_refused(other_commune, stranger, pes_bytes, settings):
    before = _nothing_created(settings)

    with pytest.raises(PesWrongCollectivite):
        pes.import_flow(
            collectivite=other_commune, actor=stranger, source=io.BytesIO(pes_bytes), name="f"
        )

    assert _nothing_created(settings) == before


def test_the_same_file_is_imported_once(commune, finance, pes_bytes, imported_flow, settings):
    before = _nothing_created(settings)

    with pytest.raises(PesDuplicateFile):
        pes.import_flow(
            collectivite=commune, actor=finance, source=io.BytesIO(pes_bytes), name="again.xml"
        )

    assert _nothing_created(settings) == before


def test_only_the_finance_roles_import(commune, treasurer, chef, pes_bytes, settings):
    from deliberations.exceptions import NotAllowed

    before = _nothing_created(settings)
    for user in (treasurer, chef):
        with pytest.raises(NotAllowed):
            pes.import_flow(collectivite=commune, actor=user, source=pes_bytes, name="f.xml")
    assert _nothing_created(settings) == before


def test_entity_expansion_is_refused_quickly_and_creates_nothing(commune, finance, settings):
    bomb = (
        b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(f'<!ENTITY l{i} "&l{i - 1};&l{i - 1};">'.encode() for i in range(1, 30))
        + b']>\n<n:PES_Aller xmlns:n="http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller">'
        b"&l29;</n:PES_Aller>"
    )
    before = _nothing_created(settings)
    started = time.monotonic()

    with pytest.raises(PesFileRefused) as caught:
        pes.import_flow(collectivite=commune, actor=finance, source=bomb, name="bomb.xml")

    assert [i.code for i in caught.value.issues] == ["FILE_DTD"]
    assert time.monotonic() - started < 2
    assert _nothing_created(settings) == before


class _Endless:
    """A 2 GB upload that is never held: it counts what was read."""

    def __init__(self, size: int):
        self.size, self.read_bytes = size, 0

    def read(self, n: int = -1) -> bytes:
        n = min(n if n > 0 else 1 << 20, self.size - self.read_bytes)
        self.read_bytes += n
        return b"<" + b" " * (n - 1) if n else b""


def test_a_2_gb_file_is_refused_after_reading_no_more_than_the_limit(commune, finance, settings):
    settings.DELIBRE_PES_MAX_BYTES = 5 * 1024 * 1024
    upload = _Endless(2 * 1024**3)
    before = _nothing_created(settings)

    with pytest.raises(PesFileRefused) as caught:
        pes.import_flow(collectivite=commune, actor=finance, source=upload, name="huge.xml")

    assert [i.code for i in caught.value.issues] == ["FILE_TOO_LARGE"]
    assert upload.read_bytes <= 6 * 1024 * 1024
    assert _nothing_created(settings) == before


def test_a_flow_imported_already_signed_with_valid_signatures_is_signed(
    commune, finance, pes_bytes, pki
):
    from exports.pes import sign_flow

    signed = sign_flow(pes_bytes, signer=pki.signer(), claimed_role="Ordonnateur")

    flow = pes.import_flow(collectivite=commune, actor=finance, source=signed, name="s.xml")

    assert (flow.status, flow.dematerialised) == ("signed", True)
    assert [(b.status, b.signer_name, b.claimed_role) for b in flow.bordereaux.all()] == [
        ("signed", "Jeanne Ordonnatrice", "Ordonnateur")
    ] * 3


def test_withdraw_flow_frees_the_file_for_a_new_import(commune, finance, imported_flow, pes_bytes):
    with pytest.raises(Exception) as no_reason:
        pes.withdraw_flow(flow=imported_flow, actor=finance, reason=" ")
    assert str(no_reason.value) == "Say why the flow is withdrawn."

    flow = pes.withdraw_flow(flow=imported_flow, actor=finance, reason="Mauvais exercice")

    assert (flow.status, set(flow.bordereaux.values_list("status", flat=True))) == (
        "withdrawn",
        {"withdrawn"},
    )
    again = pes.import_flow(collectivite=commune, actor=finance, source=pes_bytes, name="f.xml")
    assert again.status == "imported"


def test_attachment_is_read_back_from_the_flow(imported_flow):
    with default_storage.open(imported_flow.current_file.name, "rb") as handle:
        found = extract_attachment(handle.read(), "24310063300011DELIBERATION2025000012")

    assert found == (PDF, "deliberation.pdf", "application/pdf")


# --- building from a deliberation ----------------------------------------------------------------


def test_mandates_table_is_checked_line_by_line_and_nothing_is_recorded_on_error(
    subsidies, finance
):
    table = MANDATES_CSV.replace("37909534200018", "37909534200019").replace("12000", "12,345")

    with pytest.raises(PesMandatesInvalid) as caught:
        pes.import_planned_mandates(act=subsidies, actor=finance, content=table.encode())

    assert caught.value.problems == [
        "line 2: the SIRET 37909534200019 is not valid.",
        "line 3: the amount must be above zero, with at most 2 decimals.",
    ]
    assert PlannedMandate.objects.count() == 0


def test_build_flow_pays_out_the_subsidies_of_the_deliberation(subsidies, finance, settings):
    rows = pes.import_planned_mandates(
        act=subsidies, actor=finance, content=MANDATES_CSV.encode("cp1252")
    )
    assert [(r.beneficiary, r.amount, r.nature, r.iban) for r in rows] == [
        ("ASSOCIATION LES AMIS", Decimal("6500.00"), "6574", "FR7630003017020002010412521"),
        ("COMITE DES FETES", Decimal("12000.00"), "6574", "FR7630003017020002010412521"),
    ]

    flow = pes.build_flow(act=subsidies, actor=finance)

    year = subsidies.budget_year
    assert (flow.source, flow.status, flow.act_id, flow.dematerialised) == (
        "built",
        "built",
        subsidies.pk,
        False,
    )
    bordereau = flow.bordereaux.get()
    assert (bordereau.kind, bordereau.exercice, bordereau.id_bord, bordereau.typ_bord) == (
        "depense",
        year,
        1,
        "01",
    )
    assert (bordereau.total_ht, bordereau.mt_cumul_annuel) == (
        Decimal("18500.00"),
        Decimal("18500.00"),
    )
    pieces = list(bordereau.pieces.order_by("position"))
    assert [(p.id_pce, p.tiers_name, p.total_ht, p.nature, p.fonction) for p in pieces] == [
        (1, "ASSOCIATION LES AMIS", Decimal("6500.00"), "6574", "025"),
        (2, "COMITE DES FETES", Decimal("12000.00"), "6574", "025"),
    ]
    attachment = flow.attachments.get()
    assert [p.pj_refs for p in pieces] == [[attachment.id_unique]] * 2
    assert (attachment.nom_pj, attachment.type_pj, len(attachment.id_unique)) == (
        "DEL2025_0012.pdf",
        "003",
        46,
    )
    with default_storage.open(flow.current_file.name, "rb") as handle:
        content = handle.read()
    assert validate_xsd(content, version="5.17") == []
    assert validate_xsd(content, version="5.30") == []
    assert read_pes_aller(content).warnings == []
    pdf, _name, mime = extract_attachment(content, attachment.id_unique)
    assert (pdf[:5], mime) == (b"%PDF-", "application/pdf")
    assert AuditEvent.objects.filter(chain__key=f"pesflow:{flow.pk}").get().action == (
        "pes.flow.built"
    )
    with pytest.raises(PesStateRefused):
        pes.build_flow(act=subsidies, actor=finance)


def test_built_numbers_follow_every_flow_of_the_budget_and_exercise(
    subsidies, finance, imported_flow
):
    """The imported flow used IdBord 10 and 11 and IdPce 1–6 in 2025: the next bordereau of the
    exercise is 12 and its mandats start at 7."""
    Act.objects.filter(pk=subsidies.pk).update(budget_year=2025)
    subsidies.refresh_from_db()
    pes.import_planned_mandates(act=subsidies, actor=finance, content=MANDATES_CSV.encode())

    flow = pes.build_flow(act=subsidies, actor=finance, issued_on=dt.date(2025, 6, 1))

    bordereau = flow.bordereaux.get()
    assert (bordereau.id_bord, [p.id_pce for p in bordereau.pieces.order_by("position")]) == (
        12,
        [7, 8],
    )
    assert bordereau.mt_cumul_annuel == Decimal("7503.00") + Decimal("18500.00")
    assert sorted(PesCounter.objects.values_list("counter", "last_value")) == [
        ("bordereau", 12),
        ("piece", 8),
    ]


def test_build_flow_needs_the_pes_identifiers_and_the_mandats(subsidies, finance, commune):
    with pytest.raises(PesStateRefused) as no_mandates:
        pes.build_flow(act=subsidies, actor=finance)
    assert str(no_mandates.value) == (
        "Record the mandats to issue (the deliberation's table) before building."
    )
    pes.import_planned_mandates(act=subsidies, actor=finance, content=MANDATES_CSV.encode())
    commune.pes_id_post = ""
    commune.save()
    subsidies.refresh_from_db()

    with pytest.raises(PesNotConfigured) as unconfigured:
        pes.build_flow(act=subsidies, actor=finance)

    assert str(unconfigured.value) == (
        "The collectivité's PES identifiers are incomplete (IdPost): an administrator must "
        "enter them before a flow can be built."
    )
    assert PesFlow.objects.count() == 0


def test_build_refuses_data_the_treasury_would_reject(subsidies, finance):
    pes.import_planned_mandates(act=subsidies, actor=finance, content=MANDATES_CSV.encode())

    with pytest.raises(PesBuildError):
        pes.build_flow(act=subsidies, actor=finance, issued_on=dt.date(2001, 1, 1))

    assert (PesFlow.objects.count(), PesCounter.objects.count()) == (0, 0)


def test_a_10000_piece_flow_imports_flat(commune, finance):
    flow_data = make_flow(depense=1, pieces=10_000, recette=False, attachment=False)
    content = build_pes_aller(flow=flow_data, validate=False)

    flow = pes.import_flow(collectivite=commune, actor=finance, source=content, name="big.xml")

    assert (flow.piece_count, Piece.objects.filter(bordereau__flow=flow).count()) == (
        10_000,
        10_000,
    )
