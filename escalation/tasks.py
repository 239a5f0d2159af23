"""Celery tasks: each takes ids, re-reads state and calls one domain function; a status guard
in that function makes a second delivery a no-op, so they are safe to acknowledge late."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from escalation import llm, turns, webhooks
from escalation.backends import outage_safe
from escalation.models import Handoff, Message, WebhookDelivery
from escalation.webchat import chat


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
    return bool(turns.message_decide(message_id=message_id)["escalate"])


@idempotent_task
def held_conversations_rescore_task() -> int:
    return turns.held_conversations_rescore()


def overdue_before() -> datetime:
    return timezone.now() - timedelta(seconds=settings.OVERDUE_SWEEP_SECONDS)


@idempotent_task
def undecided_messages_sweep() -> int:
    """Turns whose scoring is overdue (a worker died, the broker was down) are scored again;
    a web chat turn is answered too, as its own task would have done."""
    overdue = Message.objects.filter(
        decision__isnull=True,
        sender__in=[Message.Sender.CUSTOMER, Message.Sender.AI],
        created_at__lt=overdue_before(),
    ).values_list("pk", "sender", "conversation__channel")[:500]
    for message_id, sender, channel in overdue:
        if sender == Message.Sender.CUSTOMER and channel == chat.CHANNEL:
            chat_turn_respond.delay(message_id)
        else:
            message_decide_task.delay(message_id)
    return len(overdue)


@idempotent_task
def webhook_deliveries_sweep() -> int:
    """Deliveries whose next attempt is overdue (never queued, or their task was lost) are
    sent again; webhook_attempt lets only one run make each attempt."""
    late = overdue_before()
    count = 0
    pending = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING)
    for pk, attempts, created_at, last_attempt_at in pending.values_list(
        "pk", "attempts", "created_at", "last_attempt_at"
    )[:500]:
        due = (last_attempt_at or created_at) + timedelta(
            seconds=webhooks.retry_countdown(attempts=attempts) if attempts else 0
        )
        if due < late:
            webhook_deliver.delay(pk)
            count += 1
    return count


@shared_task(bind=True, acks_late=True, max_retries=None)
def webhook_deliver(self: Any, delivery_pk: int) -> Any:
    """One attempt per run; a failure schedules the next with exponential back-off until the
    attempts run out. A delivery that already succeeded is never sent again."""
    delivery = WebhookDelivery.objects.select_related("bot").filter(pk=delivery_pk).first()
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return "nothing to do"
    attempt = webhooks.webhook_attempt(delivery=delivery)
    if attempt is None:
        return "taken by another worker"
    if attempt.succeeded:
        return "delivered"
    if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        webhooks.webhook_give_up(delivery=delivery)
        return "gave up"
    retry = self.retry(countdown=webhooks.retry_countdown(attempts=delivery.attempts), throw=False)
    if self.request.is_eager:
        return retry  # apply() runs the next attempt itself; raising would fail the caller
    raise retry


@shared_task(acks_late=True)
def chat_turn_respond(message_pk: int) -> str:
    """Score and answer one web chat turn (idempotent: a turn already answered is left alone)."""
    message = Message.objects.filter(pk=message_pk, sender=Message.Sender.CUSTOMER).first()
    if message is None:
        return "no such turn"
    outcome = chat.chat_turn_answer(message=message, assistant=llm.chat_assistant())
    turns.message_decide(message_id=message_pk)  # scored even when not answered
    return outcome


@idempotent_task
def handoff_summary_write_task(handoff_id: int) -> bool:
    """The model writes the summary of a handoff that has only the fallback (a second delivery
    finds it written and does nothing); answers whether it wrote one."""
    return llm.handoff_summary_write(handoff_id=handoff_id)


# Reactions to the domain's events (subscribed in apps.py), run on commit: the domain cannot
# import this module, which imports it.
def webhook_deliver_queue(*, delivery_id: int) -> None:
    outage_safe.task_send(webhook_deliver, delivery_id)


def chat_turn_respond_queue(*, message_id: int) -> None:
    outage_safe.task_send(chat_turn_respond, message_id)


def handoff_summary_write_queue(*, handoff: Handoff) -> None:
    """Written after the handoff is queued, never delaying it; the fallback shows meanwhile."""
    if llm.llm_client() is not None:
        outage_safe.task_send(handoff_summary_write_task, handoff.pk)
