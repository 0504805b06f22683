"""Random damage to valid files: the readers answer with a domain error or a result, never
with anything else (no crash, no stray exception type)."""

from __future__ import annotations

import contextlib
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exports.pes import (
    PesError,
    build_pes_aller,
    read_pes_acquit,
    read_pes_aller,
    sign_flow,
    verify_flow,
)

from .flows import make_flow

VALID = build_pes_aller(flow=make_flow(depense=1, pieces=2), validate=False)
MARKUP = [
    b"<",
    b">",
    b"/",
    b'"',
    b"&",
    b"&amp;",
    b"<!--",
    b"]]>",
    b"<?x?>",
    b"<!DOCTYPE a>",
    b"\x00",
    b"\xff",
    b"\xe9",
    b"<Piece>",
    b"</Bordereau>",
    b'V="',
    b"\n",
]


@st.composite
def damaged(draw, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        position = draw(st.integers(min_value=0, max_value=len(data)))
        operation = draw(st.sampled_from(["delete", "insert", "flip", "copy", "truncate"]))
        if operation == "delete":
            length = draw(st.integers(min_value=1, max_value=40))
            del data[position : position + length]
        elif operation == "insert":
            piece = draw(st.one_of(st.sampled_from(MARKUP), st.binary(min_size=1, max_size=8)))
            data[position:position] = piece
        elif operation == "flip" and position < len(data):
            data[position] = draw(st.integers(min_value=0, max_value=255))
        elif operation == "copy":
            length = draw(st.integers(min_value=1, max_value=200))
            data[position:position] = data[position : position + length]
        elif operation == "truncate":
            del data[position:]
    return bytes(data)


FUZZ = settings(
    max_examples=int(os.environ.get("PES_FUZZ_EXAMPLES", "250")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _only_domain_errors(call, data, **kwargs):
    with contextlib.suppress(PesError):
        call(data, **kwargs)


@FUZZ
@given(data=damaged(VALID))
def test_read_pes_aller_raises_only_domain_errors_on_damaged_flows(data):
    _only_domain_errors(read_pes_aller, data)


@FUZZ
@given(data=damaged(VALID))
def test_verify_flow_raises_only_domain_errors_on_damaged_flows(data):
    _only_domain_errors(verify_flow, data)


@pytest.fixture(scope="module")
def signed(pki):
    return sign_flow(VALID, signer=pki.signer())


@settings(max_examples=120, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(seed=st.data())
def test_verify_and_sign_raise_only_domain_errors_on_damaged_signed_flows(pki, signed, seed):
    data = seed.draw(damaged(signed))
    _only_domain_errors(verify_flow, data)
    _only_domain_errors(sign_flow, data, signer=pki.signer())


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(seed=st.data())
def test_read_pes_acquit_raises_only_domain_errors(samples, seed):
    original = samples / "stela/pes-ack-ko/006111_190130123456-ACK-A3020100_A0000MIX_KO.xml"
    data = seed.draw(damaged(original.read_bytes()))
    _only_domain_errors(read_pes_acquit, data)
