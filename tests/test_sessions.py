"""Sessions shared through Redis: a buyer who signs in on one web machine is signed in on
every other, because the session lives where all of them look (the settings with
``REDIS_URL``: the Redis cache and ``cached_db`` sessions).

Two test clients play two web machines. Each test uses a key prefix of its own in the Redis
database ``REDIS_URL`` names and deletes its keys afterwards (nothing is flushed).
"""

import os
import subprocess
import sys
from pathlib import Path
from uuid import uuid4

import pytest
import redis
from django.conf import settings
from django.contrib.sessions.backends.cached_db import KEY_PREFIX as CACHED_DB
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from config.settings.base import redis_cache

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "tea-and-biscuits-2026"

pytestmark = pytest.mark.redis

# Another process that shares nothing with the test but Redis (no database at all): it reads
# the session by its key, as any web machine would.
OTHER_MACHINE = """
import sys
import django
from django.conf import settings
from config.settings.base import redis_cache

url, prefix, key = sys.argv[1:]
settings.configure(CACHES={"default": redis_cache(url, key_prefix=prefix)})
django.setup()
from django.core.cache import cache

print(cache.get(key)["_auth_user_id"])
"""


@pytest.fixture
def shared_redis(settings):
    url = os.environ["REDIS_URL"]
    prefix = f"aftersales-test-{uuid4().hex[:12]}"
    settings.CACHES = {"default": redis_cache(url, key_prefix=prefix)}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    server = redis.Redis.from_url(url)
    yield server, prefix
    for key in server.scan_iter(f"{prefix}:*"):
        server.delete(key)
    server.close()


@pytest.fixture
def signed_in(shared_redis, buyer) -> str:
    """The buyer signs in through the login page on the first machine: the session key."""
    buyer.set_password(PASSWORD)
    buyer.save()
    web1 = Client()
    response = web1.post("/login/", {"username": buyer.username, "password": PASSWORD})
    assert response.status_code == 302
    return web1.cookies[settings.SESSION_COOKIE_NAME].value


def second_machine(session_key: str) -> Client:
    web2 = Client()
    web2.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return web2


def test_a_session_made_on_one_machine_is_read_from_redis_by_another(
    shared_redis, signed_in, buyer
):
    server, prefix = shared_redis
    key = CACHED_DB + signed_in
    assert server.exists(caches["default"].make_key(key))

    # another process, with Redis and no database, sees who signed in
    other = subprocess.run(
        [sys.executable, "-c", OTHER_MACHINE, os.environ["REDIS_URL"], prefix, key],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert other.returncode == 0, other.stderr
    assert other.stdout.strip() == str(buyer.pk)

    # and the second machine serves the buyer's page without reading the session table,
    # even with the session's database row gone
    Session.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        response = second_machine(signed_in).get("/requests/")
    assert response.status_code == 200
    assert response.wsgi_request.user == buyer
    assert not [q for q in queries if "django_session" in q["sql"]]


def test_a_session_lost_from_redis_is_read_back_from_the_database(shared_redis, signed_in, buyer):
    # given Redis restarted empty
    server, _prefix = shared_redis
    cache_key = caches["default"].make_key(CACHED_DB + signed_in)
    server.delete(cache_key)

    # then the buyer is still signed in, and the session is back in Redis
    response = second_machine(signed_in).get("/requests/")
    assert response.status_code == 200
    assert response.wsgi_request.user == buyer
    assert server.exists(cache_key)


def test_signing_out_on_one_machine_signs_out_on_every_machine(shared_redis, signed_in):
    server, _prefix = shared_redis
    assert second_machine(signed_in).post("/logout/").status_code == 302

    assert not server.exists(caches["default"].make_key(CACHED_DB + signed_in))
    response = second_machine(signed_in).get("/requests/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
