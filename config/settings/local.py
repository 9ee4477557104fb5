"""Development on one machine: `make run`. Debug on, a fixed development key."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = SECRET_KEY or "django-insecure-local-development-key-do-not-use-in-production"  # noqa: F405
