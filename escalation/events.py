"""The one place where a committed state change fans out: to the agent console and customer chat
sockets, to the bot's webhooks and to follow-up tasks. Domain functions call these; each sends
its work on commit, so nothing is announced that a rollback takes back."""

from django.db import transaction

from agents_console import broadcast
from escalation import webhooks
from escalation.backends import outage_safe
from escalation.models import Handoff, Message
from escalation.webchat import consumer


def message_stored(message: Message, *, first_customer_turn: bool = False) -> None:
    """Any message: customer, AI, agent or system. The customer's first turn in a conversation
    may be them coming back about a problem a human resolved: first-contact resolution is
    judged again then, not only when the come-back window closes."""
    webhooks.webhook_on_message_stored(message)
    consumer.chat_on_message_stored(message)
    transaction.on_commit(lambda: broadcast.message_stored(message))
    if first_customer_turn:
        from surveys import tasks as surveys_tasks

        conversation_id = message.conversation_id
        transaction.on_commit(
            lambda: outage_safe.task_send(surveys_tasks.came_back_judge, conversation_id)
        )


def handoff_created(handoff: Handoff) -> None:
    """A conversation was queued for a human."""
    webhooks.webhook_on_handoff_created(handoff)
    consumer.chat_on_handoff_changed(handoff)
    transaction.on_commit(lambda: broadcast.handoff_changed(handoff.pk, is_new=True))
    from surveys import tasks as surveys_tasks

    transaction.on_commit(lambda: surveys_tasks.after_handoff_created(handoff.pk))
    from escalation import llm, tasks

    if handoff.summary_source == Handoff.SummarySource.EXTRACT and llm.llm_client() is not None:
        # Written after the handoff is queued, never delaying it; the fallback shows meanwhile.
        transaction.on_commit(
            lambda: outage_safe.task_send(tasks.handoff_summary_write_task, handoff.pk)
        )


def handoff_summary_written(handoff: Handoff) -> None:
    """The AI wrote the handoff's summary: it replaces the fallback on every screen."""
    transaction.on_commit(lambda: broadcast.handoff_summary_changed(handoff.pk))


def handoff_claimed(handoff: Handoff) -> None:
    """An agent took the case (the customer is told a person joined)."""
    webhooks.webhook_on_handoff_claimed(handoff)
    consumer.chat_on_handoff_changed(handoff)
    transaction.on_commit(lambda: broadcast.handoff_changed(handoff.pk))


def handoff_resolved(handoff: Handoff) -> None:
    """The agent closed the case with an outcome."""
    webhooks.webhook_on_handoff_resolved(handoff)
    consumer.chat_on_handoff_changed(handoff)
    transaction.on_commit(lambda: broadcast.handoff_changed(handoff.pk))
    from surveys import tasks as surveys_tasks

    transaction.on_commit(lambda: surveys_tasks.after_handoff_resolved(handoff.pk))


def handoff_returned(handoff: Handoff) -> None:
    """The case left its agent: back to the queue or back to the AI."""
    consumer.chat_on_handoff_changed(handoff)
    transaction.on_commit(lambda: broadcast.handoff_changed(handoff.pk))
    from surveys import tasks as surveys_tasks

    transaction.on_commit(lambda: outage_safe.task_send(surveys_tasks.outcome_compute, handoff.pk))


def handoff_handed_back(handoff: Handoff) -> None:
    """An agent gave the conversation back to the AI: a bot is told, with the agent's note."""
    webhooks.webhook_on_handoff_handed_back(handoff)
    handoff_returned(handoff)


def customer_typing(*, conversation_id: int, name: str) -> None:
    """The customer is typing in the web chat. Not a state change: nothing is stored, and it
    is passed on at once."""
    broadcast.customer_typing(conversation_id=conversation_id, name=name)
