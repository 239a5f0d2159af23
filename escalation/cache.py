"""Django's Redis cache with one client, and so one connection pool, per process and server.

Django keeps a cache object per request under ASGI (caches are context-local), and its Redis
backend a connection pool per cache object and a client per command: each Bot API request
opened a Redis connection of its own for its rate-limit check, and built three clients. Here
they all share one, which redis-py makes safe across threads and re-opens after a fork."""

from typing import Any

import redis
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
