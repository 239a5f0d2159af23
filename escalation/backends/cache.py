"""Django's Redis cache with one client, and so one connection pool, per process and server.

Django keeps a cache object per request under ASGI (caches are context-local), and its Redis
backend a connection pool per cache object and a client per command: each Bot API request
opened a Redis connection of its own for its rate-limit check, and built three clients. Here
they all share one, which redis-py makes safe across threads and re-opens after a fork.
As of Django 5.2 (django.core.cache.backends.redis); tests/escalation/backends/test_upstream.py
fails when that changes."""

from typing import Any

import redis
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

clients: dict[str, redis.Redis] = {}


class SharedRedisCacheClient(RedisCacheClient):
    def get_client(self, key: Any = None, *, write: bool = False) -> redis.Redis:
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        server = self._servers[index]  # type: ignore[attr-defined]
        client = clients.get(server)
        if client is None:
            client = clients.setdefault(server, super().get_client(key, write=write))
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedRedisCacheClient

    def get_and_count(self, key: str, counter: str, timeout: int) -> tuple[Any, int]:
        """get(key), and one more under `counter` (a new counter expires in `timeout`
        seconds), in one round trip. Django's incr() alone takes two: it asks whether the key
        exists first (and a new counter needs an add() besides)."""
        key = self.make_and_validate_key(key)
        counter = self.make_and_validate_key(counter)
        cache = self._cache  # type: ignore[attr-defined]
        pipe = cache.get_client(counter, write=True).pipeline(transaction=False)
        pipe.get(key)
        pipe.incr(counter)
        pipe.expire(counter, timeout, nx=True)
        value, count, _ = pipe.execute()
        return (None if value is None else cache._serializer.loads(value)), int(count)


def get_and_count(key: str, counter: str, timeout: int) -> tuple[Any, int]:
    """The cached value under `key` (None if missing) and one more under `counter`, counted
    atomically across threads (and across processes on Redis); a counter starts at 1 and
    expires `timeout` seconds after it started."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return backend.get_and_count(key, counter, timeout)
    try:
        count = backend.incr(counter)
    except ValueError:  # the first count (or the counter just expired)
        count = 1 if backend.add(counter, 1, timeout) else backend.incr(counter)
    return backend.get(key), count
