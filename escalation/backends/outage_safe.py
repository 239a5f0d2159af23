"""Talking to Redis without letting an outage undo a committed state change: pushes to the
console and chat sockets over the channel layer, tasks to the Celery broker, and the cache
(which only saves work). The database is the record. A push that fails is logged (sockets
re-sync from the database when they connect again, and pages poll meanwhile); a task that
cannot be queued is logged and picked up later by the sweeps in escalation/tasks.py and
surveys/tasks.py. Not an adaptation of a library: what the libraries raise when Redis is away is
caught, as documented (tests/escalation/backends/test_redis_down.py)."""

import logging
from typing import Any

import kombu.exceptions
import redis.exceptions
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache

logger = logging.getLogger(__name__)

# What Redis (as broker, result backend or channel layer) raises when it cannot be reached.
UNREACHABLE = (kombu.exceptions.OperationalError, redis.exceptions.RedisError, OSError)


def group_send(group: str, message: dict[str, Any]) -> None:
    group_send_all([(group, message)])


def group_send_all(pushes: list[tuple[str, dict[str, Any]]]) -> None:
    """Each (group, message) in order, in one trip to the event loop: outside one (a Celery
    worker), async_to_sync starts a loop per call, and the Redis layer a connection per loop."""
    layer = get_channel_layer()
    if layer is None or not pushes:
        return

    async def send_all() -> None:
        for group, message in pushes:
            await layer.group_send(group, message)

    try:
        async_to_sync(send_all)()
    except UNREACHABLE as exc:
        groups = [group for group, _ in pushes]
        logger.warning("push to %s not sent, the channel layer is unreachable: %s", groups, exc)


def task_send(task: Any, *args: Any, countdown: float | None = None) -> None:
    try:
        task.apply_async(args, countdown=countdown)
    except UNREACHABLE as exc:
        logger.warning("task %s%r not queued, the broker is unreachable: %s", task.name, args, exc)


# The cache only saves work: without Redis, a read misses and a write is skipped.
def cache_get(key: str) -> Any:
    try:
        return cache.get(key)
    except UNREACHABLE as exc:
        logger.warning("cache read of %s skipped, the cache is unreachable: %s", key, exc)
        return None


def cache_get_many(keys: list[str]) -> dict[str, Any]:
    try:
        found: dict[str, Any] = cache.get_many(keys)
    except UNREACHABLE as exc:
        logger.warning("cache read of %s skipped, the cache is unreachable: %s", keys, exc)
        return {}
    return found


def cache_set(key: str, value: Any, timeout: float) -> None:
    try:
        cache.set(key, value, timeout)
    except UNREACHABLE as exc:
        logger.warning("cache write of %s skipped, the cache is unreachable: %s", key, exc)


def cache_delete(key: str) -> None:
    try:
        cache.delete(key)
    except UNREACHABLE as exc:
        logger.warning("cache delete of %s skipped, the cache is unreachable: %s", key, exc)
