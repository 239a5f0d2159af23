"""Real concurrency for race tests: threads released at one instant, each on its own
database connection."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import connection


def race(count: int, call: Callable[[], Any]) -> list[Any]:
    """Run `call` in `count` threads released at the same instant."""
    barrier = threading.Barrier(count)

    def run() -> Any:
        barrier.wait()
        try:
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(count) as pool:
        return [f.result() for f in [pool.submit(run) for _ in range(count)]]
