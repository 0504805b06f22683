"""Production hardening: ``check --deploy`` with the production settings, cookies, headers, CSP,
password hashing, and no secret in the repository or in clear in the database.

The deploy checks run ``manage.py`` in a subprocess with only the production environment
variables .env.example documents (config/settings.py reads them at import), so they see exactly
what a server sees.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


def production_env(**extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DELIBRE_ENV": "production",
        "DELIBRE_SECRET_KEY": secrets.token_urlsafe(50),
        "DELIBRE_ALLOWED_HOSTS": "deliberations.example.fr",
        "DELIBRE_PUBLIC_URL": "https://deliberations.example.fr",
        "DELIBRE_REQUIRE_2FA": "true",
    }
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_production_settings(tmp_path):
    done = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=production_env(DELIBRE_DATA_DIR=str(tmp_path)),
    )
    assert (done.returncode, done.stdout.strip()) == (
        0,
        "System check identified no issues (0 silenced).",
    ), done.stderr


def test_check_deploy_fails_when_debug_is_left_on(tmp_path):
    # The check above can fail: the same command with DEBUG on reports security.W018.
    done = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=production_env(DELIBRE_DATA_DIR=str(tmp_path), DELIBRE_DEBUG="true"),
    )
    assert done.returncode == 1
    assert "security.W018" in done.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(DELIBRE_DATA_DIR=str(tmp_path))
    del env["DELIBRE_SECRET_KEY"]
    done = manage("check", env=env)
    assert done.returncode == 1
    assert "DELIBRE_SECRET_KEY must be set in production." in done.stderr


def test_production_settings_values(tmp_path):
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({k: getattr(s, k) "
        "for k in ['DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY',"
        " 'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', "
        "'X_FRAME_OPTIONS', 'SECURE_CONTENT_TYPE_NOSNIFF', 'DELIBRE_REQUIRE_2FA']} | "
        "{'hasher': s.PASSWORD_HASHERS[0], 'idle': s.DELIBRE_SESSION_IDLE_SECONDS > 0}))"
    )
    done = manage("shell", "-c", code, env=production_env(DELIBRE_DATA_DIR=str(tmp_path)))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "DELIBRE_REQUIRE_2FA": True,
        "hasher": "django.contrib.auth.hashers.Argon2PasswordHasher",
        "idle": True,
    }


def test_https_responses_carry_hsts_and_secure_cookies(db, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.CSRF_COOKIE_SECURE = True
    response = Client().get("/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response.cookies["csrftoken"]["secure"] is True
    assert response.cookies["csrftoken"]["samesite"] == "Lax"


def test_the_session_cookie_is_http_only_and_secure(db, settings):
    from deliberations.enums import Role
    from tests.factories import CollectiviteFactory, member

    settings.SESSION_COOKIE_SECURE = True
    member(CollectiviteFactory(), Role.CLERK, username="clerk")
    response = Client().post("/login/", {"username": "clerk", "password": "password"}, secure=True)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert (cookie["httponly"], cookie["secure"], cookie["samesite"]) == (True, True, "Lax")


# The CSP forbids inline script and style: no template may carry any, or pages would break.
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=\"|javascript:", re.IGNORECASE
)


def test_no_template_has_inline_script_or_style():
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if INLINE.search(line) and "application/ld+json" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert offenders == []


# Secrets -----------------------------------------------------------------------------------

#: Where private keys may legitimately appear: test fixtures and the demo PKI (throw-away keys).
KEY_ALLOWED = ("tests/fixtures/", "tests/signing/pki", "signing/demo_pki", "deliberations/demo")
PRIVATE_KEY = re.compile(rb"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")


def _repository_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    return [name for name in listed.stdout.decode().splitlines() if name]


def test_no_private_key_or_pkcs12_in_the_repository_outside_test_fixtures():
    found = []
    for name in _repository_files():
        if name.startswith(KEY_ALLOWED):
            continue
        path = ROOT / name
        if not path.is_file():
            continue
        if name.endswith((".p12", ".pfx", ".key")):
            found.append(name)
            continue
        if path.stat().st_size < 5_000_000 and PRIVATE_KEY.search(path.read_bytes()):
            found.append(name)
    assert found == []


#: Every database column whose name suggests a secret, with why it is not one in clear.
SECRET_LIKE = re.compile(r"password|secret|passphrase|pin$|private|token|_key$|^key$")
REVIEWED_COLUMNS = {
    # Django's salted Argon2id (PBKDF2 for older accounts until their next login).
    "deliberations.User.password": "hashed",
    # Fernet-encrypted with a key derived from DELIBRE_FIELD_KEY (tests/accounts/test_login.py).
    "accounts.TwoFactor.secret_encrypted": "encrypted",
    # DRF's API token: a bearer credential like a session key, revocable (see docs/security.md).
    "authtoken.Token.key": "bearer token, like a session key",
    "authtoken.TokenProxy.key": "bearer token, like a session key",
    "sessions.Session.session_key": "session identifier",
    # Names of environment variables holding passwords, never the passwords (DESIGN.md #6).
    "signing.SigningSettings.seal_pkcs12_password_env": "a variable's name",
    "signing.SigningSettings.seal_pkcs11_token_env": "a variable's name",
    "actes.TdtSettings.key_password_env": "a variable's name",
    # A path in the collectivité's own folder on the server (or env:NAME), not the key itself.
    "actes.TdtSettings.client_key": "a file path",
    # Public verification tokens printed on acts (QR codes) and published pages: public.
    "exports.RenderedDocument.verification_token": "public by design",
    "publication.Publication.verification_token": "public by design",
    # Not secrets: the séance's secretary, whether a ballot was secret, journal and dedup keys.
    "deliberations.Seance.secretary": "not a secret",
    "deliberations.Vote.secret": "not a secret",
    "workflow.JournalChain.key": "not a secret",
    "workflow.Notification.key": "not a secret",
}


def test_no_column_holds_a_secret_in_clear():
    found = {}
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if SECRET_LIKE.search(field.name) and not field.name.endswith("_sha256"):
                label = f"{model._meta.app_label}.{model.__name__}.{field.name}"
                found[label] = REVIEWED_COLUMNS.get(label, "NOT REVIEWED")
    unreviewed = sorted(k for k, v in found.items() if v == "NOT REVIEWED")
    assert unreviewed == []


@pytest.mark.parametrize("path", ["/login/", "/verify/", "/actes/", "/api/schema/"])
def test_responses_carry_the_security_headers(db, client, path):
    response = client.get(path)
    assert response["Content-Security-Policy"] == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    )
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_api_docs_page_runs_under_the_csp(db, client):
    # Swagger UI from drf-spectacular-sidecar, its start-up script served from a URL (no inline).
    body = client.get("/api/docs/").content.decode()
    scripts = re.findall(r'<script src="([^"]+)"', body)
    assert re.search(r"<script>", body) is None
    assert scripts[-1] == "/api/docs/?script="
    assert all(s.startswith("/") for s in scripts)  # nothing from a CDN
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
