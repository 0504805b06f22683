"""Login throttling, the security journal, the second factor, API tokens and idle sessions."""

from __future__ import annotations

import re
import time

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts import totp
from accounts.middleware import last_seen_key
from accounts.models import TwoFactor
from accounts.services import PLATFORM_CHAIN, _secret_of, confirm_device, new_enrolment
from workflow.models import AuditEvent


def _events(chain: str) -> list[tuple[str, dict]]:
    return [
        (e.action, {k: e.data.get(k) for k in ("username", "second_factor") if k in e.data})
        for e in AuditEvent.objects.filter(chain__key=chain).order_by("seq")
    ]


def _login(client, username, password="password"):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_success_is_journaled_on_the_users_chain(client, clerk):
    response = _login(client, "clerk")
    assert response.status_code == 302
    assert _events(f"user:{clerk.pk}") == [
        ("account.login.succeeded", {"username": "clerk", "second_factor": "none"})
    ]


def test_failures_are_journaled_and_the_sixth_attempt_is_locked_even_with_the_password(
    client, clerk, caplog
):
    for _attempt in range(4):
        response = _login(client, "clerk", "wrong")
        assert response.status_code == 200
    fifth = _login(client, "clerk", "wrong")
    locked = _login(client, "clerk", "password")
    assert "logging in is blocked for 15 minutes" in fifth.content.decode()
    assert "logging in is blocked for 15 minutes" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert [a for a, _d in _events(f"user:{clerk.pk}")] == [
        "account.login.failed",
        "account.login.failed",
        "account.login.failed",
        "account.login.failed",
        "account.login.failed",
        "account.login.locked",
    ]
    throttled = [r.getMessage() for r in caplog.records if r.name == "delibre.security"]
    assert throttled[-1].startswith("account.login.throttled user=")


def test_the_lock_ends_after_the_lockout_period(client, clerk, settings):
    settings.DELIBRE_LOGIN_LOCKOUT_SECONDS = 1
    for _attempt in range(5):
        _login(client, "clerk", "wrong")
    time.sleep(1.1)
    assert _login(client, "clerk").status_code == 302


def test_unknown_usernames_go_to_the_platform_chain_and_the_address_is_throttled(
    client, clerk, settings
):
    settings.DELIBRE_LOGIN_MAX_FAILURES_PER_IP = 3
    for n in range(3):
        _login(client, f"nobody{n}", "wrong")
    response = _login(client, "clerk")
    assert response.status_code == 200
    assert [a for a, _d in _events(PLATFORM_CHAIN)] == [
        "account.login.failed",
        "account.login.failed",
        "account.login.failed",
        "account.login.locked",
    ]


def test_passwords_are_hashed_with_argon2_in_production_settings():
    from django.conf import settings as django_settings

    # The test suite swaps in MD5 for speed (tests/conftest.py); the configured list is read here.
    from config import settings as configured

    assert configured.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert django_settings.AUTH_PASSWORD_VALIDATORS == configured.AUTH_PASSWORD_VALIDATORS


def test_argon2_hashes_a_password(settings, clerk):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    clerk.set_password("a long passphrase")
    assert clerk.password.startswith("argon2$argon2id$")
    assert clerk.check_password("a long passphrase")


# Second factor -------------------------------------------------------------------------------


def _enrol(user) -> tuple[str, list[str]]:
    secret, pending = new_enrolment()
    codes = confirm_device(
        actor=user, code=totp.hotp(secret, totp.time_step() - 1), pending=pending
    )
    return secret, codes


def test_enrolment_page_shows_a_qr_code_and_confirming_gives_ten_recovery_codes(client, signer):
    client.force_login(signer)
    page = client.get(reverse("two-factor"))
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page.content.decode()).group(1)
    assert 'src="data:image/svg+xml;base64,' in page.content.decode()
    assert TwoFactor.objects.filter(user=signer).exists() is False  # showing the page wrote nothing
    again = client.get(reverse("two-factor"))
    assert f'<code class="secret">{secret}</code>' in again.content.decode()  # same enrolment
    response = client.post(reverse("two-factor"), {"action": "confirm", "code": totp.totp(secret)})
    codes = re.findall(
        r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", response.content.decode()
    )
    device = TwoFactor.objects.get(user=signer)
    assert secret not in device.secret_encrypted  # stored encrypted
    assert _secret_of(device) == secret
    assert len(codes) == 10
    assert device.is_active
    assert codes[0] not in str(device.recovery_hashes)  # stored hashed
    assert [a for a, _d in _events(f"user:{signer.pk}")] == ["account.two_factor.enabled"]


def test_a_wrong_first_code_does_not_activate_the_device(client, signer):
    client.force_login(signer)
    client.get(reverse("two-factor"))
    response = client.post(reverse("two-factor"), {"action": "confirm", "code": "000000"})
    assert "This code is not valid." in response.content.decode()
    assert TwoFactor.objects.filter(user=signer).exists() is False


def test_login_with_a_second_factor_needs_the_code_and_refuses_a_replay(client, signer):
    secret, _codes = _enrol(signer)
    first = _login(client, "maire")
    assert first.status_code == 302
    assert first["Location"] == reverse("login-verify")
    assert "_auth_user_id" not in client.session
    wrong = client.post(reverse("login-verify"), {"code": "000000"})
    assert wrong.status_code == 200
    code = totp.totp(secret)
    ok = client.post(reverse("login-verify"), {"code": code})
    assert ok.status_code == 302
    assert client.session["_auth_user_id"] == str(signer.pk)
    other = type(client)()
    _login(other, "maire")
    replay = other.post(reverse("login-verify"), {"code": code})
    assert replay.status_code == 200
    assert "_auth_user_id" not in other.session
    assert [a for a, _d in _events(f"user:{signer.pk}")] == [
        "account.two_factor.enabled",
        "account.login.second_factor_failed",
        "account.login.succeeded",
        "account.login.second_factor_failed",
    ]


def test_a_recovery_code_works_once(client, signer):
    _secret, codes = _enrol(signer)
    _login(client, "maire")
    assert client.post(reverse("login-verify"), {"code": codes[3]}).status_code == 302
    other = type(client)()
    _login(other, "maire")
    assert other.post(reverse("login-verify"), {"code": codes[3]}).status_code == 200
    assert len(TwoFactor.objects.get(user=signer).recovery_hashes) == 9
    assert "account.two_factor.recovery_used" in [a for a, _d in _events(f"user:{signer.pk}")]


def test_required_second_factor_sends_a_signer_to_enrolment_and_the_api_answers_403(
    client, signer, clerk, settings
):
    settings.DELIBRE_REQUIRE_2FA = True
    client.force_login(signer)
    page = client.get(reverse("act-list"))
    api = client.get("/api/acts/")
    assert page.status_code == 302
    assert page["Location"] == reverse("two-factor")
    assert api.status_code == 403
    assert api.json()["code"] == "two_factor_required"
    clerk_client = type(client)()
    clerk_client.force_login(clerk)
    assert clerk_client.get(reverse("act-list")).status_code == 200


def test_a_required_second_factor_cannot_be_turned_off(client, signer, settings):
    secret, _codes = _enrol(signer)
    settings.DELIBRE_REQUIRE_2FA = True
    client.force_login(signer)
    response = client.post(reverse("two-factor"), {"action": "disable", "code": totp.totp(secret)})
    assert response.status_code == 200
    assert "cannot be turned off" in response.content.decode()
    assert TwoFactor.objects.get(user=signer).is_active


def test_an_optional_second_factor_is_turned_off_with_a_code(client, signer):
    secret, _codes = _enrol(signer)
    client.force_login(signer)
    response = client.post(reverse("two-factor"), {"action": "disable", "code": totp.totp(secret)})
    assert response.status_code == 302
    assert TwoFactor.objects.filter(user=signer).exists() is False
    assert [a for a, _d in _events(f"user:{signer.pk}")][-1] == "account.two_factor.disabled"


# API tokens ----------------------------------------------------------------------------------


def test_token_needs_the_code_of_an_enrolled_account(client, signer):
    secret, _codes = _enrol(signer)
    without = client.post("/api/auth/token/", {"username": "maire", "password": "password"})
    with_code = client.post(
        "/api/auth/token/",
        {"username": "maire", "password": "password", "otp": totp.totp(secret)},
    )
    assert without.status_code == 400
    assert without.json()["code"] == "invalid_code"
    assert with_code.status_code == 200
    assert len(with_code.json()["token"]) == 40


def test_token_is_throttled_like_the_login_page(client, clerk):
    for _attempt in range(5):
        assert (
            client.post("/api/auth/token/", {"username": "clerk", "password": "x"}).status_code
            == 400
        )
    response = client.post("/api/auth/token/", {"username": "clerk", "password": "password"})
    assert response.status_code == 429
    assert response.json()["code"] == "too_many_attempts"


def test_token_is_refused_when_the_required_second_factor_is_missing(client, signer, settings):
    settings.DELIBRE_REQUIRE_2FA = True
    response = client.post("/api/auth/token/", {"username": "maire", "password": "password"})
    assert response.status_code == 403
    assert response.json()["code"] == "two_factor_required"


# Sessions -------------------------------------------------------------------------------------


def test_an_idle_session_is_logged_out_with_a_message(client, clerk, settings):
    settings.DELIBRE_SESSION_IDLE_SECONDS = 600
    client.force_login(clerk)
    assert client.get(reverse("act-list")).status_code == 200
    cache.set(last_seen_key(client.session.session_key), int(time.time()) - 601)
    response = client.get(reverse("act-list"), follow=True)
    assert response.redirect_chain[0] == (f"{reverse('login')}?next=%2Facts%2F", 302)
    assert "Your session expired after a period of inactivity." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_admin_login_goes_through_the_throttled_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=%2Fadmin%2F"


@pytest.mark.parametrize("path", ["/login/", "/verify/", "/actes/"])
def test_pages_carry_the_security_headers(db, client, path):
    response = client.get(path)
    assert response["Content-Security-Policy"].startswith("default-src 'self'; script-src 'self'")
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Permissions-Policy"].startswith("accelerometer=()")


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "null", "true"])
def test_token_refuses_a_body_that_is_not_an_object(client, db, body):
    # Found by schemathesis (tests/fuzz/test_api_schema.py): this answered 500.
    response = client.post("/api/auth/token/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Send an object with a username and a password.",
        "code": "invalid",
    }
