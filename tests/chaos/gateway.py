"""A payment gateway for the chaos tests: it survives the worker that called it.

Every call is appended to a file (``CHAOS_GATEWAY_LOG``) and flushed to disk before the gateway
answers, so the test can count the calls of a worker it killed. It takes its time
(``CHAOS_GATEWAY_DELAY`` seconds per call, after recording it: the payment is made, the answer
not yet back), so a kill lands in the middle of a batch. Like a real gateway, it treats a
repeated idempotency key as the same payment and answers with the same reference.
"""

import json
import os
import time
from decimal import Decimal
from pathlib import Path


class FileGateway:
    def pay(self, *, idempotency_key: str, amount: Decimal, method: str) -> str:
        call = {"key": idempotency_key, "amount": str(amount), "pid": os.getpid()}
        with open(os.environ["CHAOS_GATEWAY_LOG"], "a") as log:
            log.write(json.dumps(call) + "\n")
            log.flush()
            os.fsync(log.fileno())
        time.sleep(float(os.environ.get("CHAOS_GATEWAY_DELAY", "0")))
        return f"FILE-{idempotency_key}"

    def charge(self, *, idempotency_key: str, amount: Decimal, method: str) -> str:
        return self.pay(idempotency_key=idempotency_key, amount=amount, method=method)


def calls(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
