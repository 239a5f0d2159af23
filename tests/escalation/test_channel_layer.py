import asyncio
import uuid

import pytest
from channels.layers import get_channel_layer
from django.conf import settings

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.skipif(not settings.REDIS_URL, reason="the Redis channel layer"),
]

AGENTS = 300  # more than a Redis connection pool holds (100)


async def test_many_sockets_joining_and_leaving_at_once_all_succeed() -> None:
    """A wave of agents connecting, then disconnecting, on one process: every group_add and
    group_discard waits for a pooled connection instead of failing."""
    layer = get_channel_layer()
    group = f"test-wave-{uuid.uuid4().hex}"
    channels = [await layer.new_channel() for _ in range(AGENTS)]

    await asyncio.gather(*(layer.group_add(group, channel) for channel in channels))
    await layer.group_send(group, {"type": "console.event", "html": "<p>hi</p>"})
    received = await asyncio.gather(*(layer.receive(channel) for channel in channels))
    await asyncio.gather(*(layer.group_discard(group, channel) for channel in channels))

    assert [message["html"] for message in received] == ["<p>hi</p>"] * AGENTS
