"""The Celery app. Its settings live in Django settings under the ``CELERY_`` prefix."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("aftersales")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The periodic deadline sweep sits above the services it calls, so not in ``tasks``.
app.autodiscover_tasks(related_name="sweep")
