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


def test_a_value_and_a_count_in_one_round_trip() -> None:
    """The Bot API's key lookup and rate-limit count: GET, INCR and EXPIRE NX pipelined,
    where Django's incr() would ask EXISTS first (and add() the first count). The counter
    expires from its first count."""
    from escalation.backends.cache import get_and_count

    server = redis.Redis.from_url(settings.REDIS_URL)
    key, counter = f"test-value-{uuid.uuid4().hex}", f"test-counter-{uuid.uuid4().hex}"
    cache.set(key, {"a": 1})

    answers = [get_and_count(key, counter, 100), get_and_count(key, counter, 1000)]

    assert answers == [({"a": 1}, 1), ({"a": 1}, 2)]
    assert 0 < server.ttl(cache.make_key(counter)) <= 100
    assert cache.get(counter) == 2  # the same counter Django's own incr() reads and writes
    assert get_and_count(f"test-missing-{uuid.uuid4().hex}", counter, 100) == (None, 3)
