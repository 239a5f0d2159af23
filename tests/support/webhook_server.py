"""A real HTTP server in a thread that plays a bot's webhook endpoint."""

import hashlib
import hmac
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from tests.support.threaded_http import QuietHandler, http_serve


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Endpoint:
    """Answers each POST with the next planned status (the last one repeats); a status of 0
    means: hang longer than any client timeout."""

    url: str
    plan: list[int] = field(default_factory=lambda: [200])
    received: list[Received] = field(default_factory=list)
    hang_seconds: float = 2.0


def endpoint_serve(plan: list[int]) -> Iterator[Endpoint]:
    endpoint = Endpoint(url="", plan=list(plan))

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            endpoint.received.append(Received(headers=dict(self.headers.items()), body=body))
            index = min(len(endpoint.received), len(endpoint.plan)) - 1
            status = endpoint.plan[index]
            if status == 0:
                time.sleep(endpoint.hang_seconds)
                status = 200
            self.answer(status, b"ok")

    with http_serve(Handler) as base_url:
        endpoint.url = f"{base_url}/hooks"
        yield endpoint


def handover_webhook_is_genuine(
    secret: str, headers: Mapping[str, str], raw_body: bytes, tolerance: int = 300
) -> bool:
    """What a bot does on its side: the README's recipe, line for line."""
    timestamp = headers["X-Handover-Timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False  # too old: a replay
    signed = timestamp.encode() + b"." + raw_body
    expected = "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Handover-Signature"])
