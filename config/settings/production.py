"""Production: refuses to start without a secret key or with debug on."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEBUG, SECRET_KEY, env_bool

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
