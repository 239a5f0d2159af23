import time
from datetime import timedelta

import pytest
from django.utils import timezone

from escalation import transcript, turns
from escalation.models import AgentProfile, Conversation, Handoff, Message
from escalation.tasks import (
    held_conversations_rescore_task,
    message_decide_task,
    undecided_messages_sweep,
)
from tests.support.factories import ConversationFactory, agent_user
from tests.support.live import eventually


def customer_says(conversation: Conversation, text: str) -> Message:
    return transcript.message_add(conversation=conversation, sender="customer", text=text)


@pytest.mark.django_db(transaction=True)
def test_scoring_the_same_turn_twice_makes_one_handoff(celery_worker: None) -> None:
    conversation = ConversationFactory()
    message = customer_says(conversation, "get me a human, now")

    for _ in range(2):
        message_decide_task.delay(message.pk)

    eventually(lambda: Handoff.objects.filter(conversation=conversation).exists())
    time.sleep(0.5)  # time for the second delivery to make a second handoff, were it wrong
    assert Handoff.objects.filter(conversation=conversation).count() == 1
    message.refresh_from_db()
    assert message.decision["escalate"] is True


@pytest.mark.django_db(transaction=True)
def test_a_stored_turn_is_scored_by_the_worker(celery_worker: None) -> None:
    conversation = ConversationFactory()
    message, created = turns.message_post(
        conversation_id=conversation.pk,
        bot_id=conversation.bot_id,
        external_id=None,
        sender="customer",
        text="I want to talk to a person",
        decide_now=False,
    )
    assert created
    assert Message.objects.get(pk=message.pk).decision is None

    message_decide_task.delay(message.pk)

    eventually(lambda: Handoff.objects.filter(conversation=conversation).count() == 1)


def test_the_sweep_rescores_overdue_turns(db: None) -> None:
    conversation = ConversationFactory()
    message = customer_says(conversation, "operator please")
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=5))

    assert undecided_messages_sweep.apply().get() == 1
    if Handoff.objects.filter(conversation=conversation).exists():  # eager: ran inline
        message.refresh_from_db()
        assert message.decision["escalate"] is True


def test_held_conversations_hand_off_when_an_agent_becomes_available(db: None) -> None:
    conversation = ConversationFactory()
    turns.message_post(
        conversation_id=conversation.pk,
        bot_id=conversation.bot_id,
        external_id="m1",
        sender="customer",
        text="This is ridiculous, useless, I am so fed up!!!",
    )
    conversation.refresh_from_db()
    assert conversation.held_soft_signals == 1
    assert not Handoff.objects.exists()

    AgentProfile.objects.create(user=agent_user(), presence=AgentProfile.Presence.AVAILABLE)

    assert held_conversations_rescore_task.apply().get() == 1
    assert Handoff.objects.filter(conversation=conversation, status="queued").count() == 1


def test_judging_a_held_turn_again_does_not_count_it_again(db: None) -> None:
    """The periodic rescore asks about the same turn each minute: one signal, not one a
    minute (which would reach the try-too-long guard by the clock)."""
    conversation = ConversationFactory()
    turns.message_post(
        conversation_id=conversation.pk,
        bot_id=conversation.bot_id,
        external_id="m1",
        sender="customer",
        text="This is ridiculous, useless, I am so fed up!!!",
    )

    for _ in range(4):
        assert held_conversations_rescore_task.apply().get() == 0

    conversation.refresh_from_db()
    assert conversation.held_soft_signals == 1
    assert not Handoff.objects.exists()
