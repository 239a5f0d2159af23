"""The domain's events: the one place where a state change fans out, to the agent console and
customer chat sockets, to the bot's webhooks, to the surveys and to follow-up tasks. Domain
functions emit them; each app subscribes its reactions in its AppConfig.ready(), so the domain
imports none of the apps that react (they import it).

A reaction runs on commit, so nothing is announced that a rollback takes back. One subscribed
with `on_commit=False` runs at once, inside the emitter's transaction: for work that is part of
the state change (a webhook's delivery row, an audit line), for work that sets up its own
on-commit step, and for signals that change nothing (typing). Reactions run in the order they
were subscribed: the apps' ready() in INSTALLED_APPS order (escalation, agents_console,
surveys)."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from django.db import transaction

if TYPE_CHECKING:  # only the annotations: apps.py imports this module before the models load
    from escalation.models import Handoff, Message

# Each takes the keyword arguments its emitter below passes.
MESSAGE_STORED = "message_stored"  # message, has_handoffs
FIRST_CUSTOMER_TURN = "first_customer_turn"  # conversation_id
CUSTOMER_TYPING = "customer_typing"  # conversation_id, name
CHAT_TURN_STORED = "chat_turn_stored"  # message_id
HANDOFF_CREATED = "handoff_created"  # handoff
HANDOFF_SUMMARY_EXTRACTED = "handoff_summary_extracted"  # handoff
HANDOFF_SUMMARY_WRITTEN = "handoff_summary_written"  # handoff
HANDOFF_CLAIMED = "handoff_claimed"  # handoff
HANDOFF_RESOLVED = "handoff_resolved"  # handoff
HANDOFF_RETURNED = "handoff_returned"  # handoff
HANDOFF_HANDED_BACK = "handoff_handed_back"  # handoff
HANDOFF_ACTED_ON = "handoff_acted_on"  # handoff, actor, kind, detail
WEBHOOK_RECORDED = "webhook_recorded"  # delivery_id
CUSTOMER_ERASING = "customer_erasing"  # customer, handoffs
NAMES = frozenset(
    {
        MESSAGE_STORED,
        FIRST_CUSTOMER_TURN,
        CUSTOMER_TYPING,
        CHAT_TURN_STORED,
        HANDOFF_CREATED,
        HANDOFF_SUMMARY_EXTRACTED,
        HANDOFF_SUMMARY_WRITTEN,
        HANDOFF_CLAIMED,
        HANDOFF_RESOLVED,
        HANDOFF_RETURNED,
        HANDOFF_HANDED_BACK,
        HANDOFF_ACTED_ON,
        WEBHOOK_RECORDED,
        CUSTOMER_ERASING,
    }
)


@dataclass(frozen=True)
class Reaction:
    react: Callable[..., object]
    on_commit: bool


reactions: defaultdict[str, list[Reaction]] = defaultdict(list)


def subscribe(event: str, react: Callable[..., object], *, on_commit: bool = True) -> None:
    """Idempotent: Django may run an app's ready() twice (tests that reload the app registry)."""
    if event not in NAMES:
        raise ValueError(f"There is no event named {event!r}.")
    reaction = Reaction(react=react, on_commit=on_commit)
    if reaction not in reactions[event]:
        reactions[event].append(reaction)


def emit(event: str, **payload: Any) -> None:
    for reaction in reactions[event]:
        if reaction.on_commit:
            transaction.on_commit(partial(reaction.react, **payload))
        else:
            reaction.react(**payload)


def message_stored(
    message: "Message", *, first_customer_turn: bool = False, has_handoffs: bool | None = None
) -> None:
    """Any message: customer, AI, agent or system. `has_handoffs`: whether its conversation
    had ever had a case before this transaction, when the emitter read it (None: not known);
    without one, no case screen can show the message. The customer's first turn in a
    conversation may be them coming back about a problem a human resolved: first-contact
    resolution is judged again then, not only when the come-back window closes."""
    emit(MESSAGE_STORED, message=message, has_handoffs=has_handoffs)
    if first_customer_turn:
        emit(FIRST_CUSTOMER_TURN, conversation_id=message.conversation_id)


def handoff_created(handoff: "Handoff") -> None:
    """A conversation was queued for a human. When the summary is the extractive fallback (the
    bot sent none), a better one may be written: asked for after every other reaction, so
    that writing it never delays the handoff's announcement."""
    emit(HANDOFF_CREATED, handoff=handoff)
    if handoff.summary_source == handoff.SummarySource.EXTRACT:
        emit(HANDOFF_SUMMARY_EXTRACTED, handoff=handoff)


def handoff_summary_written(handoff: "Handoff") -> None:
    """The AI wrote the handoff's summary: it replaces the fallback on every screen."""
    emit(HANDOFF_SUMMARY_WRITTEN, handoff=handoff)


def handoff_claimed(handoff: "Handoff") -> None:
    """An agent took the case (the customer is told a person joined)."""
    emit(HANDOFF_CLAIMED, handoff=handoff)


def handoff_resolved(handoff: "Handoff") -> None:
    """The agent closed the case with an outcome."""
    emit(HANDOFF_RESOLVED, handoff=handoff)


def handoff_returned(handoff: "Handoff") -> None:
    """The case left its agent: back to the queue or back to the AI."""
    emit(HANDOFF_RETURNED, handoff=handoff)


def handoff_handed_back(handoff: "Handoff") -> None:
    """An agent gave the conversation back to the AI: a bot is told, with the agent's note."""
    emit(HANDOFF_HANDED_BACK, handoff=handoff)
    handoff_returned(handoff)


def handoff_acted_on(*, handoff: "Handoff", actor: Any, kind: str, detail: str = "") -> None:
    """Someone opened, moved or answered the case: the audit trail's line. Its reaction runs
    at once, inside the state change's transaction, so the line and the change it records
    are committed (or rolled back) together."""
    emit(HANDOFF_ACTED_ON, handoff=handoff, actor=actor, kind=kind, detail=detail)


def customer_typing(*, conversation_id: int, name: str) -> None:
    """The customer is typing in the web chat. Not a state change: nothing is stored, and it
    is passed on at once."""
    emit(CUSTOMER_TYPING, conversation_id=conversation_id, name=name)
