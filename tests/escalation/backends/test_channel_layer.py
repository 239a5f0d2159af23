import asyncio
import uuid
from typing import Any

import pytest
import redis.exceptions
from channels.layers import InMemoryChannelLayer as BaseInMemoryChannelLayer
from channels.layers import get_channel_layer
from django.conf import settings

from escalation.backends.channel_layer import InMemoryChannelLayer, RedisChannelLayer
from escalation.processes import redis_server
from tests.support.live import needs_redis_server

pytestmark = pytest.mark.asyncio
needs_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="the Redis channel layer")

AGENTS = 300  # more than a Redis connection pool holds (100)


@needs_redis
async def test_many_sockets_joining_and_leaving_at_once_all_succeed() -> None:
    """A wave of agents connecting, then disconnecting, on one process: every group_add and
    group_discard succeeds, and one group_send reaches every member."""
    layer = get_channel_layer()
    group = f"test-wave-{uuid.uuid4().hex}"
    channels = [await layer.new_channel() for _ in range(AGENTS)]

    await asyncio.gather(*(layer.group_add(group, channel) for channel in channels))
    await layer.group_send(group, {"type": "console.event", "html": "<p>hi</p>"})
    received = await asyncio.gather(*(layer.receive(channel) for channel in channels))
    await asyncio.gather(*(layer.group_discard(group, channel) for channel in channels))

    assert [message["html"] for message in received] == ["<p>hi</p>"] * AGENTS


@needs_redis_server
async def test_a_process_waiting_on_redis_is_told_when_it_goes_away() -> None:
    """Its consumers end (and daphne closes their sockets) instead of listening on a
    subscription that misses everything sent until Redis is back."""
    with redis_server() as (redis_url, process):
        layer = RedisChannelLayer(hosts=[{"address": redis_url}])
        channel = await layer.new_channel()
        await layer.group_add("console.queue.all", channel)
        await layer.group_send("console.queue.all", {"type": "console.event", "html": "1"})
        assert (await layer.receive(channel))["html"] == "1"

        process.kill()
        process.wait()

        with pytest.raises(redis.exceptions.ConnectionError):
            await asyncio.wait_for(layer.receive(channel), timeout=10)
        await layer.flush()


async def test_in_memory_broadcast_to_many_checks_expiry_once(monkeypatch: Any) -> None:
    """Channels' layer walked every channel and membership on each receive: N² steps for a
    broadcast to N sockets. Expiry is checked at most once a second."""
    layer = InMemoryChannelLayer()
    checks = []
    clean = BaseInMemoryChannelLayer._clean_expired

    def counted(self: BaseInMemoryChannelLayer) -> None:
        checks.append(1)
        clean(self)

    monkeypatch.setattr(BaseInMemoryChannelLayer, "_clean_expired", counted)
    channels = [await layer.new_channel() for _ in range(AGENTS)]
    for channel in channels:
        await layer.group_add("console.queue.all", channel)

    await layer.group_send("console.queue.all", {"type": "console.event", "html": "hi"})
    received = [await layer.receive(channel) for channel in channels]

    assert [message["html"] for message in received] == ["hi"] * AGENTS
    assert len(checks) == 1
