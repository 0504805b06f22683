"""Hypothesis against the doors that read untrusted files: the PES import service, the prefecture
return import, the PDF upload inspection. Whatever the damage, the only exceptions are domain
errors (a clear message for the user) and a refusal changes nothing.

Bounded for `make test` (FUZZ_EXAMPLES, default 40 per test); raise it for a longer session:
FUZZ_EXAMPLES=2000 python -m pytest tests/fuzz. The parsers' own fuzzing is in
tests/exports/pes/test_fuzz.py.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.exceptions import DelibreError
from core.uploads import InvalidPdf, inspect_pdf
from deliberations.enums import Role
from exports.pes import build_pes_aller
from tests import pdfs
from tests.exports.pes.flows import make_flow
from tests.exports.pes.test_fuzz import damaged
from tests.factories import CollectiviteFactory, member
from tests.security.probe import state_checksum

pytestmark = pytest.mark.fuzz

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
SAMPLES = Path(__file__).resolve().parents[1] / "exports" / "actes" / "samples"
VALID_FLOW = build_pes_aller(flow=make_flow(depense=1, pieces=2, recette=False, attachment=False))
ACTES_MESSAGE = (
    SAMPLES / "pastell" / "034-491011698-20171207-CL20171227_06-DE-1-2.xml"
).read_bytes()
PDF = pdfs.blank_pdf(2)


@pytest.fixture
def commune(db):
    return CollectiviteFactory(
        name="Commune de Test",
        slug="commune-de-test",
        siren="491011698",
        siret="24310063300011",
        pes_id_coll="24310063300011",
        pes_cod_col="100",
        pes_cod_bud="00",
    )


@pytest.fixture
def finance(commune):
    return member(commune, Role.CLERK, Role.ADMIN, username="finance")


@FUZZ
@given(data=damaged(VALID_FLOW))
def test_pes_import_raises_only_domain_errors_and_changes_nothing_when_refusing(
    commune, finance, data
):
    from exports.pes.models import PesFlow
    from exports.pes.services import import_flow

    before = state_checksum()
    try:
        flow = import_flow(
            collectivite=commune, actor=finance, source=io.BytesIO(data), name="f.xml"
        )
    except DelibreError:
        assert state_checksum() == before
    else:
        flow.delete()  # a harmless change (a renamed value) is a valid flow: start again clean
        assert PesFlow.objects.count() == 0


@FUZZ
@given(data=damaged(ACTES_MESSAGE))
def test_prefecture_import_raises_only_domain_errors_and_changes_nothing_when_refusing(
    commune, finance, data
):
    from exports.actes.services.returns import import_prefecture_file

    before = state_checksum()
    try:
        import_prefecture_file(collectivite=commune, actor=finance, content=data, name="m.xml")
    except DelibreError:
        assert state_checksum() == before


@FUZZ
@given(data=damaged(PDF))
def test_pdf_inspection_raises_only_invalid_pdf(data):
    try:
        facts = inspect_pdf(io.BytesIO(data), max_bytes=10 * 1024 * 1024)
    except InvalidPdf:
        return
    assert facts.page_count >= 1
    assert facts.size == len(data)


@FUZZ
@given(data=st.binary(max_size=2048))
def test_pdf_inspection_of_random_bytes(data):
    with contextlib.suppress(InvalidPdf):
        inspect_pdf(io.BytesIO(b"%PDF-1.7\n" + data + b"\n%%EOF\n"), max_bytes=1024 * 1024)
