"""Django's Redis cache with one client, and so one connection pool, per process and server.

Django keeps a cache object per request under ASGI (caches are context-local), and its Redis
backend a connection pool per cache object and a client per command: each Bot API request
opened a Redis connection of its own for its rate-limit check, and built three clients. Here
they all share one, which redis-py makes safe across threads and re-opens after a fork."""

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

    def counter_add(self, key: str, timeout: int) -> int:
        """Count one more under `key`; a new counter expires in `timeout` seconds. One round
        trip: Django's incr() asks whether the key exists first, and a missing one needs an
        add() and another incr()."""
        key = self.make_and_validate_key(key)
        client = self._cache.get_client(key, write=True)  # type: ignore[attr-defined]
        pipe = client.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, timeout, nx=True)
        count, _ = pipe.execute()
        return int(count)


def counter_add(key: str, timeout: int) -> int:
    """One more under `key`, counted atomically across threads (and across processes on
    Redis); the counter starts at 1 and expires `timeout` seconds after it started."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return backend.counter_add(key, timeout)
    try:
        return backend.incr(key)
    except ValueError:  # the first count (or the counter just expired)
        if backend.add(key, 1, timeout):
            return 1
        return backend.incr(key)
