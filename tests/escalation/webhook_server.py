"""A real HTTP server in a thread that plays a bot's webhook endpoint."""

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


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

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            endpoint.received.append(Received(headers=dict(self.headers.items()), body=body))
            index = min(len(endpoint.received), len(endpoint.plan)) - 1
            status = endpoint.plan[index]
            if status == 0:
                time.sleep(endpoint.hang_seconds)
                status = 200
            try:
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:
                pass  # the client gave up waiting

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    endpoint.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    try:
        yield endpoint
    finally:
        server.shutdown()
        server.server_close()
