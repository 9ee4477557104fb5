"""``./manage.py load_demo [--reset] [--base-url URL]``: a believable marketplace to click through.

The data is built in :mod:`demo.loader`. This command makes the load safe to repeat (it does
nothing when the demo data is already there), runs it in one transaction, and keeps the side
effects the services schedule on commit in-process and quiet: notification emails go to a
dummy backend, and Celery tasks run eagerly, so refunds are paid through the configured
(simulated) gateway without a broker. It ends with the logins, as URLs of the address the site
is served at: ``--base-url``, or else the ``ADDRESS`` that ``bin/serve`` hands to runserver.
"""

import logging
import os
import re
import time
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from demo import loader
from demo.catalogue import BUYERS, LOGINS, PASSWORD, SHOPS

DEFAULT_ADDRESS = "127.0.0.1:8000"  # bin/serve: runserver "${ADDRESS:-127.0.0.1:8000}"
BASE_URL = re.compile(r"https?://(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(?P<port>\d{1,5}))?/?")


def site_url(base_url: str | None, address: str) -> str:
    """Where the site is served, ending in ``/``: ``base_url`` if given, else
    ``http://{address}/`` (``address`` as runserver takes it: ``host:port`` or a bare port)."""
    if base_url is not None:
        return _checked(
            base_url,
            f"--base-url must look like http(s)://host[:port]/ (e.g. http://127.0.0.1:8000/), "
            f"not {base_url!r}.",
        )
    address = address or DEFAULT_ADDRESS
    if address.isdigit():  # runserver serves a bare port on 127.0.0.1
        address = f"127.0.0.1:{address}"
    return _checked(
        f"http://{address}/",
        f"ADDRESS must look like host:port (e.g. 127.0.0.1:8000), as runserver takes it, "
        f"not {address!r}; or pass --base-url.",
    )


def _checked(url: str, error: str) -> str:
    match = BASE_URL.fullmatch(url)
    if match is None or int(match["port"] or 0) > 65535:
        raise CommandError(error)
    return url if url.endswith("/") else f"{url}/"


@contextmanager
def side_effects_in_process():
    from config.celery import app

    eager = app.conf.task_always_eager
    # Eager tasks log "Task … succeeded" each, and Celery still builds (never connects) a
    # producer, which makes kombu warn about the file-system broker's missing hostname.
    quieted = {
        logging.getLogger("celery.app.trace"): logging.WARNING,
        logging.getLogger("kombu.connection"): logging.ERROR,
    }
    levels = {log: log.level for log in quieted}
    app.conf.task_always_eager = True
    for log, level in quieted.items():
        log.setLevel(level)
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            yield
    finally:
        app.conf.task_always_eager = eager
        for log, level in levels.items():
            log.setLevel(level)


class Command(BaseCommand):
    help = (
        "Load the demo marketplace: shops, buyers, orders and after-sales requests in every "
        "state. Does nothing if it is already loaded, unless --reset is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo data (demo shops, their orders and requests, demo users) "
            "and load it afresh.",
        )
        parser.add_argument(
            "--base-url",
            metavar="URL",
            help="The address the site is served at, for the login URLs printed at the end "
            "(http(s)://host[:port]/). Default: http://$ADDRESS/, the address bin/serve "
            f"serves (http://{DEFAULT_ADDRESS}/ when ADDRESS is not set).",
        )

    def handle(self, *args, reset: bool = False, base_url: str | None = None, **options):
        url = site_url(base_url, os.environ.get("ADDRESS", ""))
        if loader.is_loaded() and not reset:
            self.stdout.write(
                "The demo data is already loaded; nothing was changed. "
                "Run with --reset to delete it and load it afresh."
            )
            self._logins(url)
            return
        started, clock = timezone.now(), time.monotonic()
        with side_effects_in_process():
            try:
                with transaction.atomic():
                    if reset:
                        deleted = loader.delete()
                        self.stdout.write(f"Deleted the demo data ({sum(deleted.values())} rows).")
                    kept = loader.load(now=started)
                # Payouts ran as the transaction committed.
                loader.fix_payout_times(started)
            except loader.DemoError as exc:
                raise CommandError(str(exc)) from exc
        self._summary(time.monotonic() - clock)
        if kept:
            self.stdout.write(
                self.style.WARNING(
                    f"These users already existed and were left as they were (their passwords "
                    f"were not changed): {', '.join(kept)}."
                )
            )
        self._logins(url)

    def _summary(self, seconds: float) -> None:
        counts = loader.summary()
        write = self.stdout.write
        write(self.style.SUCCESS(f"Demo data loaded in {seconds:.1f} s."))
        write(
            f"  {counts['shops']} shops, {counts['buyers']} buyers, {counts['orders']} orders "
            f"({counts['items']} items), {counts['requests']} after-sales requests, "
            f"{counts['disputes']} disputes ({counts['rulings']} ruled), "
            f"{counts['messages']} messages, {counts['evidence']} evidence photos"
        )
        states = ", ".join(f"{state} {n}" for state, n in counts["by_state"].items())
        write(f"  requests by state: {states}")
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(counts["by_kind"].items()))
        write(f"  requests by kind: {kinds}")
        ledger = ", ".join(f"{status} {n}" for status, n in sorted(counts["ledger"].items()))
        write(f"  ledger entries: {ledger or 'none'}")

    def _logins(self, base: str) -> None:
        write = self.stdout.write
        write("")
        write(f"Open {base} and sign in (password for every login: {PASSWORD}):")
        logins = [(login, what, f"{base}{path}") for login, what, path in LOGINS]
        width = max(len(login) for login, _, _ in logins)
        url_width = max(len(url) for _, _, url in logins)
        for login, what, url in logins:
            write(f"  {login:<{width}}  {url:<{url_width}}  {what}")
        others = [spec.owner[0] for spec in SHOPS[1:]]
        write(
            f"  Other shops' sellers: {', '.join(others)}; more buyers: "
            f"{', '.join(b[0] for b in BUYERS[1:4])}, … (same password)."
        )
