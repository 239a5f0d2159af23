from collections import defaultdict
from typing import Any

import pytest
from django.db import transaction

from escalation import events
from escalation.handoff import handoff_create
from escalation.models import TriggerPolicy
from tests.support.factories import ConversationFactory


@pytest.fixture
def no_reactions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events, "reactions", defaultdict(list))


def reaction_names(callbacks: list[Any]) -> list[str]:
    return [getattr(callback, "func", callback).__name__ for callback in callbacks]


@pytest.mark.django_db
def test_a_new_handoff_is_announced_before_its_summary_is_asked_for(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Every app's reaction, in order: the model writing the summary (slow, and in-process
    with eager Celery) comes last, so it never delays the handoff reaching the queue."""
    conversation = ConversationFactory(callback_url="https://bot.example/hooks")
    TriggerPolicy.current()  # stored now, not by the handoff's routing

    with django_capture_on_commit_callbacks() as callbacks:
        handoff_create(conversation=conversation)

    assert reaction_names(callbacks) == [
        "message_stored",  # the console: the "Handed off" line
        "webhook_deliver_queue",  # the bot's handoff.created
        "handoff_created",  # the console: the queue row and the alert
        "after_handoff_created",  # the surveys: was anyone there to take it (a task)
        "handoff_summary_write_queue",
    ]


def test_a_reaction_runs_on_commit_unless_it_is_part_of_the_change(
    no_reactions: None, transactional_db: None
) -> None:
    seen: list[str] = []
    events.subscribe(
        events.HANDOFF_ACTED_ON, lambda **payload: seen.append("at once"), on_commit=False
    )
    events.subscribe(events.HANDOFF_CLAIMED, lambda **payload: seen.append("on commit"))

    with transaction.atomic():
        events.emit(events.HANDOFF_CLAIMED, handoff=None)
        events.emit(events.HANDOFF_ACTED_ON, handoff=None)
        assert seen == ["at once"]
    assert seen == ["at once", "on commit"]

    with pytest.raises(RuntimeError), transaction.atomic():
        events.emit(events.HANDOFF_CLAIMED, handoff=None)
        raise RuntimeError
    assert seen == ["at once", "on commit"]  # a rollback announces nothing


def test_subscribing_twice_reacts_once(no_reactions: None) -> None:
    """An app's ready() may run again when tests reload the app registry."""
    seen: list[int] = []

    def react(*, conversation_id: int) -> None:
        seen.append(conversation_id)

    events.subscribe(events.FIRST_CUSTOMER_TURN, react, on_commit=False)
    events.subscribe(events.FIRST_CUSTOMER_TURN, react, on_commit=False)
    events.emit(events.FIRST_CUSTOMER_TURN, conversation_id=7)

    assert seen == [7]


def test_an_unknown_event_cannot_be_subscribed_to(no_reactions: None) -> None:
    with pytest.raises(ValueError, match="handoff_exploded"):
        events.subscribe("handoff_exploded", print)
