"""The channel layers: channels-redis's pub/sub layer with Redis, the in-memory layer without.

Both are the libraries' own, with one change each for one broadcast reaching many sockets on
one process (an escalation shown on a thousand agents' queues):

- Redis: channels-redis's core layer stores a group message once per member and each
  consumer pops its own copy, several Redis round trips per socket, one socket at a time. Its
  pub/sub layer publishes once per group and each process hands the message to its own
  members in memory. What pub/sub gives up does not matter here: a message sent while nobody
  listens is lost (every socket re-syncs from the database when it connects), and there is no
  per-channel capacity (events are small and consumers forward them at once). What it lacks
  is added below: a socket open while Redis goes away is closed, as with the core layer, so
  the browser reconnects and re-syncs instead of listening on a dead subscription.
- In memory: every `receive` of Channels' layer walks all channels and group memberships for
  expired entries, so a broadcast to N sockets costs N² steps before the first frame leaves.
  Expiry is counted in seconds (a minute for messages, a day for memberships); here it is
  checked at most once a second.

As of channels 4.3 and channels-redis 4.3; tests/escalation/backends/test_upstream.py fails
when what is overridden here changes."""

import asyncio
import contextlib
import logging
import time
from typing import Any

import redis.exceptions
from channels.layers import InMemoryChannelLayer as BaseInMemoryChannelLayer
from channels_redis.pubsub import (
    RedisPubSubChannelLayer,
    RedisPubSubLoopLayer,
    RedisSingleShardConnection,
)
from channels_redis.utils import _wrap_close

logger = logging.getLogger(__name__)

# What a consumer's `receive` finds in its queue when the subscription it waits on is gone.
CONNECTION_LOST = object()
UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class RedisChannelLayer(RedisPubSubChannelLayer):
    def _get_layer(self) -> "RedisLoopLayer":
        # As the library's, with the loop layer below (one per event loop, closed with it).
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = RedisLoopLayer(*self._args, **self._kwargs, channel_layer=self)
            self._layers[loop] = layer
            _wrap_close(self, loop)
        return layer

    def deserialize(self, message: Any) -> Any:
        if message is CONNECTION_LOST:
            raise redis.exceptions.ConnectionError("the channel layer lost its Redis connection")
        return super().deserialize(message)


class RedisLoopLayer(RedisPubSubLoopLayer):
    channels: dict[str, "asyncio.Queue[Any]"]  # this process's channels, by name
    groups: dict[str, set[str]]  # this process's members, by group
    _shards: list[RedisSingleShardConnection]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shards = [RedisShard(shard.host, self) for shard in self._shards]

    async def _subscribe_to_channel(self, channel: str) -> None:
        try:
            await super()._subscribe_to_channel(channel)
        except BaseException:
            self.channels.pop(channel, None)  # the library keeps the queue of a failed subscribe
            raise

    def connection_lost(self) -> None:
        """End every waiting `receive` with a ConnectionError, as the core layer's does: the
        consumers end, daphne closes their sockets, and browsers reconnect once Redis is back
        and re-sync from the database. Their subscriptions and memberships go with them."""
        channels, self.channels, self.groups = self.channels, {}, {}
        for queue in channels.values():
            queue.put_nowait(CONNECTION_LOST)


class RedisShard(RedisSingleShardConnection):
    _pubsub: Any
    _subscribed_to: set[str]

    async def _do_receiving(self) -> None:
        # The library's loop logs each failed read and tries again on the same subscription
        # (redis-py subscribes it again on reconnecting), so its sockets stay open but miss
        # every event of the outage; here the subscription is dropped with its consumers.
        while True:
            if not (self._pubsub and self._pubsub.subscribed):
                await asyncio.sleep(0.1)
                continue
            try:
                message = await self._pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=0.1
                )
            except UNREACHABLE as exc:
                logger.warning("channel layer subscription lost: %s", exc)
                await self._subscriptions_drop()
                continue
            except Exception:
                logger.exception("channel layer: unexpected error reading the subscription")
                await asyncio.sleep(1)
                continue
            self._receive_message(message)

    async def _subscriptions_drop(self) -> None:
        async with self._lock:
            pubsub, self._pubsub = self._pubsub, None
            self._subscribed_to = set()
            if self._redis is not None:
                self._pubsub = self._redis.pubsub()
            self.channel_layer.connection_lost()
        if pubsub is not None:
            with contextlib.suppress(Exception):
                await pubsub.aclose()


class InMemoryChannelLayer(BaseInMemoryChannelLayer):
    CLEAN_INTERVAL_SECONDS = 1.0
    cleaned_at = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self.cleaned_at >= self.CLEAN_INTERVAL_SECONDS:
            self.cleaned_at = now
            super()._clean_expired()
