"""Sending to Redis without letting an outage undo a committed state change: pushes to the
console and chat sockets over the channel layer, and tasks to the Celery broker. The database
is the record. A push that fails is logged (sockets re-sync from the database when they connect
again, and pages poll meanwhile); a task that cannot be queued is logged and picked up later by
the sweeps in escalation/tasks.py and surveys/tasks.py."""

import logging
from typing import Any

import kombu.exceptions
import redis.exceptions
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

# What Redis (as broker, result backend or channel layer) raises when it cannot be reached.
UNREACHABLE = (kombu.exceptions.OperationalError, redis.exceptions.RedisError, OSError)


def group_send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except UNREACHABLE as exc:
        logger.warning("push to %s not sent, the channel layer is unreachable: %s", group, exc)


def task_send(task: Any, *args: Any, countdown: float | None = None) -> None:
    try:
        task.apply_async(args, countdown=countdown)
    except UNREACHABLE as exc:
        logger.warning("task %s%r not queued, the broker is unreachable: %s", task.name, args, exc)
