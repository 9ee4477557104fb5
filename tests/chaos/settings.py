"""Settings of the worker processes the chaos tests start and kill (``tests/chaos/``).

The test settings, with what a crash test must see from outside the process: a payment
gateway that records every call in a file (:class:`tests.chaos.gateway.FileGateway`) and
e-mails written to files. Every timeout that recovery waits for is seconds instead of minutes,
so a test sees in seconds what production does within minutes: the payout lease and the passes
of the sweep (3 s, not 2 min), and Redis's visibility timeout (5 s, not 10 min), which Redis
checks every second.
"""

import os
from datetime import timedelta

from config.settings.test import *  # noqa: F403

PAYMENT_GATEWAY = "tests.chaos.gateway.FileGateway"
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["CHAOS_MAIL_DIR"]

PAYOUT_LEASE = timedelta(seconds=3)
PAYOUT_NEVER_TRIED_AFTER = timedelta(seconds=3)
NOTIFICATION_EMAIL_RESEND_AFTER = timedelta(seconds=3)
AFTERSALES_SWEEP_BATCH_SIZE = int(os.environ.get("CHAOS_SWEEP_BATCH_SIZE", "500"))

REDIS_VISIBILITY_TIMEOUT = 5
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": REDIS_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
    # A Redis that went away fails a command in seconds instead of hanging the worker.
    "socket_timeout": 5,
    "socket_connect_timeout": 2,
}
