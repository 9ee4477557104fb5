"""Settings shared by every environment. Environment-specific modules import from here.

Everything that differs between machines is read from environment variables:
``DATABASE_URL`` (PostgreSQL; SQLite when unset), ``REDIS_URL`` (Celery broker, sessions and
cache; a file-system broker, database sessions and a memory cache when unset),
``MEDIA_S3_BUCKET`` (media in an object store; the local disk when unset), ``SECRET_KEY``,
``DEBUG``, ``ALLOWED_HOSTS``, ``EMAIL_URL``-style settings are deliberately not invented: email uses
Django's own ``EMAIL_*`` settings.
"""

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # SQLite will not create the folder for its file


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Daphne first: its runserver serves the ASGI application (pages and WebSockets) in
    # development, as `daphne config.asgi:application` does in production.
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_fsm",
    "axes",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "orders",
    "apikeys",
    "aftersales",
    "disputes",
    "reviews",
    "webhooks",
    "guidance",
    "portals",
    "channels",
    "support",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as axes asks: turns a refused sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.roles",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The worker and the web server write at the same moment: wait for the other writer, and
    # take the write lock when a transaction starts, so writers queue up instead of one
    # failing with "database is locked" half-way.
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in throttling (django-axes) for the portal's and the admin's login alike: a username
# is locked after USER_FAILURES failed attempts from anywhere, an address after
# ADDRESS_FAILURES for any usernames, until enough failures are MINUTES old
# (portals/accounts.py). Axes' backend goes first and refuses a locked-out attempt before any
# password is checked; it needs the request, which every login form passes to authenticate().
# Staff lift a lock by deleting the access attempt in the admin.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_THROTTLE = {
    "USER_FAILURES": int(os.environ.get("LOGIN_FAILURES_PER_USER", "5")),
    "ADDRESS_FAILURES": int(os.environ.get("LOGIN_FAILURES_PER_ADDRESS", "20")),
    "MINUTES": int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")),
}
AXES_HANDLER = "portals.accounts.LoginThrottle"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = LOGIN_THROTTLE["USER_FAILURES"]
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_THROTTLE["MINUTES"])
# Attempts while locked are refused without counting, so the time announced holds; a success
# forgives nothing (else signing in to one's own account would reset an address's count).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "portals.accounts.locked_out"
AXES_CLIENT_IP_CALLABLE = "portals.accounts.client_address"
# Only failures are kept (and only while they count); no log row per successful sign-in.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False  # no banner on every start; lockouts are still logged
# How many proxies in front of the app append to X-Forwarded-For (nginx: 1). 0: the
# connection's own address is the client's.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

# Content-Security-Policy on every page (django-csp): scripts, styles, images and video only
# from this site, no inline script or style (none is used: the pages' CSS and JS are static
# files, the trend chart is SVG drawn with attributes), no plugins, no framing, forms post only
# here. Evidence files keep their own stricter policy (portals/files.py). Images may also be
# blob: URLs: the page's own previews of the photos a person has chosen, before sending them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "blob:"],
        "media-src": [SELF],
        # The live conversation's WebSocket (ws:// or wss:// of this site: CSP 3's 'self').
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Language and time: stored in UTC, shown in Beijing time, Chinese by default.
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"

# Uploaded evidence lives outside any public URL: it is served only through views that
# check who may see the request it belongs to (SPEC §6).
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# No public URL: an absolute URL on a host that cannot resolve, so nothing (not even Django's
# test live server) serves MEDIA_ROOT directly.
MEDIA_URL = "https://private-media.invalid/"


def s3_media_storage(*, bucket: str, endpoint_url: str = "", region: str = "") -> dict:
    """Media in a private bucket of any S3-compatible object store (django-storages).

    Every machine reads and writes the same files. Nothing is public: objects get no ACL of
    their own (the bucket's, private, applies; stores that refuse ACLs accept that too), and
    the app streams each file through the view that checked who may see it
    (``portals/files.py``), so no browser ever needs to reach the bucket. Should anything
    ask for a URL, it is signed and lives 60 seconds. Credentials come from the environment
    (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``) or the machine's role, never from here.
    """
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            # Stores other than AWS (MinIO, Ceph, moto...) are addressed by path, which needs
            # no wildcard DNS for bucket host names.
            "addressing_style": "path" if endpoint_url else None,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 60,
            "signature_version": "s3v4",  # the only one every AWS region accepts
            # Names are fresh UUIDs: no existence check (one request fewer per upload).
            "file_overwrite": True,
            # A file read for serving is spooled to disk past 2 MiB (videos), not held in memory.
            "max_memory_size": 2 * 1024 * 1024,
        },
    }


MEDIA_S3_BUCKET = os.environ.get("MEDIA_S3_BUCKET", "")
STORAGES = {
    "default": (
        s3_media_storage(
            bucket=MEDIA_S3_BUCKET,
            endpoint_url=os.environ.get("MEDIA_S3_ENDPOINT_URL", ""),
            region=os.environ.get("MEDIA_S3_REGION", ""),
        )
        if MEDIA_S3_BUCKET
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Uploads: Django refuses request bodies above this size before any view runs; the evidence
# rules below are checked per file.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
EVIDENCE = {
    "MAX_PHOTOS": 9,
    "MAX_VIDEOS": 1,
    "MAX_PHOTO_BYTES": 10 * 1024 * 1024,
    "MAX_VIDEO_BYTES": 50 * 1024 * 1024,
    # Pillow's decompression-bomb guard: images with more pixels than this are refused.
    "MAX_PHOTO_PIXELS": 40_000_000,
    "PHOTO_MAX_EDGE": 2048,
    "THUMBNAIL_EDGE": 320,
}

# After-sales deadlines (SPEC §4). A shop's policy may lengthen the buyer-facing windows
# (SPEC §5), never shorten them.
AFTERSALES_DEADLINES = {
    "seller_response_not_shipped": timedelta(hours=24),
    "seller_response_shipped": timedelta(hours=36),
    "seller_response": timedelta(days=5),
    # A repair after the warranty: the shop quotes its fee, or the request closes unowed.
    "seller_quote_repair_fee": timedelta(days=5),
    "buyer_answer_proposal": timedelta(days=5),
    "buyer_after_rejection": timedelta(days=5),
    "buyer_ship_return": timedelta(days=7),
    "seller_confirm_receipt": timedelta(days=10),
    # Once the carrier says the return was signed for, the seller has this long to confirm.
    "seller_confirm_after_sign_for": timedelta(days=2),
    # A fast-refunded parcel not signed for this long after pickup goes to the platform.
    "fast_refund_parcel_lost": timedelta(days=10),
    "seller_inspection": timedelta(days=3),
    "seller_repair": timedelta(days=15),
    "buyer_confirm_receipt": timedelta(days=10),
    "ruling_target": timedelta(days=5),
    "seller_dispute_answer": timedelta(days=3),
    "evidence_request": timedelta(days=3),
    "review_window": timedelta(days=15),
    "review_edit_window": timedelta(hours=24),
    "reminder_before": timedelta(hours=24),
}
# The deadline sweep writes this many requests per transaction (a batch); a backlog larger than
# a chunk is split into tasks of that many requests, shared by every worker process.
AFTERSALES_SWEEP_BATCH_SIZE = 500
AFTERSALES_SWEEP_CHUNK_SIZE = int(os.environ.get("AFTERSALES_SWEEP_CHUNK_SIZE", "5000"))

# Payouts (SPEC §5; README "Running workers for real"). An attempt holds its ledger row for
# PAYOUT_LEASE: long enough for one gateway call (the payout task's hard limit, 60 s, is well
# inside it), short enough that a row whose worker died is sent again by the per-minute pass
# within PAYOUT_LEASE + 1 minute. A row whose payout task never ran (the broker was down at
# commit) is sent again PAYOUT_NEVER_TRIED_AFTER its creation.
PAYOUT_LEASE = timedelta(minutes=2)
PAYOUT_NEVER_TRIED_AFTER = timedelta(minutes=2)
# A notification's e-mail still owed this long after the notification was written (its task was
# lost) is sent by the per-minute pass.
NOTIFICATION_EMAIL_RESEND_AFTER = timedelta(minutes=2)

# Webhooks (README "Webhooks"): one attempt waits TIMEOUT seconds for an answer; after a failed
# attempt the next waits BACKOFF[attempts - 1] (seven attempts over about 21 hours), then the
# delivery is failed. An attempt holds its row for LEASE; the per-minute pass sends again what
# is due and what nobody holds. An endpoint is turned off (and its owners told) after
# DISABLE_AFTER_FAILED_DELIVERIES deliveries in a row ran out of attempts, or DISABLE_AFTER
# of failing without a success. Plain http:// is accepted only for this machine, and only with
# DEBUG or ALLOW_HTTP_LOOPBACK (the tests' receivers).
WEBHOOKS = {
    "TIMEOUT": 10,
    "BACKOFF": [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=6),
        timedelta(hours=12),
    ],
    "LEASE": timedelta(minutes=2),
    "DISABLE_AFTER_FAILED_DELIVERIES": 5,
    "DISABLE_AFTER": timedelta(days=1),
    "ALLOW_HTTP_LOOPBACK": False,
}

# Where the site is served, for the links in e-mails (no trailing slash).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# The most a buyer can claim back for return shipping the seller pays for (SPEC §5).
RETURN_SHIPPING_REIMBURSEMENT_LIMIT = Decimal("30.00")
# 退货运费险 (README "Return-shipping insurance"): what the insurer pays the buyer for an insured
# return once the parcel is signed for, by the buyer's region (``Order.region``); "" is an
# order without a region.
RETURN_INSURANCE_CLAIMS = {
    "east": Decimal("8.00"),
    "north": Decimal("10.00"),
    "south": Decimal("10.00"),
    "central": Decimal("10.00"),
    "northeast": Decimal("12.00"),
    "southwest": Decimal("12.00"),
    "northwest": Decimal("15.00"),
    "remote": Decimal("25.00"),
    "": Decimal("10.00"),
}
# 极速退款 (README "Fast refunds"): a buyer at this trust level or above is refunded a
# return-and-refund up to FAST_REFUND_LIMIT as soon as the carrier picks the parcel up.
FAST_REFUND_MIN_TRUST = 2
FAST_REFUND_LIMIT = Decimal("2000.00")
# Parcel tracking (README "Parcel tracking"): the provider, and how the simulated one moves a
# parcel along (hours after it was handed in). TRACKING_PUSH_SECRET signs what a real tracking
# service pushes to /tracking/push/.
TRACKING_PROVIDER = os.environ.get("TRACKING_PROVIDER", "aftersales.tracking.SimulatedTracking")
SIMULATED_TRACKING_HOURS = {
    "picked_up": float(os.environ.get("SIMULATED_TRACKING_PICKUP_HOURS", "1")),
    "in_transit": float(os.environ.get("SIMULATED_TRACKING_TRANSIT_HOURS", "6")),
    "out_for_delivery": float(os.environ.get("SIMULATED_TRACKING_OUT_HOURS", "20")),
    "signed": float(os.environ.get("SIMULATED_TRACKING_SIGNED_HOURS", "24")),
}
TRACKING_PUSH_SECRET = os.environ.get("TRACKING_PUSH_SECRET", "")
# The per-minute pull asks about parcels not signed for that were handed in this many days ago
# at most; a parcel older than that is no longer followed.
TRACKING_WATCH_DAYS = int(os.environ.get("TRACKING_WATCH_DAYS", "30"))
AFTERSALES_WINDOWS = {
    "no_reason_return_days": 7,
    "seller_fault_return_days": 15,
    "warranty_days": 365,
}

# Celery: Redis when REDIS_URL is set, otherwise a file-system broker that needs no server,
# so `make run` works anywhere.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_DATA_DIR = VAR_DIR / "celery"
# Redis hands a task nobody acknowledged to another worker after this many seconds (a worker
# that died holding it). Every task must finish, or wait for its ETA, well within it, or it would
# run twice while still alive: the longest wait is a payout retry's backoff (4 min) behind a task
# at its hard limit (3 min) plus its own run (1 min), 8 minutes. Payouts do not wait for it:
# their lease brings them back within about 3 minutes; the sweep is every minute anyway.
REDIS_VISIBILITY_TIMEOUT = 600
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": REDIS_VISIBILITY_TIMEOUT}
else:
    CELERY_BROKER_URL = "filesystem://localhost/"
    for folder in ("queue", "processed", "control"):
        (CELERY_DATA_DIR / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "control_folder": str(CELERY_DATA_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
# Lose nothing: a task is acknowledged only when done, one at a time per worker process, and
# it is killed well before Redis would hand it to another worker (REDIS_VISIBILITY_TIMEOUT).
# A sweep of 5,000 rows (beyond that it fans out) takes about 30 s: 3 minutes is ample.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 150
CELERY_TASK_TIME_LIMIT = 180
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE_FILENAME = str(CELERY_DATA_DIR / "beat-schedule")
CELERY_BEAT_SCHEDULE = {
    "sweep-deadlines": {"task": "aftersales.sweep.sweep_deadlines", "schedule": 60.0},
    "refresh-shop-scores": {"task": "reviews.tasks.refresh_all_shop_scores", "schedule": 600.0},
    "dispute-deadlines": {"task": "disputes.tasks.sweep_dispute_deadlines", "schedule": 60.0},
    "webhook-deliveries": {"task": "webhooks.tasks.send_due_deliveries", "schedule": 60.0},
    # Buyers' trust levels (fast refunds, shop rules): a pass over stale standings; the pass
    # refreshes what is older than a day, so running it hourly spreads the work.
    "refresh-trust-levels": {"task": "aftersales.tasks.refresh_trust_levels", "schedule": 3600.0},
    "parcel-traces": {"task": "aftersales.parcel_watch.pull_parcel_traces", "schedule": 60.0},
}

# The live conversation (portals/live.py): with Redis, every web process on every machine
# shares one channel layer, so a message written on one reaches the pages open on the others
# (a database of its own: REDIS_CHANNELS_URL, else REDIS_URL's). Without Redis, the memory of
# the one process, so `make run` needs no server (the worker's notifications then reach the
# pages on their next load, not live).
REDIS_CHANNELS_URL = os.environ.get("REDIS_CHANNELS_URL", REDIS_URL)
if REDIS_CHANNELS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # A crowd of pages opening at once needs many Redis commands in flight (the
                # joins, the sends): past redis-py's default pool of 100, they would fail.
                "hosts": [
                    {
                        "address": REDIS_CHANNELS_URL,
                        "max_connections": int(
                            os.environ.get("REDIS_CHANNELS_MAX_CONNECTIONS", "1000")
                        ),
                        # The layer's receive loop blocks in BZPOPMIN for 5 s; redis-py 8's
                        # default read timeout is also 5 s, and a busy process lost the race
                        # (a TimeoutError that closed a page's socket). Reads wait longer.
                        "socket_timeout": 15,
                    }
                ],
                "prefix": "aftersales-live",
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Sessions and the cache. With Redis every web process on every machine shares them, so any
# machine can serve any request. Sessions are "cached_db": read from Redis (no query per
# request), written to the database too (login, logout: rare), so a Redis restart or
# eviction logs nobody out. Without Redis, a single machine: database sessions and each
# process's own memory cache, so `make run` needs no server. REDIS_CACHE_URL can put the
# cache in another Redis database than the broker (a cache.clear() empties its whole
# database, queued tasks included).
REDIS_CACHE_URL = os.environ.get("REDIS_CACHE_URL", REDIS_URL)


def redis_cache(url: str, *, key_prefix: str = "aftersales") -> dict:
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": key_prefix,
        # A Redis that stops answering fails a request in seconds, not minutes.
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }


if REDIS_CACHE_URL:
    CACHES = {"default": redis_cache(REDIS_CACHE_URL)}
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
PAYMENT_GATEWAY = os.environ.get("PAYMENT_GATEWAY", "aftersales.payments.SimulatedGateway")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "售后服务 <aftersales@example.com>")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Operations (README "Operations"): /health/ (django-health-check's page and its `health_check`
# command) and /metrics for Prometheus, which only a bearer of METRICS_TOKEN may scrape (from
# this machine only, while it is unset).
INSTALLED_APPS += ["health_check"]
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# The seller API (/api/v1/, README "Integrate your ERP"): bearer API keys only (no session, so
# no CSRF), JSON in and out, errors in one shape (portals/api/errors.py), a request rate per
# key (API_RATE: DRF's "<n>/<second|minute|hour|day>", counted in the cache).
API_RATE = os.environ.get("API_RATE", "600/minute")
# The list shows a change once it is this old, longer than any transaction that changes a
# request, so a sync's cursor never passes a change still being committed (portals/api/sync.py).
API_SYNC_SETTLE = timedelta(seconds=int(os.environ.get("API_SYNC_SETTLE_SECONDS", "10")))
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["portals.api.access.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["portals.api.access.ShopKey"],
    "DEFAULT_THROTTLE_CLASSES": ["portals.api.access.PerKeyThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portals.api.errors.handle",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "After-sales seller API",
    "VERSION": "1.0.0",
    "DESCRIPTION": (
        "The after-sales desk of one shop, for its ERP or customer-service tool.\n\n"
        "**Keys.** The shop's owner creates a key at `/seller/api-keys/` (shown once); send it "
        "as `Authorization: Bearer ak_…`. Scopes: `read`, `act`. The key acts as the shop, and "
        "the request's event log names it (for example \u201cWarehouse ERP (API)\u201d). Another "
        "shop's request is a 404.\n\n"
        "**Sync.** `GET /api/v1/requests/` lists changes oldest first with a cursor; keep the "
        "last `next_cursor` and ask with it again later.\n\n"
        "**Actions.** Every POST takes an `Idempotency-Key`; a repeat returns the first answer. "
        "A stale action answers 409 with the request's current state.\n\n"
        '**Errors** have one shape: `{"error": {"code", "message", "fields", '
        '"current"?}}`, the message in the `Accept-Language` language (zh-hans, en).\n\n'
        "**Rate.** Each key has its own rate (`API_RATE`, 600/minute by default); past it, 429 "
        "with `Retry-After` (seconds)."
    ),
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RequestReasonEnum": "aftersales.models.vocabulary.Reason",
        "RefusalReasonEnum": "aftersales.models.vocabulary.RejectionReason",
        "DisputeReasonEnum": "aftersales.models.dispute.Dispute.Reason",
        "RoleEnum": "aftersales.models.vocabulary.Role",
    },
}
