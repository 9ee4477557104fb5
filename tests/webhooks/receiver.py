"""A real HTTP receiver on loopback for the webhook tests: it verifies each delivery's signature
the way the Standard Webhooks specification says (its own implementation, independent of
``webhooks.signing``) and answers with the statuses it is told, 200 once they run out."""

import base64
import hmac
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def expected_signature(secret: str, webhook_id: str, timestamp: str, body: bytes) -> str:
    """The spec's recipe: HMAC-SHA256 keyed with the base64-decoded part of the secret after
    ``whsec_``, over ``id.timestamp.body``, base64, prefixed with the version ``v1,``."""
    assert secret.startswith("whsec_")
    key = base64.b64decode(secret[len("whsec_") :])
    mac = hmac.new(key, webhook_id.encode() + b"." + timestamp.encode() + b"." + body, "sha256")
    return "v1," + base64.b64encode(mac.digest()).decode()


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    signature_ok: bool
    answered: int

    @property
    def payload(self) -> dict:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Receiver:
    secret: str = ""
    answers: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    def __enter__(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {name.lower(): value for name, value in self.headers.items()}
                ok = (
                    hmac.compare_digest(
                        headers.get("webhook-signature", ""),
                        expected_signature(
                            receiver.secret,
                            headers.get("webhook-id", ""),
                            headers.get("webhook-timestamp", ""),
                            body,
                        ),
                    )
                    if receiver.secret
                    else False
                )
                status = receiver.answers.pop(0) if receiver.answers else 200
                receiver.received.append(Received(headers, body, ok, status))
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/aftersales"
