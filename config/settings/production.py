"""Production: refuses to start without a secret key or with debug on."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, DEBUG, SECRET_KEY, env_bool

if not SECRET_KEY:
    raise ImproperlyConfigured("Set SECRET_KEY in the environment for production.")
if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production.")

# HTTPS only. TLS ends at the proxy in front (nginx, a load balancer), which says so in
# X-Forwarded-Proto; it must set that header itself, never pass on the client's. HTTPS=0 only
# for a local plain-http trial (docker compose on localhost): no redirect, no HSTS, cookies
# without Secure. `./manage.py check --deploy` gives no warning with the defaults.
HTTPS = env_bool("HTTPS", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS
# Health checks and internal calls come over plain http from inside the network: answered, not
# sent to https.
SECURE_REDIRECT_EXEMPT = [r"^health/"]
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
# HSTS: browsers that have seen the site once use only HTTPS for a year, subdomains included.
# The header also allows preloading: a marketplace never goes back to plain http. The header
# alone puts nothing on the browsers' list (the domain's owner still submits it there);
# SECURE_HSTS_PRELOAD=0 leaves it out, and then `check --deploy` reminds (security.W021).
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000")) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The client's address for the sign-in throttle: behind one proxy (nginx) by default.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "1"))
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
