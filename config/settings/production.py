"""Production: refuses to start without a secret key or with debug on."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, DEBUG, SECRET_KEY, env_bool

if not SECRET_KEY:
    raise ImproperlyConfigured("Set SECRET_KEY in the environment for production.")
if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production.")

# Secure cookies need HTTPS; SECURE_COOKIES=0 only for a local plain-http trial.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Static files are served by the app itself (WhiteNoise), compressed and cache-busted.
MIDDLEWARE = [
    MIDDLEWARE[0],  # noqa: F405  (SecurityMiddleware first)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    *MIDDLEWARE[1:],  # noqa: F405
]
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Persistent database connections: each process keeps its connection for up to CONN_MAX_AGE
# seconds instead of opening one per request (a PostgreSQL connection costs a new backend
# process and an authentication round trip on every page). The health check pings a reused
# connection once per request before using it, so a database restart or fail-over costs one
# reconnect, not an error page.
#
# Why not Django's psycopg pool (OPTIONS={"pool": ...})? The web server is gunicorn with sync
# workers and the Celery workers are prefork: every process runs one request or task at a
# time, so a pool per process would hold several connections where one is ever used, and
# multiply the database's connection count by the pool size. A persistent connection is one
# connection per process, the most a single-threaded process can use. A pool earns its keep
# where one process runs many threads (a threaded or ASGI server): switch then.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "60"))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
