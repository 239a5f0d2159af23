import asyncio
import contextvars

import pytest
import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="the Redis cache")

REQUESTS = 30


def connections_received() -> int:
    return int(redis.Redis.from_url(settings.REDIS_URL).info("stats")["total_connections_received"])


def test_requests_share_the_processs_redis_connections() -> None:
    """Under ASGI each request has a cache object of its own (caches are context-local: here,
    as in the server, one task per request, from a context that has none yet); Django's own
    backend then opened a Redis connection per request."""

    def request(n: int) -> None:
        cache.get(f"test-shared-{n}")  # the cache object of the request's own context

    async def requests() -> None:
        await asyncio.gather(*(sync_to_async(request)(n) for n in range(REQUESTS)))

    contextvars.Context().run(asyncio.run, requests())  # the process's pool is open
    before = connections_received()
    contextvars.Context().run(asyncio.run, requests())

    assert connections_received() - before < REQUESTS / 3
