import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def import_settings(module: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = import_settings("config.settings.production")
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_production_refuses_to_start_with_debug_on():
    result = import_settings("config.settings.production", SECRET_KEY="s3cret", DEBUG="1")
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_production_starts_with_a_secret_key_and_debug_off():
    assert import_settings("config.settings.production", SECRET_KEY="s3cret").returncode == 0


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "filesystem://localhost/"),
        ({"REDIS_URL": "redis://127.0.0.1:6379/3"}, "redis://127.0.0.1:6379/3"),
    ],
)
def test_celery_uses_redis_only_when_configured(env, expected):
    clean = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    result = subprocess.run(
        [sys.executable, "-c", "from config.settings import local; print(local.CELERY_BROKER_URL)"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
    )
    assert result.stdout.strip() == expected


def test_without_database_url_the_app_uses_sqlite():
    clean = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-c", "from config.settings import local; print(local.DATABASES)"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
    )
    assert "sqlite3" in result.stdout
