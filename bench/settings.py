"""The production settings, plus the bench's reference page (``bench/urls.py``).

The benchmarks serve the app with these so that ``/bench/ping/`` goes through exactly the
middleware, session and authentication every real page does, without adding a view to the app.
"""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
