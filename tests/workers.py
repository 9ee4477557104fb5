"""Real Celery worker processes for the tests that need them (the end-to-end worker test and
the chaos tests): started against the test database and a Redis database of the test's own."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
CELERY = Path(sys.executable).with_name("celery")
WORKER_START_TIMEOUT = 60


def redis_url(db: int) -> str:
    """``REDIS_URL`` with a database of the test's own."""
    parts = urlsplit(os.environ["REDIS_URL"])
    return urlunsplit(parts._replace(path=f"/{db}"))


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

    def __init__(self, env: dict[str, str], *, name: str = "worker"):
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
                f"--hostname={name}-{Worker.started}-{os.getpid()}@%h",
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
