"""Development on one machine: `make run`. Debug on, a fixed development key."""

import os

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = SECRET_KEY or "django-insecure-local-development-key-do-not-use-in-production"  # noqa: F405

# `make run` shows parcels moving within minutes: the simulated carrier picks a parcel up a
# minute after it is handed in and has it signed for in ten (SIMULATED_TRACKING_*_HOURS in the
# environment still decide, as in base).
SIMULATED_TRACKING_HOURS = {
    status: hours if f"SIMULATED_TRACKING_{name}_HOURS" in os.environ else demo_hours
    for (status, hours), name, demo_hours in zip(
        SIMULATED_TRACKING_HOURS.items(),  # noqa: F405
        ["PICKUP", "TRANSIT", "OUT", "SIGNED"],
        [1 / 60, 3 / 60, 6 / 60, 10 / 60],
        strict=True,
    )
}
