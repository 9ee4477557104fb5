"""The moving parts of a chaos test: real worker processes to start and ``kill -9``, a beat that
sends the sweep every second, a private Redis server to restart, and readers for what the
workers left behind (the gateway's calls, the e-mails)."""

import contextlib
import email
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from email import policy
from pathlib import Path

import redis
from django.db import connection

from tests.workers import redis_url, wait_until

REDIS_DB = 11  # the chaos tests' own database on the shared Redis: flushed before and after


def shared_redis_url() -> str:
    return redis_url(REDIS_DB)


class Beat(threading.Thread):
    """What ``celery beat`` does, every second instead of every minute: send the sweep. A send
    the broker refuses (it is restarting) is skipped, as beat would."""

    def __init__(self, interval: float = 1.0):
        super().__init__(daemon=True)
        self.interval = interval
        self.halt = threading.Event()
        self.sent = 0

    def run(self) -> None:
        from aftersales.sweep import sweep_deadlines

        while not self.halt.is_set():
            with contextlib.suppress(Exception):
                sweep_deadlines.apply_async(retry_policy={"max_retries": 1})
                self.sent += 1
            self.halt.wait(self.interval)

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=15)


@contextlib.contextmanager
def sending_to(url: str) -> Iterator[None]:
    """This process sends its tasks (those of ``on_commit`` too) through the broker at ``url``
    instead of running them itself, as the web servers do."""
    from config.celery import app

    saved = {key: getattr(app.conf, key) for key in ("task_always_eager", "broker_url")}
    app.conf.task_always_eager = False
    app.conf.broker_url = url
    app._after_fork()  # forget connections to any other broker
    try:
        yield
    finally:
        for key, value in saved.items():
            setattr(app.conf, key, value)
        app._after_fork()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A private ``redis-server`` on a free port, without persistence: a restart loses whatever
    it held, as a crashed Redis without persistence does. (Restarting the machine's shared Redis
    would disturb everyone else using it.)"""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_timeout=1)

        def answers() -> bool:
            with contextlib.suppress(redis.RedisError):
                return client.ping()
            return False

        wait_until(answers, 10, "redis-server to start")
        client.close()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.kill()


def emails(folder: Path) -> list[email.message.EmailMessage]:
    """What Django's file-based e-mail backend wrote: one file per connection, messages
    separated by a line of dashes."""
    separator = b"\n" + b"-" * 79 + b"\n"
    found = []
    for path in sorted(folder.glob("*.log")):
        for chunk in path.read_bytes().split(separator):
            if chunk.strip():
                found.append(email.message_from_bytes(chunk, policy=policy.default))
    return found


@contextlib.contextmanager
def slow_event_inserts(seconds: float) -> Iterator[None]:
    """A slow database: every statement inserting request events waits ``seconds``, so a sweep
    of several batches takes long enough to be interrupted in the middle."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE OR REPLACE FUNCTION chaos_slow_events() RETURNS trigger LANGUAGE plpgsql"
            f" AS $$ BEGIN PERFORM pg_sleep({float(seconds)}); RETURN NULL; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER chaos_slow_events BEFORE INSERT ON aftersales_requestevent"
            " FOR EACH STATEMENT EXECUTE FUNCTION chaos_slow_events()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS chaos_slow_events ON aftersales_requestevent")
            cursor.execute("DROP FUNCTION IF EXISTS chaos_slow_events()")
