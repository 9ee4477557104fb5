"""The moving parts of a chaos test: real worker processes to start and ``kill -9``, a beat that
sends the sweep every second, a private Redis server to restart, and readers for what the
workers left behind (the gateway's calls, the e-mails)."""

import contextlib
import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from email import policy
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import redis
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")
REDIS_DB = 11  # the chaos tests' own database on the shared Redis: flushed before and after
WORKER_START_TIMEOUT = 60


def shared_redis_url() -> str:
    parts = urlsplit(os.environ["REDIS_URL"])
    return urlunsplit(parts._replace(path=f"/{REDIS_DB}"))


def worker_database_url() -> str:
    """The database pytest-django created, as a worker process reaches it."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    at = "@" if credentials else ""
    return f"postgres://{credentials}{at}{host}{port}/{db['NAME']}"


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, *, output=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    detail = f"\n{output()}" if output else ""
    pytest.fail(f"timed out after {timeout} s waiting for {what}{detail}")


class Worker:
    """A ``celery worker`` process (one process, one task at a time), its output collected."""

    started = 0

    def __init__(self, env: dict[str, str]):
        Worker.started += 1
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--hostname=chaos-{Worker.started}-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        wait_until(self.ready, WORKER_START_TIMEOUT, "the worker to start", output=self.tail)

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def ready(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"the worker exited ({self.process.returncode}):\n{self.tail()}")
        return any(" ready." in line for line in self.lines)

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.lines[-lines:])

    def kill(self) -> None:
        """``kill -9``: no warm shutdown, no acknowledgement, no clean-up."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.reader.join(timeout=5)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # warm shutdown: a task in hand is finished and acked
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.reader.join(timeout=5)


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
