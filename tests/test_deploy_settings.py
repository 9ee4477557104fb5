"""Production settings under a realistic environment (issue 12, row 8): `check --deploy` has
nothing to say, plain http is sent to https except the health check, and every answer carries
HSTS and the Content-Security-Policy.

Each runs in a subprocess, because settings are read once per process.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "shouhou.example.com"


def production_env(**extra: str) -> dict:
    """What a real deployment sets (README, Configuration), and nothing of this machine's."""
    ours = {"SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL", "REDIS_CACHE_URL", "HTTPS"}
    ours |= {"DJANGO_ALLOW_ASYNC_UNSAFE"}  # set for the browser tests in this process
    clean = {k: v for k, v in os.environ.items() if k not in ours}
    return {
        **clean,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "CSRF_TRUSTED_ORIGINS": f"https://{HOST}",
        "DATABASE_URL": "postgres://aftersales@db.internal:5432/aftersales",
        "REDIS_URL": "redis://redis.internal:6379/0",
        "REDIS_CACHE_URL": "redis://redis.internal:6379/1",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        **extra,
    }


def check_deploy(**extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(**extra),
        capture_output=True,
        text=True,
    )


def test_check_deploy_has_no_warnings_in_production():
    result = check_deploy()

    print(result.stdout, result.stderr)  # quoted in the closing note
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_check_deploy_would_warn_about_a_plain_http_site():
    """The check is real: a plain-http trial (HTTPS=0) gets the warnings it should."""
    result = check_deploy(HTTPS="0")

    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr, warning


def test_leaving_hsts_preload_out_brings_back_its_reminder():
    result = check_deploy(SECURE_HSTS_PRELOAD="0")

    assert result.returncode != 0
    assert "security.W021" in result.stderr


ANSWERS = """
import django, json
django.setup()
from django.test import Client
client = Client(HTTP_HOST="{host}")
answers = {{}}
for name, path, headers in [
    ("http page", "/login/", {{}}),
    ("http health", "/health/", {{}}),
    ("https", "/no-such-page/", {{"HTTP_X_FORWARDED_PROTO": "https"}}),
    ("spoofed http", "/login/", {{"HTTP_X_FORWARDED_PROTO": "http"}}),
]:
    response = client.get(path, **headers)
    answers[name] = {{
        "status": response.status_code,
        "location": response.get("Location", ""),
        "hsts": response.get("Strict-Transport-Security", ""),
        "csp": response.get("Content-Security-Policy", ""),
    }}
print(json.dumps(answers))
"""


def production_answers() -> dict:
    result = subprocess.run(
        [sys.executable, "-c", ANSWERS.format(host=HOST)],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_plain_http_is_sent_to_https_but_the_health_check_is_answered():
    answers = production_answers()

    assert (answers["http page"]["status"], answers["http page"]["location"]) == (
        301,
        f"https://{HOST}/login/",
    )
    assert answers["spoofed http"]["status"] == 301
    # /health/ is answered where it is (404 until a health check is mounted), never redirected
    assert answers["http health"]["status"] != 301
    assert answers["http health"]["location"] == ""


def test_https_answers_carry_hsts_and_the_content_security_policy():
    https = production_answers()["https"]

    assert https["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert "default-src 'self'" in https["csp"]
    assert "script-src 'self'" in https["csp"]
    assert "frame-ancestors 'none'" in https["csp"]
