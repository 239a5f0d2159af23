"""Webhooks to an external bot: the agent's side of a conversation, signed, retried and logged.

A delivery row is written in the same transaction as the state change it reports (so a rollback
takes it back) and sent by a Celery task after commit. Each POST carries

    X-Handover-Event: agent.message
    X-Handover-Delivery: <uuid, the same on every retry>
    X-Handover-Timestamp: <unix seconds of this attempt>
    X-Handover-Signature: v1=<hex HMAC-SHA256 of f"{timestamp}.{raw body}" with the bot's secret>
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F
from django.utils import timezone

from escalation import events
from escalation.models import Conversation, Handoff, Message, WebhookAttempt, WebhookDelivery
from escalation.payloads import agent_payload, handoff_payload

Event = WebhookDelivery.Event

USER_AGENT = "Handover-Webhooks/1"


def signature_compute(*, secret: str, timestamp: str, body: bytes) -> str:
    signed = timestamp.encode() + b"." + body
    return "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def webhook_enqueue(
    *, conversation: Conversation, event: str, data: dict[str, Any]
) -> WebhookDelivery | None:
    """Record the event for the conversation's bot and send it after commit; conversations
    without a callback URL (the built-in web chat) get none."""
    url = conversation.webhook_url
    if not url:
        return None
    delivery_id = uuid.uuid4()
    payload = {
        "id": str(delivery_id),
        "event": event,
        "created_at": timezone.now(),
        "conversation": {"id": conversation.pk, "external_id": conversation.external_id},
        "data": data,
    }
    delivery = WebhookDelivery.objects.create(
        delivery_id=delivery_id,
        bot_id=conversation.bot_id,
        conversation=conversation,
        event=event,
        url=url,
        payload=json.loads(json.dumps(payload, cls=DjangoJSONEncoder)),
    )
    events.emit(events.WEBHOOK_RECORDED, delivery_id=delivery.pk)  # sent by a task on commit
    return delivery


def webhook_on_handoff_created(handoff: Handoff) -> None:
    webhook_enqueue(
        conversation=handoff.conversation,
        event=Event.HANDOFF_CREATED,
        data={"handoff": handoff_payload(handoff)},
    )


def webhook_on_handoff_claimed(handoff: Handoff) -> None:
    agent = handoff.claimed_by
    webhook_enqueue(
        conversation=handoff.conversation,
        event=Event.AGENT_JOINED,
        data={
            "handoff": handoff_payload(handoff),
            "agent": agent_payload(agent) if agent else None,
        },
    )


def webhook_on_message_stored(*, message: Message, has_handoffs: bool | None = None) -> None:
    if message.sender != Message.Sender.AGENT:
        return
    webhook_enqueue(
        conversation=message.conversation,
        event=Event.AGENT_MESSAGE,
        data={
            "message": {
                "id": message.pk,
                "sender": message.sender,
                "text": message.text,
                "sent_at": message.sent_at,
            },
            "agent": agent_payload(message.agent) if message.agent else None,
        },
    )


def webhook_on_handoff_resolved(handoff: Handoff) -> None:
    webhook_enqueue(
        conversation=handoff.conversation,
        event=Event.CONVERSATION_RESOLVED,
        data={
            "handoff": handoff_payload(handoff),
            "resolution": handoff.resolution,
            "note": handoff.resolution_note,
        },
    )


def webhook_on_handoff_handed_back(handoff: Handoff) -> None:
    """The conversation is the bot's again. The note is the agent's word to the assistant, for
    its context: not for the customer."""
    agent = handoff.claimed_by
    webhook_enqueue(
        conversation=handoff.conversation,
        event=Event.CONVERSATION_HANDED_BACK,
        data={
            "handoff": handoff_payload(handoff),
            "agent": agent_payload(agent) if agent else None,
            "note": handoff.resolution_note,
        },
    )


def webhook_attempt(*, delivery: WebhookDelivery) -> WebhookAttempt | None:
    """Send one attempt and log it. None when there is nothing to do: the delivery already
    succeeded or gave up, or another worker took this attempt first."""
    number = delivery.attempts + 1
    won = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=WebhookDelivery.Status.PENDING, attempts=delivery.attempts
    ).update(attempts=F("attempts") + 1, last_attempt_at=timezone.now())
    if not won:
        return None
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 - the URL is validated http(s) on the way in
        delivery.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Handover-Event": delivery.event,
            "X-Handover-Delivery": str(delivery.delivery_id),
            "X-Handover-Timestamp": timestamp,
            "X-Handover-Signature": signature_compute(
                secret=delivery.bot.webhook_secret, timestamp=timestamp, body=body
            ),
        },
    )
    status_code: int | None = None
    error = ""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS
        ) as response:
            status_code = response.status
            response.read(1024)
    except urllib.error.HTTPError as exc:
        status_code = exc.code
        error = f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        error = f"{type(exc).__name__}: {reason}"[:500]
    duration_ms = int((time.monotonic() - started) * 1000)
    attempt = WebhookAttempt.objects.create(
        delivery=delivery,
        number=number,
        status_code=status_code,
        error=error,
        duration_ms=duration_ms,
    )
    delivery.attempts = number
    if attempt.succeeded:
        now = timezone.now()
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.SUCCEEDED, delivered_at=now
        )
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        delivery.delivered_at = now
    return attempt


def webhook_give_up(*, delivery: WebhookDelivery) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk, status=WebhookDelivery.Status.PENDING).update(
        status=WebhookDelivery.Status.FAILED
    )


def retry_countdown(*, attempts: int) -> float:
    """Exponential back-off: base, 2 x base, 4 x base, ..."""
    return float(settings.WEBHOOK_BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
