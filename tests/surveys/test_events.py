from typing import Any

import pytest
from django.core import mail

from escalation.handoff import handoff_claim, handoff_create, handoff_resolve
from escalation.models import AgentProfile, Handoff
from surveys.models import HandoffOutcome, Survey
from tests.factories import ConversationFactory, MessageFactory, agent_user

pytestmark = pytest.mark.django_db


def test_handoff_into_an_empty_queue_is_recorded(
    django_capture_on_commit_callbacks: Any,
) -> None:
    conversation = ConversationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        handoff, _ = handoff_create(conversation=conversation)
    assert HandoffOutcome.objects.get(handoff=handoff).agents_available_at_handoff is False


def test_handoff_with_an_available_agent_is_recorded(
    django_capture_on_commit_callbacks: Any,
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
