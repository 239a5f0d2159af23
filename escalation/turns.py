"""Conversations, their messages and the AI's actions: every state change the Bot API makes."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from escalation import decisions
from escalation.capacity import capacity_estimate
from escalation.detectors.encoder import encode
from escalation.idempotency import AlreadyStored, create_once, fields_changed
from escalation.models import AIAction, Bot, Conversation, Customer, Handoff, Message
from escalation.redaction import secrets_mask, secrets_mask_json
from escalation.transcript import message_add


@dataclass(frozen=True, kw_only=True)
class CustomerDetails:
    external_id: str
    name: str = ""
    email: str = ""
    phone: str = ""
    is_verified: bool = False
    verification_method: str = ""
    verified_at: datetime | None = None


def customer_upsert(*, bot: Bot, details: CustomerDetails) -> Customer:
    """The bot's latest word on who the customer is wins; an unverified claim never erases an
    earlier verification."""
    fields: dict[str, Any] = {
        "name": secrets_mask(details.name),  # bots have been seen to put a card number here
        "email": details.email,
        "phone": secrets_mask(details.phone),
    }
    if details.is_verified:
        fields |= {
            "is_verified": True,
            "verification_method": details.verification_method,
            "verified_at": details.verified_at or timezone.now(),
        }
    customer, created = create_once(
        Customer,
        lookup={"bot": bot, "external_id": details.external_id},
        create=lambda: Customer.objects.create(bot=bot, external_id=details.external_id, **fields),
    )
    if not created:
        changed = {k: v for k, v in fields.items() if v and getattr(customer, k) != v}
        if changed:
            Customer.objects.filter(pk=customer.pk).update(**changed)
            customer.refresh_from_db()
    return customer


def conversation_open(
    *,
    bot: Bot,
    external_id: str,
    channel: str,
    customer: CustomerDetails,
    callback_url: str = "",
    retry_must_match: bool = False,
) -> tuple[Conversation, bool]:
    """Open the bot's conversation once; a retry answers the stored one. With
    `retry_must_match` (the Bot API's promise), a retry naming another channel, callback URL
    or customer is refused: IdempotencyConflict."""

    def create() -> Conversation:
        return Conversation.objects.create(
            bot=bot,
            external_id=external_id,
            channel=channel,
            customer=customer_upsert(bot=bot, details=customer),
            callback_url=callback_url,
        )

    def changed(existing: Conversation) -> list[str]:
        expected = {
            "channel": channel,
            "callback_url": callback_url,
            "customer.external_id": customer.external_id,
        }
        return fields_changed(existing, expected)

    return create_once(
        Conversation,
        lookup={"bot": bot, "external_id": external_id},
        create=create,
        changed=changed if retry_must_match else None,
    )


# The bot's conversation under its lock, with its customer (a handoff's identity), whether it
# has ever had a case and whether the customer has spoken in it yet. Written as SQL because the
# ORM's query (select_for_update, two Exists annotations) costs more to build than the database
# takes to answer it, and it is the first thing every Bot API turn does. Measured 2026-12-02,
# Bot API turns in process (the test client, 8 conversations) in alternating one-second slices,
# this SQL against the ORM's query: SQLite 122.8 against 80.2 turns/s (-35%), PostgreSQL 78.9
# against 62.8 (-20%). (The recent turns, measured so, cost the same through the ORM:
# decisions.recent_turns.) Read through the cursor, not raw(): raw() cannot build the
# customer, and would hang the two answers on the conversation as attributes no one declares.
# Only the models' table and column names and a sender value are formatted in.
CONVERSATION_FIELDS = Conversation._meta.concrete_fields
CUSTOMER_FIELDS = Customer._meta.concrete_fields
CONVERSATION_COLUMNS = ", ".join(f"c.{field.column}" for field in CONVERSATION_FIELDS)
CUSTOMER_COLUMNS = ", ".join(f"cu.{field.column}" for field in CUSTOMER_FIELDS)
LOCKED_READ_SQL = (
    f"SELECT {CONVERSATION_COLUMNS}, {CUSTOMER_COLUMNS},"  # noqa: S608
    f" EXISTS (SELECT 1 FROM {Handoff._meta.db_table} h WHERE h.conversation_id = c.id),"
    f" EXISTS (SELECT 1 FROM {Message._meta.db_table} m WHERE m.conversation_id = c.id"
    f" AND m.sender = '{Message.Sender.CUSTOMER.value}')"
    f" FROM {Conversation._meta.db_table} c"
    f" JOIN {Customer._meta.db_table} cu ON cu.id = c.customer_id"
    " WHERE c.id = %s AND c.bot_id = %s"
)


@dataclass(frozen=True)
class LockedConversation:
    """The conversation read under its lock, which handoffs are made under too, and what the
    same read knows: whether it has ever had a case (`has_handoffs`: no case screen can show
    it, and no earlier hand-back left a note) and whether the customer has spoken in it yet
    (`has_customer_turns`: the next customer turn is their first)."""

    conversation: Conversation
    has_handoffs: bool
    has_customer_turns: bool


def model_from_row(model: type[Any], fields: Any, values: tuple[Any, ...]) -> Any:
    """An instance from its columns as the cursor gave them, converted as the ORM would (on
    SQLite a datetime arrives as text and a boolean as 0 or 1)."""
    converted = []
    for field, value in zip(fields, values, strict=True):
        column = field.get_col(model._meta.db_table)
        for convert in connection.ops.get_db_converters(column) + field.get_db_converters(
            connection
        ):
            value = convert(value, column, connection)
        converted.append(value)
    return model.from_db(connection.alias, [field.attname for field in fields], converted)


def conversation_locked(*, conversation_id: int, bot_id: int) -> LockedConversation:
    """Conversation.DoesNotExist when it is not the bot's."""
    sql = LOCKED_READ_SQL
    if connection.features.has_select_for_update_of:  # the conversation's row, not the customer's
        sql += " FOR UPDATE OF c"
    elif connection.features.has_select_for_update:
        sql += " FOR UPDATE"  # SQLite has neither: it locks the whole database instead
    with connection.cursor() as cursor:
        cursor.execute(sql, [conversation_id, bot_id])
        row = cursor.fetchone()
    if row is None:
        raise Conversation.DoesNotExist(f"No conversation {conversation_id} of bot {bot_id}.")
    split = len(CONVERSATION_FIELDS)
    conversation = model_from_row(Conversation, CONVERSATION_FIELDS, row[:split])
    conversation.customer = model_from_row(Customer, CUSTOMER_FIELDS, row[split:-2])
    return LockedConversation(
        conversation=conversation, has_handoffs=bool(row[-2]), has_customer_turns=bool(row[-1])
    )


class ConversationClosed(Exception):
    """The AI may not speak in a conversation a human has taken over."""


def message_post(
    *,
    conversation_id: int,
    bot_id: int,
    external_id: str | None,
    sender: str,
    text: str,
    confidence: float | None = None,
    sent_at: datetime | None = None,
    decide_now: bool = True,
    retry_must_match: bool = False,
    bot: Bot | None = None,
) -> tuple[Message, bool]:
    """Store a customer or AI turn and the decision it leads to; a retry returns the first
    (with `retry_must_match`, IdempotencyConflict when its sender, text or confidence differ).

    API callers wait for the decision (`decide_now`); the web chat stores the turn at once and
    leaves the scoring to its turn task, which runs the same message_decide. The conversation
    is read once, under its lock (conversation_locked); `bot`, when the caller has it (the
    Bot API's request), is attached to it, so that its webhook URL is not read again."""

    masked = secrets_mask(text)  # scored as it will be stored
    # Encoded before the lock is taken: the encoder's few milliseconds hold no other turn up.
    encoding = encode(masked) if sender == Message.Sender.CUSTOMER else None

    def create() -> Message:
        read = conversation_locked(conversation_id=conversation_id, bot_id=bot_id)
        locked = read.conversation
        if bot is not None and bot.pk == bot_id:
            locked.bot = bot
        if sender == Message.Sender.AI and locked.status in (
            Conversation.Status.QUEUED,
            Conversation.Status.WITH_AGENT,
        ):
            stored = external_id and locked.messages.filter(external_id=external_id).first()
            if stored:  # a retry of a turn stored before the handoff
                raise AlreadyStored(stored)
            raise ConversationClosed("The conversation has been handed to a human agent.")
        turn = Message(
            conversation=locked,
            sender=sender,
            text=masked,
            confidence=confidence,
            encoding=encoding,
        )
        decided = None
        if decide_now:
            decided = decisions.decision_before_storing(conversation=locked, message=turn)
        message = message_add(
            conversation=locked,
            external_id=external_id,
            sender=sender,
            text=masked,
            encoding=encoding,
            confidence=confidence,
            sent_at=sent_at,
            decision=None if isinstance(decided, decisions.Scored) else decided,
            has_customer_turns=read.has_customer_turns,
            has_handoffs=read.has_handoffs,
        )
        if isinstance(decided, decisions.Scored):  # it hands off
            message.decision = decisions.decision_act(
                conversation=locked, scored=decided, has_handoffs=read.has_handoffs
            )
            message.save(update_fields=["decision"])
        return message

    if external_id is None:
        with transaction.atomic():
            return create(), True
    expected = {"sender": sender, "text": masked, "confidence": confidence}
    return create_once(
        Message,
        lookup={"conversation_id": conversation_id, "external_id": external_id},
        create=create,
        changed=(lambda stored: fields_changed(stored, expected)) if retry_must_match else None,
        retries_are_rare=True,
    )


def message_decide(*, message_id: int) -> dict[str, Any]:
    """Score one stored turn and act on it, once: a second run (a retried or duplicated task)
    finds the decision already there and changes nothing."""
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message_id)
        if message.decision is not None:
            return message.decision
        conversation = Conversation.objects.select_for_update().get(pk=message.conversation_id)
        return decision_store(message=message, conversation=conversation)


def decision_store(*, message: Message, conversation: Conversation) -> dict[str, Any]:
    """Score a stored turn, act on it and keep the decision with it; the caller holds the
    conversation's lock (and the message's, or has just inserted it)."""
    message.decision = decisions.decision_after_message(conversation=conversation, message=message)
    message.save(update_fields=["decision"])
    return message.decision


def held_conversations_rescore() -> int:
    """Capacity changed: conversations whose soft signals were held back are judged again on
    their latest turn, and hand off if someone can now take them."""
    count = 0
    capacity = capacity_estimate()
    waiting = Conversation.objects.filter(status=Conversation.Status.AI, held_soft_signals__gt=0)
    for conversation_id in waiting.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
            latest = conversation.messages.filter(
                sender__in=[Message.Sender.CUSTOMER, Message.Sender.AI]
            ).last()
            if conversation.status != Conversation.Status.AI or latest is None:
                continue
            decision = decisions.decision_after_message(
                conversation=conversation, message=latest, capacity=capacity
            )
            count += bool(decision["escalate"])
    return count


def action_record(
    *,
    conversation: Conversation,
    external_id: str,
    name: str,
    params: dict[str, Any],
    outcome: str | None,
    detail: str = "",
    summary: str = "",
    retry_must_match: bool = False,
) -> tuple[AIAction, bool]:
    """Record an action the AI took or wants to take, checked against its authorised scope;
    `summary` is what the AI would hand over if the action makes it hand off. A retry returns
    the first record (with `retry_must_match`, IdempotencyConflict when its name, params,
    outcome or detail differ)."""
    masked_params = secrets_mask_json(params)
    masked_detail = secrets_mask(detail)
    reported_outcome = outcome or AIAction.Outcome.SUCCEEDED

    def create() -> AIAction:
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        action = AIAction(
            conversation=locked,
            external_id=external_id,
            name=name,
            params=masked_params,
            outcome=reported_outcome,
            detail=masked_detail,
        )
        action.save()
        action.decision = decisions.decision_after_action(
            conversation=locked, action=action, summary=summary
        )
        action.save(update_fields=["decision"])
        return action

    def changed(stored: AIAction) -> list[str]:
        expected: dict[str, Any] = {"name": name, "params": masked_params, "detail": masked_detail}
        if not stored.rule:  # a blocked action is stored as blocked, whatever was reported
            expected["outcome"] = reported_outcome
        return fields_changed(stored, expected)

    return create_once(
        AIAction,
        lookup={"conversation": conversation, "external_id": external_id},
        create=create,
        changed=changed if retry_must_match else None,
    )
