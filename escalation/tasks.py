"""Celery tasks: thin, idempotent callers of the domain modules (they take ids and re-read)."""

from typing import Any

from celery import shared_task

from escalation import webhooks
from escalation.models import WebhookDelivery


@shared_task(bind=True, acks_late=True, max_retries=None)
def webhook_deliver(self: Any, delivery_pk: int) -> Any:
    """One attempt per run; a failure schedules the next with exponential back-off until the
    attempts run out. A delivery that already succeeded is never sent again."""
    from django.conf import settings

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
    from escalation.assistant import DemoAssistant
    from escalation.models import Message
    from escalation.webchat import chat_turn_answer

    message = Message.objects.filter(pk=message_pk, sender=Message.Sender.CUSTOMER).first()
    if message is None:
        return "no such turn"
    return chat_turn_answer(message=message, assistant=DemoAssistant())
