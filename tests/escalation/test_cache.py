import asyncio
import contextvars
import uuid

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


def test_a_counter_counts_in_one_round_trip_and_expires_from_its_first_count() -> None:
    """The API's rate limit: INCR and EXPIRE NX pipelined, where Django's incr() would ask
    EXISTS first (and add() the first count)."""
    from escalation.cache import counter_add

    server = redis.Redis.from_url(settings.REDIS_URL)
    key = f"test-counter-{uuid.uuid4().hex}"

    counts = [counter_add(key, 100), counter_add(key, 1000), counter_add(key, 1000)]

    assert counts == [1, 2, 3]
    assert 0 < server.ttl(cache.make_key(key)) <= 100
    assert cache.get(key) == 3  # the same counter Django's own incr() reads and writes
