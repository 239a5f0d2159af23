from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from escalation.handoff import handoff_claim, handoff_create, handoff_hand_back, handoff_resolve
from escalation.models import AgentProfile, Handoff
from escalation.turns import message_post
from surveys.indicators import outcome_compute
from surveys.models import HandoffOutcome, Survey
from tests.support.factories import ConversationFactory, MessageFactory, agent_user
from tests.surveys.conftest import resolved_case

PROBLEM = "My parcel never arrived, order 1234 is missing"

pytestmark = pytest.mark.django_db


def test_handoff_into_an_empty_queue_is_recorded(
    django_capture_on_commit_callbacks: Any, eager_celery: None
) -> None:
    conversation = ConversationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        handoff, _ = handoff_create(conversation=conversation)
    assert HandoffOutcome.objects.get(handoff=handoff).agents_available_at_handoff is False


def test_handoff_with_an_available_agent_is_recorded(
    django_capture_on_commit_callbacks: Any, eager_celery: None
) -> None:
    AgentProfile.objects.create(user=agent_user(), presence=AgentProfile.Presence.AVAILABLE)
    with django_capture_on_commit_callbacks(execute=True):
        handoff, _ = handoff_create(conversation=ConversationFactory())
    assert HandoffOutcome.objects.get(handoff=handoff).agents_available_at_handoff is True


def test_resolving_computes_the_outcome_and_sends_the_survey(
    django_capture_on_commit_callbacks: Any, eager_celery: None
) -> None:
    conversation = ConversationFactory()
    MessageFactory(conversation=conversation, text="My parcel for order 1234 never arrived")
    agent = agent_user()
    with django_capture_on_commit_callbacks(execute=True):
        handoff, _ = handoff_create(conversation=conversation)
        handoff = handoff_claim(handoff=handoff, agent=agent)
        handoff_resolve(handoff=handoff, agent=agent, resolution=Handoff.Resolution.RESOLVED)
    outcome = HandoffOutcome.objects.get(handoff=handoff)
    assert outcome.repeated is False
    assert outcome.first_contact_resolved is None
    assert Survey.objects.filter(handoff=handoff).count() == 1
    assert len(mail.outbox) == 1


def test_a_customer_back_about_the_same_problem_is_judged_at_their_first_turn(
    django_capture_on_commit_callbacks: Any, eager_celery: None
) -> None:
    """Not only by the hourly task: the new conversation's first customer turn settles it."""
    resolved = resolved_case(before=[PROBLEM], after=[], start=timezone.now() - timedelta(days=2))
    outcome_compute(handoff=resolved)
    assert HandoffOutcome.objects.get(handoff=resolved).first_contact_resolved is None
    customer = resolved.conversation.customer
    later = ConversationFactory(bot=customer.bot, customer=customer)

    with django_capture_on_commit_callbacks(execute=True):
        message_post(
            conversation_id=later.pk,
            bot_id=later.bot_id,
            external_id="back-1",
            sender="customer",
            text="My parcel for order 1234 still never arrived",
        )

    outcome = HandoffOutcome.objects.get(handoff=resolved)
    assert outcome.first_contact_resolved is False
    assert "came back" in outcome.fcr_reason


def test_a_later_turn_in_the_same_conversation_judges_nothing_again(
    django_capture_on_commit_callbacks: Any,
) -> None:
    conversation = ConversationFactory()
    MessageFactory(conversation=conversation, text="Hello")

    with django_capture_on_commit_callbacks() as callbacks:
        message_post(
            conversation_id=conversation.pk,
            bot_id=conversation.bot_id,
            external_id="again",
            sender="customer",
            text="My parcel for order 1234 still never arrived",
        )

    assert not [c for c in callbacks if "came_back_judge" in repr(c)]


def test_a_case_handed_back_to_the_ai_is_judged_on_commit(
    django_capture_on_commit_callbacks: Any, eager_celery: None
) -> None:
    conversation = ConversationFactory()
    MessageFactory(conversation=conversation, text=PROBLEM)
    agent = agent_user()
    handoff, _ = handoff_create(conversation=conversation)
    handoff = handoff_claim(handoff=handoff, agent=agent)

    with django_capture_on_commit_callbacks(execute=True):
        handoff_hand_back(handoff=handoff, agent=agent, note="Only the tracking is left.")

    assert HandoffOutcome.objects.get(handoff=handoff).computed_at is not None
