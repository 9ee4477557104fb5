"""The production settings, plus the bench's reference page (``bench/urls.py``).

The benchmarks serve the app with these so that ``/bench/ping/`` goes through exactly the
middleware, session and authentication every real page does, without adding a view to the app.
"""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# No worker runs during a bench: the tasks the served app queues go to a queue of their own,
# which the scripts empty afterwards, never to a queue a real worker on the same Redis reads.
BENCH_QUEUE = "bench-dropped"
CELERY_TASK_DEFAULT_QUEUE = BENCH_QUEUE

# The API's list is measured flat out: a rate per key far above what wrk sends (the throttle
# still counts every request, as in production).
API_RATE = "10000000/minute"
