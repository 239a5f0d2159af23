"""The one place where a committed state change fans out: to the agent console and customer chat
sockets, to the bot's webhooks and to follow-up tasks. Domain functions call these; each sends
its work on commit, so nothing is announced that a rollback takes back."""

from django.db import transaction

from escalation.models import Handoff, Message


def message_stored(message: Message) -> None:
    """Any message: customer, AI, agent or system."""


def handoff_created(handoff: Handoff) -> None:
    """A conversation was queued for a human."""
    from surveys import tasks as surveys_tasks

    transaction.on_commit(lambda: surveys_tasks.after_handoff_created(handoff.pk))


def handoff_claimed(handoff: Handoff) -> None:
    """An agent took the case (the customer is told a person joined)."""


def handoff_resolved(handoff: Handoff) -> None:
    """The agent closed the case with an outcome."""
    from surveys import tasks as surveys_tasks

    transaction.on_commit(lambda: surveys_tasks.after_handoff_resolved(handoff.pk))


def handoff_returned(handoff: Handoff) -> None:
    """The case left its agent: back to the queue or back to the AI."""
    from surveys import tasks as surveys_tasks

    transaction.on_commit(lambda: surveys_tasks.outcome_compute.delay(handoff.pk))
