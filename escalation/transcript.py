"""The transcript: every message (customer, AI, agent or system) is stored through here, its
secrets masked, and announced. Below turns, decisions and handoffs, which all add to it."""

from datetime import datetime
from typing import Any

from django.utils import timezone

from escalation import events
from escalation.models import Conversation, Message
from escalation.redaction import secrets_mask


def message_add(
    *,
    conversation: Conversation,
    sender: str,
    text: str,
    external_id: str | None = None,
    confidence: float | None = None,
    sent_at: datetime | None = None,
    agent: Any = None,
    decision: dict[str, Any] | None = None,
) -> Message:
    """Append a message to the transcript; every message is stored through here, with the
    secrets in it masked; `decision`, when the turn was decided before it was stored."""
    first_customer_turn = sender == Message.Sender.CUSTOMER and not customer_turns_exist(
        conversation
    )
    message = Message.objects.create(
        conversation=conversation,
        external_id=external_id,
        sender=sender,
        text=secrets_mask(text),
        confidence=confidence,
        sent_at=sent_at or timezone.now(),
        agent=agent,
        decision=decision,
    )
    events.message_stored(message, first_customer_turn=first_customer_turn)
    return message


def customer_turns_exist(conversation: Conversation) -> bool:
    """Has the customer spoken in it yet? A Bot API turn read it with its conversation
    (`has_customer_turns`, see turns.LOCKED_READ_SQL); anything else asks."""
    known = getattr(conversation, "has_customer_turns", None)
    if known is not None:
        return bool(known)
    return conversation.messages.filter(sender=Message.Sender.CUSTOMER).exists()
