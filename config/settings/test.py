"""The test suite: fast hashing, in-memory email, tasks run in-process."""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

from .base import *  # noqa: F403

SECRET_KEY = "test-secret-key"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="aftersales-test-media-"))
# Whatever the environment says (CI sets REDIS_URL for the broker tests), the suite keeps to
# one machine: media in MEDIA_ROOT, database sessions and a memory cache that no other test
# run shares. The Redis and object-store tests switch to those setups themselves.
STORAGES = {**STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}  # noqa: F405
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Tasks registered with on_commit run in-process, so a test sees their effects. A real worker
# started by the integration test sets CELERY_EAGER=0 to go through the broker.
CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_EAGER", "1") == "1"
CELERY_TASK_EAGER_PROPAGATES = True
LANGUAGE_CODE = os.environ.get("TEST_LANGUAGE_CODE", "en")
# The webhook tests' receivers listen on http://127.0.0.1.
WEBHOOKS = {**WEBHOOKS, "ALLOW_HTTP_LOOPBACK": True}  # noqa: F405
# The API's list shows changes at once (the sync test sets a settle time of its own), and its
# rate is high enough that only the throttling test, which lowers it, meets the limit.
API_SYNC_SETTLE = timedelta(0)
API_RATE = "100000/minute"
# The live conversation's channel layer in this process's memory, whatever REDIS_URL says; the
# live-server browser test runs its server with the same.
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
