"""Development on one machine: `make run`. Debug on, a fixed development key."""

import os

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = SECRET_KEY or "django-insecure-local-development-key-do-not-use-in-production"  # noqa: F405

# `make run` shows parcels moving within minutes: the simulated carrier picks a parcel up a
# minute after it is handed in and has it in transit after five; delivery keeps base's 20 and
# 24 hours, so the demo's parcels, handed in hours or days before it was loaded, are met at
# every stage, and the seller's receipt deadlines stay as the demo's stories have them
# (SIMULATED_TRACKING_*_HOURS in the environment still decide, as in base).
SIMULATED_TRACKING_HOURS = {
    **SIMULATED_TRACKING_HOURS,  # noqa: F405
    **{
        status: minutes / 60
        for status, name, minutes in [("picked_up", "PICKUP", 1), ("in_transit", "TRANSIT", 5)]
        if f"SIMULATED_TRACKING_{name}_HOURS" not in os.environ
    },
}
