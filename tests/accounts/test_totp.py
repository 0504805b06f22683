"""RFC 6238 appendix B test vectors (SHA-1) and the drift window."""

from __future__ import annotations

import base64

import pytest

from accounts import totp

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_totp_matches_the_rfc_6238_vectors(at, expected):
    assert totp.totp(RFC_SECRET, at, digits=8) == expected


def test_matching_step_accepts_one_step_of_drift_and_nothing_more():
    secret = totp.new_secret()
    now = 1_700_000_000
    step = totp.time_step(now)
    assert totp.matching_step(secret, totp.hotp(secret, step - 1), at=now) == step - 1
    assert totp.matching_step(secret, totp.hotp(secret, step + 1), at=now) == step + 1
    assert totp.matching_step(secret, totp.hotp(secret, step + 2), at=now) is None
    assert totp.matching_step(secret, "12345", at=now) is None
    assert totp.matching_step(secret, "abcdef", at=now) is None


def test_provisioning_uri_names_the_issuer_and_the_account():
    uri = totp.provisioning_uri("ABCDEF", account="maire", issuer="Délibre")
    assert uri == (
        "otpauth://totp/D%C3%A9libre%3Amaire?secret=ABCDEF&issuer=D%C3%A9libre&digits=6&period=30"
    )
