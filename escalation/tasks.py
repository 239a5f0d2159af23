"""Celery tasks: each takes ids, re-reads state and calls one domain function; a status guard
in that function makes a second delivery a no-op, so they are safe to acknowledge late."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from escalation import conversations
from escalation.models import Message


def idempotent_task(func: Callable[..., Any]) -> Any:
    """Acknowledged after it ran, retried with back-off while the database is unreachable."""
    return shared_task(
        acks_late=True,
        autoretry_for=(OperationalError,),
        retry_backoff=2,
        retry_backoff_max=60,
        max_retries=8,
    )(func)


@idempotent_task
def message_decide_task(message_id: int) -> bool:
    """Score a turn nobody is waiting on (web chat); answers whether it escalated."""
    return bool(conversations.message_decide(message_id=message_id)["escalate"])


@idempotent_task
def held_conversations_rescore_task() -> int:
    return conversations.held_conversations_rescore()


@idempotent_task
def undecided_messages_sweep() -> int:
    """Turns whose scoring is overdue (a worker died, the broker was down) are scored again."""
    overdue = Message.objects.filter(
        decision__isnull=True,
        sender__in=[Message.Sender.CUSTOMER, Message.Sender.AI],
        created_at__lt=timezone.now() - timedelta(minutes=1),
    ).values_list("pk", flat=True)[:500]
    for message_id in overdue:
        message_decide_task.delay(message_id)
    return len(overdue)
