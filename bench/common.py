"""What the bench scripts share: the bench database, the app served by gunicorn as in
production, a minimal browser (cookies, CSRF, redirects by hand), and ``wrk``.

Every figure a bench script prints comes with a reference measured in the same run (the
trivial page ``/bench/ping/``, or ``pgbench``), because the machine is shared and small.
"""

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/5"
PASSWORD = "demo-pass-2026"  # the demo logins' password (demo/catalogue.py)


# --- the bench database ----------------------------------------------------------------------


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def ensure_database(url: str) -> str:
    """Create the PostgreSQL database of ``url`` if missing; refuse a name without "bench"."""
    import psycopg
    from psycopg import sql

    name = database_name(url)
    if "bench" not in name:
        sys.exit(f"refusing to use database {name!r}: its name must contain 'bench'")
    with psycopg.connect(_server_url(url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")
    return name


def drop_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = database_name(url)
    assert "bench" in name, name
    with psycopg.connect(_server_url(url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def _server_url(url: str) -> str:
    """The same server, its ``postgres`` maintenance database."""
    parts = urlsplit(url)
    return parts._replace(scheme="postgresql", path="/postgres").geturl()


def django_environment(database_url: str, redis_url: str = DEFAULT_REDIS_URL) -> dict[str, str]:
    """Production settings (plus the bench's ``/bench/ping/``) on the bench database."""
    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "HTTPS": "0",  # plain http on the loopback: no redirect, no HSTS, plain cookies
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }


def setup_django(database_url: str, redis_url: str = DEFAULT_REDIS_URL) -> None:
    """Django on the bench database, its schema brought up to the code's (a database built
    before a new migration would otherwise fail half-way through a run)."""
    os.environ.update(django_environment(database_url, redis_url))
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def purge_celery_queue(redis_url: str) -> int:
    """Drop the tasks the served app queued (nobody runs a worker during a bench): the queue
    ``bench.settings`` sends them to, no other."""
    import redis
    from django.conf import settings

    queue = settings.BENCH_QUEUE
    client = redis.Redis.from_url(redis_url)
    queued = client.llen(queue)
    client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    return queued


def machine_load() -> str:
    """``uptime`` (UTC clock, load averages), to print next to every figure."""
    env = {**os.environ, "TZ": "UTC"}  # Django sets TZ to Beijing time in this process
    return subprocess.run(["uptime"], capture_output=True, text=True, env=env).stdout.strip()


# --- the app, served as in production --------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with the production settings, ``workers`` sync workers, on a free local port.

    Static files are collected first: the production storage needs its manifest.
    """

    def __init__(self, database_url: str, *, redis_url: str = DEFAULT_REDIS_URL, workers=3):
        self.env = {**os.environ, **django_environment(database_url, redis_url)}
        self.workers = workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = Path(tempfile.mkstemp(prefix="bench-gunicorn-", suffix=".log")[1])
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        subprocess.run(
            [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=self.env,
            check=True,
        )
        gunicorn = str(ROOT / ".venv" / "bin" / "gunicorn")
        command = [gunicorn, "config.wsgi", "--workers", str(self.workers)]
        command += ["--bind", f"127.0.0.1:{self.port}", "--timeout", "120"]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if Browser(self.base).get("/login/").status == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        self.__exit__(TimeoutError, None, None)  # keeps the log
        sys.exit(f"gunicorn did not answer; see {self.log}")

    def wait_idle(self, timeout: float = 600) -> float:
        """Wait until no worker still serves a request a client gave up on (wrk stops with
        requests in flight; a slow page would eat into the next measurement): the workers use
        no CPU and the database runs none of their queries, for half a second. Seconds waited.
        """
        import psycopg

        started = time.monotonic()
        with psycopg.connect(self.env["DATABASE_URL"], autocommit=True) as conn:
            while time.monotonic() - started < timeout:
                before = self._worker_ticks()
                time.sleep(0.5)
                busy = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state <> 'idle' AND pid <> pg_backend_pid()"
                ).fetchone()[0]
                if not busy and self._worker_ticks() - before <= 2:
                    break
        return time.monotonic() - started

    def _worker_ticks(self) -> int:
        """CPU clock ticks used so far by the gunicorn master's children (the workers)."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        ticks = 0
        for child in children:
            try:
                fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:  # a worker just replaced
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            self.process.terminate()  # only the process this script started
            self.process.wait(timeout=30)
            self.process = None
        if not any(exc):
            self.log.unlink(missing_ok=True)  # kept when something went wrong


# --- a minimal browser -----------------------------------------------------------------------

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Response:
    status: int
    body: str
    location: str
    seconds: float


class Browser:
    """One person's browser: keeps cookies, takes the CSRF token from the last page it loaded,
    and follows redirects only when asked (so each step is timed on its own)."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.cookies: dict[str, str] = {}
        self.token = ""
        self.headers: dict[str, str] = {}  # sent with every request (an API key)

    def request(self, method: str, path: str, form: dict | None = None) -> Response:
        headers = {"Accept-Language": "zh-hans", "Cookie": self.cookie_header(), **self.headers}
        body = None
        if form is not None:
            body = urlencode({**form, "csrfmiddlewaretoken": self.token})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        started = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read().decode("utf-8", "replace")
        finally:
            conn.close()
        seconds = time.perf_counter() - started
        for cookie in answer.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            if value.strip('"'):
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        if match := CSRF_INPUT.search(data):
            self.token = match.group(1)
        return Response(answer.status, data, answer.headers.get("Location", ""), seconds)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, form: dict) -> Response:
        return self.request("POST", path, form)

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def login(self, username: str, password: str = PASSWORD, *, admin: bool = False) -> None:
        """Sign in through the real form (``/admin/login/`` for staff), CSRF and all."""
        path = "/admin/login/?next=/admin/" if admin else "/login/"
        self.get(path)
        answer = self.post(path, {"username": username, "password": password, "next": "/admin/"})
        if answer.status != 302 or "sessionid" not in self.cookies:
            sys.exit(f"could not sign in as {username!r} at {path} (HTTP {answer.status})")


# --- wrk ---------------------------------------------------------------------------------------

# wrk's --latency table stops at 50/75/90/99 %; its Lua hook has every percentile.
WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "socket_errors": %d, "bad_status": %d, ' ..
    '"p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "mean_ms": %.2f}\\n',
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.timeout,
    e.status, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3, latency.mean / 1e3))
end
"""


def wrk(
    url: str,
    *,
    cookie: str = "",
    seconds: float,
    clients: int = 10,
    threads: int = 2,
    headers: tuple[str, ...] = (),
) -> dict:
    """Load ``url`` with ``clients`` concurrent connections for ``seconds``; requests/s and
    latency percentiles (ms) of the requests that completed. ``headers``: more of them, e.g.
    an API key's ``Authorization``."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install -y wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_REPORT)
    command = ["wrk", f"-t{threads}", f"-c{clients}", f"-d{round(seconds)}s", "--timeout", "60s"]
    command += ["--latency", "-s", script.name]
    for header in ([f"Cookie: {cookie}"] if cookie else []) + list(headers):
        command += ["-H", header]
    command += ["-H", "Accept-Language: zh-hans", url]
    finished = subprocess.run(command, capture_output=True, text=True)
    os.unlink(script.name)
    if finished.returncode:
        sys.exit(f"wrk failed: {finished.stderr or finished.stdout}")
    output = finished.stdout
    report = json.loads(next(line for line in output.splitlines() if line.startswith("{")))
    report["rps"] = report["requests"] / report["seconds"]
    return report


# --- pgbench -----------------------------------------------------------------------------------


def pgbench_tpcb(url: str, *, seconds: int = 20, scale: int = 10, clients: int = 8) -> float:
    """TPS of ``pgbench``'s built-in TPC-B-like script on the server of ``url``: the database's
    own pace on this machine, now. Runs in a database of its own (``url``'s name with
    ``_pgbench``), initialised at ``scale`` and dropped afterwards."""
    if shutil.which("pgbench") is None:
        sys.exit("pgbench is missing: apt-get install -y postgresql-client")
    parts = urlsplit(url)
    own = parts._replace(path=f"/{database_name(url)}_pgbench").geturl()
    ensure_database(own)
    env = {**os.environ, "PGPASSWORD": parts.password or ""}
    connection = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    connection += ["-U", parts.username or "postgres", database_name(own)]
    try:
        subprocess.run(
            ["pgbench", "-i", "-q", "-s", str(scale), *connection],
            env=env,
            check=True,
            capture_output=True,
        )
        command = ["pgbench", "-c", str(clients), "-j", "2", "-T", str(seconds), *connection]
        output = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    finally:
        drop_database(own)
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", output.stdout)
    return float(tps.group(1))
