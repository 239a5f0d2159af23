"""The upstream behaviours escalation/backends/ works around, and the library internals it
overrides, as of the versions in uv.lock (Django 5.2, channels 4.3, channels-redis 4.3). Each
test fails when upstream changes or fixes its behaviour: then the adaptation is reviewed, and
removed if it is no longer needed."""

import asyncio
import io
from typing import Any

from channels.layers import InMemoryChannelLayer
from channels_redis.pubsub import (
    RedisPubSubChannelLayer,
    RedisPubSubLoopLayer,
    RedisSingleShardConnection,
)
from django.core.cache.backends.redis import RedisCacheClient
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.console import EmailBackend as ConsoleEmailBackend
from django.db.backends.sqlite3 import base as sqlite_base


def test_djangos_redis_cache_builds_a_client_per_command() -> None:
    """backends/cache.py: Django's client is a new redis.Redis for every command (over a pool
    per cache object, and so per request under ASGI)."""
    client = RedisCacheClient(["redis://127.0.0.1:1/0"])

    assert client.get_client() is not client.get_client()
    assert hasattr(client, "_get_connection_pool_index") and hasattr(client, "_servers")


def test_channels_in_memory_layer_cleans_every_channel_on_each_receive(monkeypatch: Any) -> None:
    """backends/channel_layer.py: Channels' in-memory layer walks every channel and group for
    expired entries on each receive."""
    layer = InMemoryChannelLayer()
    cleans: list[None] = []
    monkeypatch.setattr(layer, "_clean_expired", lambda: cleans.append(None))

    async def receive_two() -> None:
        for _ in range(2):
            await layer.send("a-channel", {"type": "x"})
            await layer.receive("a-channel")

    asyncio.run(receive_two())

    assert len(cleans) >= 2


def test_channels_redis_pubsub_internals_overridden_are_there() -> None:
    """backends/channel_layer.py overrides channels-redis's per-loop layer factory and the
    shard's receiving loop (which logs a lost subscription and retries it forever)."""
    assert callable(RedisPubSubChannelLayer._get_layer)
    assert callable(RedisPubSubLoopLayer._subscribe_to_channel)
    assert callable(RedisSingleShardConnection._do_receiving)
    assert callable(RedisSingleShardConnection._receive_message)


def test_djangos_sqlite_backend_transaction_hooks_overridden_are_there() -> None:
    """backends/sqlite/: SQLite's busy handler (sleeps growing to 100 ms) is what a waiting
    writer meets without the process lock; the lock hangs on these Django internals."""
    for name in ("_start_transaction_under_autocommit", "_commit", "_rollback", "_close"):
        assert callable(getattr(sqlite_base.DatabaseWrapper, name)), name


def test_djangos_console_email_backend_prints_a_message_whole() -> None:
    """backends/mail.py: Django's console backend writes every line of a multipart message."""
    stream = io.StringIO()
    message = EmailMultiAlternatives("Subject", "Body text", to=["a@example.com"])
    message.attach_alternative("<p>Body</p>", "text/html")

    ConsoleEmailBackend(stream=stream).send_messages([message])

    assert len(stream.getvalue().splitlines()) > 10
