"""The transcript: every message (customer, AI, agent or system) is stored through here, its
secrets masked, and announced. Below turns, decisions and handoffs, which all add to it."""

from datetime import datetime
from typing import Any

from django.utils import timezone

from escalation import events
from escalation.detectors.encoder import Vector, encode
from escalation.models import Conversation, Message
from escalation.redaction import secrets_mask


def message_add(
    *,
    conversation: Conversation,
    sender: str,
    text: str,
    encoding: Vector | None = None,
    external_id: str | None = None,
    confidence: float | None = None,
    sent_at: datetime | None = None,
    agent: Any = None,
    decision: dict[str, Any] | None = None,
    has_customer_turns: bool | None = None,
    has_handoffs: bool | None = None,
) -> Message:
    """Append a message to the transcript; every message is stored through here, with the
    secrets in it masked, and a customer's with the encoding of its masked text (what the
    re-ask detector and the repeat indicator compare, so no process encodes it again;
    `encoding`, when the caller made it already, outside the conversation's lock);
    `decision`, when the turn was decided before it was stored. What the caller read with the
    conversation, under its lock (turns.conversation_locked), saves asking again: whether the
    customer has spoken in it yet, and whether it had ever had a case before this transaction
    (None: not known)."""
    if sender != Message.Sender.CUSTOMER:
        first_customer_turn = False
    elif has_customer_turns is not None:
        first_customer_turn = not has_customer_turns
    else:
        first_customer_turn = not conversation.messages.filter(
            sender=Message.Sender.CUSTOMER
        ).exists()
    stored = secrets_mask(text)
    message = Message.objects.create(
        conversation=conversation,
        external_id=external_id,
        sender=sender,
        text=stored,
        encoding=(
            (encoding if encoding is not None else encode(stored))
            if sender == Message.Sender.CUSTOMER
            else None
        ),
        confidence=confidence,
        sent_at=sent_at or timezone.now(),
        agent=agent,
        decision=decision,
    )
    events.message_stored(
        message, first_customer_turn=first_customer_turn, has_handoffs=has_handoffs
    )
    return message
