"""How many live-conversation WebSockets one ASGI process (Daphne) holds with messages flowing.

    .venv/bin/python bench/ws_connections.py --database-url postgres://…/aftersales_bench_ws \\
        [--redis-url redis://127.0.0.1:6379/5] [--rounds 100,250,500,1000,2000] \\
        [--requests 50] [--messages 20] [--timeout 10]

One Daphne process serves ``config.asgi`` with the production settings (``bench.settings``) on
a free local port; the channel layer is Redis (``--redis-url``), as with several processes, or
the process's memory (``--memory-layer``). The
bench database gets a shop, its member and ``--requests`` requests of as many buyers, each with
a signed-in session. Then, in rounds of growing N, connections are opened until N are held at
once (spread over the requests, alternately the buyer's and the shop's page), every one
signed in and joined the way a browser's is (origin, session cookie, the consumer's role check,
unread count and read receipts). While all are held, ``--messages`` messages are sent over the
sockets (through the form's checks and ``post_message``, written to the database), one after
another from the buyers' sockets, and the time until each other socket on that request
receives it is the delivery latency (p50, p95, max). The server's resident memory is read from
``/proc`` after each round. A round fails if any connection is refused or drops, or a message
is not delivered to every socket of its request within ``--timeout``; the script stops at the
first failed round and prints the largest N held without errors.

The client is a minimal WebSocket client over asyncio streams (text frames only), in this
process: at high N the client's own CPU is part of what is measured, on the same machine.
"""

import argparse
import asyncio
import base64
import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import (  # noqa: E402
    DEFAULT_REDIS_URL,
    ROOT,
    django_environment,
    drop_database,
    ensure_database,
    free_port,
    machine_load,
    purge_celery_queue,
    setup_django,
)

PYTHON = sys.executable


# --- a minimal WebSocket client -----------------------------------------------------------------


class Socket:
    """RFC 6455, client side, text frames, no extensions: enough to talk to the consumer."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int, path: str, cookie: str) -> "Socket":
        reader, writer = await asyncio.open_connection(host, port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                f"Sec-WebSocket-Version: 13\r\nOrigin: http://{host}:{port}\r\n"
                f"Cookie: {cookie}\r\n\r\n"
            ).encode()
        )
        status = await reader.readline()
        if b" 101 " not in status:
            raise ConnectionError(status.decode().strip())
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        return cls(reader, writer)

    async def send(self, data: dict) -> None:
        payload = json.dumps(data).encode()
        mask = os.urandom(4)
        head = bytes([0x81])
        n = len(payload)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.writer.write(head + mask + masked)
        await self.writer.drain()

    async def receive(self) -> dict:
        while True:
            first, second = await self.reader.readexactly(2)
            n = second & 0x7F
            if n == 126:
                n = struct.unpack("!H", await self.reader.readexactly(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", await self.reader.readexactly(8))[0]
            payload = await self.reader.readexactly(n)
            opcode = first & 0x0F
            if opcode == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                raise ConnectionError(f"closed by the server ({code})")
            if opcode == 0x1:
                return json.loads(payload)

    def close(self) -> None:
        self.writer.close()


# --- the bench -------------------------------------------------------------------------------


def make_people(n_requests: int) -> tuple[list[int], dict[int, str], str]:
    """A shop with one member, ``n_requests`` requests of as many buyers; each person signed
    in. (request ids, buyer cookie per request, seller cookie)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.cached_db import SessionStore

    def cookie(user) -> str:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"

    # The test suite's factories make consistent orders (delivered items every kind is open to).
    from tests.aftersales.factories import file_request
    from tests.orders.factories import OrderItemFactory, ShopFactory, ShopMemberFactory

    shop = ShopFactory()
    seller = ShopMemberFactory(shop=shop).user
    ids, buyers = [], {}
    for _ in range(n_requests):
        item = OrderItemFactory(order__shop=shop)
        request = file_request(item)
        ids.append(request.pk)
        buyers[request.pk] = cookie(item.order.buyer)
    return ids, buyers, cookie(seller)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def one_round(port, n, ids, buyers, seller_cookie, messages, timeout) -> dict:
    """Open ``n`` sockets, send ``messages``, measure; close them all."""
    sockets: list[tuple[int, bool, Socket]] = []  # (request id, is buyer, socket)
    errors = 0
    started = time.monotonic()

    async def connect(i: int):
        request_id = ids[i % len(ids)]
        is_buyer = (i // len(ids)) % 2 == 0
        cookie = buyers[request_id] if is_buyer else seller_cookie
        sock = await Socket.open("127.0.0.1", port, f"/ws/requests/{request_id}/?lang=en", cookie)
        first = await asyncio.wait_for(sock.receive(), timeout)
        if first.get("type") != "unread":
            raise ConnectionError(f"unexpected first frame {first}")
        return request_id, is_buyer, sock

    batch = 50  # opened at once, as a crowd of pages loading
    for start in range(0, n, batch):
        results = await asyncio.gather(
            *(connect(i) for i in range(start, min(n, start + batch))), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                errors += 1
            else:
                sockets.append(result)
    opened_in = time.monotonic() - started

    # drain the read receipts and such each join causes, then listen
    inbox: dict[Socket, asyncio.Queue] = {}
    readers = []

    async def listen(sock: Socket, queue: asyncio.Queue):
        try:
            while True:
                frame = await sock.receive()
                if frame.get("type") == "message":
                    queue.put_nowait((time.monotonic(), frame["id"]))
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            queue.put_nowait((time.monotonic(), None))

    for _rid, _b, sock in sockets:
        inbox[sock] = asyncio.Queue()
        readers.append(asyncio.create_task(listen(sock, inbox[sock])))

    latencies: list[float] = []
    undelivered = 0
    senders = [s for s in sockets if s[1]]
    for m in range(messages if senders else 0):
        request_id, _is_buyer, sender = senders[m % len(senders)]
        audience = [s for rid, _b, s in sockets if rid == request_id]
        for sock in audience:  # forget anything earlier
            while not inbox[sock].empty():
                inbox[sock].get_nowait()
        sent_at = time.monotonic()
        try:
            await sender.send({"type": "message", "body": f"bench message {m}"})
        except OSError:  # the server dropped the sender: this message reaches nobody
            undelivered += len(audience)
            continue

        async def delivered(sock):
            while True:
                at, message_id = await inbox[sock].get()
                if message_id is None:
                    raise ConnectionError("dropped")
                return at

        for outcome in await asyncio.gather(
            *(asyncio.wait_for(delivered(s), timeout) for s in audience), return_exceptions=True
        ):
            if isinstance(outcome, BaseException):
                undelivered += 1
            else:
                latencies.append((outcome - sent_at) * 1000)

    dropped = sum(1 for t in readers if t.done())
    for task in readers:
        task.cancel()
    for _rid, _b, sock in sockets:
        sock.close()
    return {
        "n": n,
        "held": len(sockets),
        "refused": errors,
        "dropped": dropped,
        "undelivered": undelivered,
        "open_s": opened_in,
        "deliveries": len(latencies),
        "p50_ms": statistics.median(latencies) if latencies else None,
        "p95_ms": statistics.quantiles(latencies, n=20)[18] if len(latencies) >= 20 else None,
        "max_ms": max(latencies) if latencies else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--rounds", default="100,250,500,1000,2000")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument(
        "--memory-layer",
        action="store_true",
        help="the in-memory channel layer (one process, as `make run`) instead of Redis",
    )
    args = parser.parse_args()

    drop_database(args.database_url)  # afresh each run: the factories' names start again
    ensure_database(args.database_url)
    setup_django(args.database_url, args.redis_url)
    ids, buyers, seller_cookie = make_people(args.requests)

    env = {**os.environ, **django_environment(args.database_url, args.redis_url)}
    if args.memory_layer:
        env["REDIS_CHANNELS_URL"] = ""  # sessions and cache stay on Redis
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="bench-daphne-", suffix=".log")[1])
    with log.open("w") as out:
        server = subprocess.Popen(
            [PYTHON, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:  # until Daphne listens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"Daphne did not start; see {log}")
                time.sleep(0.2)
        layer = "in-memory layer" if args.memory_layer else f"Redis layer {args.redis_url}"
        print(f"Daphne pid {server.pid}, port {port}; {len(ids)} requests; {layer}")
        print(f"machine: {machine_load()} ({os.cpu_count()} cores)")
        print(f"server memory at rest: {rss_kib(server.pid) / 1024:.0f} MiB")
        print(
            f"{'N':>6} {'held':>6} {'refused':>7} {'dropped':>7} {'undeliv':>7} {'open s':>7}"
            f" {'deliv':>6} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'RSS MiB':>8}"
        )
        best = 0
        for n in [int(x) for x in args.rounds.split(",")]:
            result = asyncio.run(
                one_round(port, n, ids, buyers, seller_cookie, args.messages, args.timeout)
            )
            memory = rss_kib(server.pid) / 1024

            def fmt(v):
                return f"{v:7.1f}" if v is not None else "      -"

            print(
                f"{n:>6} {result['held']:>6} {result['refused']:>7} {result['dropped']:>7}"
                f" {result['undelivered']:>7} {result['open_s']:>7.1f} {result['deliveries']:>6}"
                f" {fmt(result['p50_ms'])} {fmt(result['p95_ms'])} {fmt(result['max_ms'])}"
                f" {memory:>8.0f}",
                flush=True,
            )
            ok = result["refused"] == result["dropped"] == result["undelivered"] == 0
            if not ok or server.poll() is not None:
                break
            best = n
            time.sleep(2)
        print(f"largest N held without errors: {best}")
        print(f"machine after: {machine_load()}")
    finally:
        server.terminate()  # only the process this script started
        server.wait(timeout=30)
        dropped = purge_celery_queue(args.redis_url)
        print(f"(dropped {dropped} queued tasks; server log {log})")


if __name__ == "__main__":
    main()
