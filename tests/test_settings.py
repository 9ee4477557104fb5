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


def settings_value(module: str, expression: str, **env: str) -> str:
    """``expression`` evaluated in settings ``module`` imported afresh with ``env`` (and
    none of the service variables this process has)."""
    services = {
        "REDIS_URL",
        "REDIS_CACHE_URL",
        "REDIS_CHANNELS_URL",
        "DATABASE_URL",
        "MEDIA_S3_BUCKET",
        "CONN_MAX_AGE",
    }
    clean = {k: v for k, v in os.environ.items() if k not in services | {"SECRET_KEY", "DEBUG"}}
    result = subprocess.run(
        [sys.executable, "-c", f"from config.settings import {module} as s; print({expression})"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_without_redis_sessions_are_in_the_database_and_the_cache_in_memory():
    assert settings_value("local", "s.SESSION_ENGINE") == "django.contrib.sessions.backends.db"
    assert settings_value("local", "s.CACHES['default']['BACKEND']") == (
        "django.core.cache.backends.locmem.LocMemCache"
    )


def test_with_redis_sessions_and_the_cache_are_shared_through_it():
    env = {"REDIS_URL": "redis://127.0.0.1:6379/3"}
    assert settings_value("local", "s.SESSION_ENGINE", **env) == (
        "django.contrib.sessions.backends.cached_db"
    )
    assert settings_value("local", "s.CACHES['default']['BACKEND']", **env) == (
        "django.core.cache.backends.redis.RedisCache"
    )
    assert settings_value("local", "s.CACHES['default']['LOCATION']", **env) == (
        "redis://127.0.0.1:6379/3"
    )


def test_the_cache_can_live_in_another_redis_database_than_the_broker():
    env = {"REDIS_URL": "redis://127.0.0.1:6379/3", "REDIS_CACHE_URL": "redis://127.0.0.1:6379/4"}
    assert settings_value("local", "s.CELERY_BROKER_URL", **env) == "redis://127.0.0.1:6379/3"
    assert settings_value("local", "s.CACHES['default']['LOCATION']", **env) == (
        "redis://127.0.0.1:6379/4"
    )


def test_without_a_bucket_media_stay_on_the_local_disk():
    assert settings_value("local", "s.STORAGES['default']['BACKEND']") == (
        "django.core.files.storage.FileSystemStorage"
    )


def test_with_a_bucket_media_go_to_a_private_object_store():
    env = {
        "MEDIA_S3_BUCKET": "shop-media",
        "MEDIA_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
        "MEDIA_S3_REGION": "cn-east-1",
    }
    storage = settings_value("local", "s.STORAGES['default']", **env)
    assert "'BACKEND': 'storages.backends.s3.S3Storage'" in storage
    for option in (
        "'bucket_name': 'shop-media'",
        "'endpoint_url': 'http://127.0.0.1:9000'",
        "'region_name': 'cn-east-1'",
        "'default_acl': None",
        "'querystring_auth': True",
        "'querystring_expire': 60",
    ):
        assert option in storage


def test_the_test_suite_keeps_to_one_machine_whatever_the_environment_says():
    env = {"REDIS_URL": "redis://127.0.0.1:6379/3", "MEDIA_S3_BUCKET": "shop-media"}
    assert settings_value("test", "s.SESSION_ENGINE", **env) == (
        "django.contrib.sessions.backends.db"
    )
    assert settings_value("test", "s.STORAGES['default']['BACKEND']", **env) == (
        "django.core.files.storage.FileSystemStorage"
    )


def test_production_keeps_database_connections_with_a_health_check():
    database = "s.DATABASES['default']"
    expression = f"{database}['CONN_MAX_AGE'], {database}['CONN_HEALTH_CHECKS']"
    assert settings_value("production", expression, SECRET_KEY="s3cret") == "60 True"
    assert settings_value("production", expression, SECRET_KEY="s3cret", CONN_MAX_AGE="5") == (
        "5 True"
    )


def test_development_opens_a_connection_per_request():
    assert settings_value("local", "s.DATABASES['default']['CONN_MAX_AGE']") == "0"


def test_the_live_conversation_shares_redis_when_there_is_one_and_memory_otherwise():
    layer = "s.CHANNEL_LAYERS['default']"
    assert settings_value("local", f"{layer}['BACKEND']") == (
        "channels.layers.InMemoryChannelLayer"
    )
    env = {"REDIS_URL": "redis://127.0.0.1:6379/3"}
    assert settings_value("local", f"{layer}['BACKEND']", **env) == (
        "channels_redis.core.RedisChannelLayer"
    )
    host = f"{layer}['CONFIG']['hosts'][0]"
    assert settings_value("local", f"{host}['address']", **env) == "redis://127.0.0.1:6379/3"
    # reads wait longer than the layer's 5 s blocking pop
    assert settings_value("local", f"{host}['socket_timeout']", **env) == "15"
    env["REDIS_CHANNELS_URL"] = "redis://127.0.0.1:6379/6"
    assert settings_value("local", f"{host}['address']", **env) == "redis://127.0.0.1:6379/6"
    # the ASGI application serves both
    assert settings_value("local", "s.ASGI_APPLICATION") == "config.asgi.application"
