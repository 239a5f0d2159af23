"""The built-in web chat: a signed-in customer talks to the demo assistant, then to a person, in
one thread. These are its domain functions; views.py only parses and calls them."""

import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from escalation import decisions, events, transcript, turns
from escalation.capacity import capacity_estimate, wait_estimate
from escalation.handoff import HandoffAlreadyOpen, handoff_create
from escalation.idempotency import create_once
from escalation.models import Bot, Conversation, Customer, Handoff, Message
from escalation.summary import handback_note
from escalation.webchat.assistant import Assistant, AssistantUnavailable
from escalation.webchat.tools import ToolGate

CHANNEL = "web-chat"
BOT_NAME = "web-chat"
UNAVAILABLE_NOTICE = (
    "I'm sorry, I can't answer that properly right now, so I'm passing you to a person from our "
    "support team. They'll see everything we discussed, so you won't need to repeat yourself."
)
MAX_MESSAGE_CHARS = 2000


def chat_bot() -> Bot:
    bot, _ = Bot.objects.get_or_create(name=BOT_NAME)
    return bot


def chat_customer(*, user: Any) -> Customer:
    """The customer a login speaks for; the login itself is the verification."""
    existing = Customer.objects.filter(user=user).first()
    if existing is not None:
        return existing
    bot = chat_bot()

    def create() -> Customer:
        return Customer.objects.create(
            bot=bot,
            external_id=f"user-{user.pk}",
            name=user.get_full_name() or user.get_username(),
            email=user.email,
            is_verified=True,
            verification_method="login",
            verified_at=timezone.now(),
            user=user,
        )

    customer, _ = create_once(Customer, lookup={"user": user}, create=create)
    return customer


def chat_conversation_current(*, customer: Customer) -> Conversation | None:
    return customer.conversations.filter(channel=CHANNEL).order_by("-pk").first()


def chat_message_send(*, customer: Customer, text: str) -> tuple[Message, bool]:
    """Store the customer's turn and have it answered by a task; a resolved (or no) conversation
    makes way for a new one. Returns the message and whether a new conversation was started."""
    with transaction.atomic():
        conversation = chat_conversation_current(customer=customer)
        started = conversation is None or conversation.status == Conversation.Status.RESOLVED
        if started:
            conversation = Conversation.objects.create(
                bot=customer.bot,
                customer=customer,
                external_id=f"chat-{uuid.uuid4()}",
                channel=CHANNEL,
            )
        assert conversation is not None
        message, _ = turns.message_post(
            conversation_id=conversation.pk,
            bot_id=conversation.bot_id,
            external_id=None,
            sender=Message.Sender.CUSTOMER,
            text=text,
            decide_now=False,  # the turn's task scores it
        )
        events.emit(events.CHAT_TURN_STORED, message_id=message.pk)  # answered by a task
    return message, started


def chat_turn_answer(*, message: Message, assistant: Assistant) -> str:
    """Answer one customer turn: the decision first, then a draft, its actions and the draft's
    own decision; the customer sees the draft only when nothing escalates. Safe to run twice."""
    conversation = Conversation.objects.get(pk=message.conversation_id)
    if conversation.status != Conversation.Status.AI:
        return "with a human"
    if conversation.messages.filter(pk__gt=message.pk).exists():
        return "already answered"  # or superseded by a newer turn, which its own task answers
    decision = turns.message_decide(message_id=message.pk)
    if decision["escalate"]:
        return "handed off"
    tools = ToolGate(conversation=conversation, turn=message)
    try:
        draft = assistant.draft_reply(
            conversation=conversation,
            tools=tools,
            handback_note=handback_note(conversation=conversation),
        )
    except AssistantUnavailable as exc:
        with transaction.atomic():  # the customer is told why, then the case is queued
            transcript.message_add(
                conversation=conversation, sender=Message.Sender.SYSTEM, text=UNAVAILABLE_NOTICE
            )
            return chat_handoff(
                conversation=conversation,
                message=message,
                triggers=[],
                reason=f"The assistant could not answer: {exc}",
            )
    if tools.escalated:  # an action handed off (a blocked one always does)
        return "handed off"
    decision = decisions.decision_for_draft(
        conversation=conversation, draft_text=draft.text, draft_confidence=draft.confidence
    )
    if decision["escalate"]:
        return chat_handoff(
            conversation=conversation,
            message=message,
            triggers=decision["triggers"],
            reason="",
        )
    try:
        turns.message_post(
            conversation_id=conversation.pk,
            bot_id=conversation.bot_id,
            external_id=f"reply-to-{message.pk}",
            sender=Message.Sender.AI,
            text=draft.text,
            confidence=draft.confidence,
        )
    except turns.ConversationClosed:
        return "with a human"
    return "answered"


def chat_handoff(
    *,
    conversation: Conversation,
    message: Message,
    triggers: list[dict[str, Any]],
    reason: str,
) -> str:
    """Queue the case for a person. The customer is told so in the thread, and where they are
    in the queue, live, in the status box (chat_status): not the notice of the moment of the
    handoff, which would go stale and repeat what the box says."""
    try:
        with transaction.atomic():
            handoff_create(
                conversation=conversation,
                external_id=f"turn-{message.pk}",
                triggers=triggers,
                reason=reason,
            )
    except HandoffAlreadyOpen:
        pass
    return "handed off"


def chat_contact_request(*, conversation: Conversation, email: str) -> None:
    """The customer would rather be written to than wait; the case stays queued with its
    packet, and the agent reads the address in the transcript."""
    with transaction.atomic():
        Customer.objects.filter(pk=conversation.customer_id).update(email=email)
        transcript.message_add(
            conversation=conversation,
            sender=Message.Sender.SYSTEM,
            text=f"The customer asked to be contacted by email at {email} instead of waiting.",
        )


def queue_wait_seconds(handoff: Handoff, *, ahead: int) -> int | None:
    """The wait from current capacity for a case with `ahead` cases before it; None while
    nobody is available."""
    now = capacity_estimate(team=handoff.team)
    return wait_estimate(
        available_agents=now.available_agents,
        total_slots=now.total_slots,
        free_slots=now.free_slots,
        queue_length=ahead,
        handle=now.median_handle_seconds,
    )


def chat_status(*, conversation: Conversation | None) -> dict[str, Any]:
    """What the customer is told about who is (or will be) with them."""
    if conversation is None:
        return {"state": "new"}
    handoff = conversation.handoffs.select_related("claimed_by").order_by("-pk").first()
    state = conversation.status
    status: dict[str, Any] = {"state": state, "handoff": handoff}
    if state == Conversation.Status.QUEUED and handoff is not None:
        ahead = Handoff.objects.filter(
            status=Handoff.Status.QUEUED, queued_at__lt=handoff.queued_at
        )
        if handoff.team_id:
            ahead = ahead.filter(team_id=handoff.team_id)
        position = ahead.count() + 1
        wait = queue_wait_seconds(handoff, ahead=position - 1)
        status |= {
            "position": position,
            "wait_minutes": None if wait is None else max(1, round(wait / 60)),
            "email": conversation.customer.email,
        }
    return status


def chat_page_context(conversation: Conversation | None, *, oob: bool = False) -> dict[str, Any]:
    thread = list(conversation.messages.select_related("agent")) if conversation is not None else []
    return {
        "conversation": conversation,
        "thread": thread,
        "status": chat_status(conversation=conversation),
        "oob": oob,
    }
