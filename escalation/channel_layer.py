"""The Redis channel layer, with a connection pool that waits when all its connections are busy.

redis-py 8's default pool raises MaxConnectionsError as soon as 100 commands are in flight on
one event loop: 1,000 agents' console sockets closing (or opening) at once each run a
`group_discard` (`group_add`), and every one past the hundredth failed, leaving stale group
members and unmarked presence behind. A blocking pool queues them for a free connection
instead, so one daphne process keeps a bounded number of Redis connections under any wave."""

from typing import Any

from channels_redis.core import RedisChannelLayer as BaseRedisChannelLayer
from redis.asyncio import BlockingConnectionPool


class RedisChannelLayer(BaseRedisChannelLayer):
    def create_pool(self, index: int) -> Any:
        host = dict(self.hosts[index])
        return BlockingConnectionPool.from_url(host.pop("address"), **host)
