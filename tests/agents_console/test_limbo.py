from datetime import timedelta
from typing import Any

import time_machine
from django.utils import timezone

from agents_console.limbo import cases_release_stale
from agents_console.tasks import console_sweep
from escalation.handoff import handoff_reply
from escalation.models import AgentProfile, Handoff, Message, TriggerPolicy


def test_case_of_an_agent_who_went_away_returns_to_the_queue(agent: Any, claimed: Handoff) -> None:
    AgentProfile.objects.filter(user=agent).update(presence="away")

    assert cases_release_stale() == [claimed.pk]
    claimed.refresh_from_db()
    assert claimed.status == "queued"
    last = Message.objects.filter(conversation=claimed.conversation).last()
    assert "the agent went away" in last.text


def test_case_not_answered_within_the_policy_time_returns_to_the_queue(
    claimed: Handoff,
) -> None:
    TriggerPolicy.objects.filter(pk=TriggerPolicy.current().pk).update(
        agent_reply_timeout_minutes=5
    )

    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        released = cases_release_stale()

    assert released == [claimed.pk]
    assert "did not answer in time" in claimed.conversation.messages.last().text


def test_answered_case_stays_with_its_agent(agent: Any, claimed: Handoff) -> None:
    TriggerPolicy.objects.filter(pk=TriggerPolicy.current().pk).update(
        agent_reply_timeout_minutes=5
    )
    handoff_reply(handoff=claimed, agent=agent, text="Hi Tom")

    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert cases_release_stale() == []


def test_customer_waiting_too_long_after_the_agents_answer_returns_it(
    agent: Any, claimed: Handoff
) -> None:
    TriggerPolicy.objects.filter(pk=TriggerPolicy.current().pk).update(
        agent_reply_timeout_minutes=5
    )
    handoff_reply(handoff=claimed, agent=agent, text="Hi Tom")
    Message.objects.create(
        conversation=claimed.conversation,
        sender="customer",
        text="Still there?",
        sent_at=timezone.now() + timedelta(seconds=1),
    )

    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert cases_release_stale() == [claimed.pk]


def test_sweep_task_expires_presence_then_releases(agent: Any, claimed: Handoff) -> None:
    AgentProfile.objects.filter(user=agent).update(last_seen_at=timezone.now() - timedelta(hours=1))

    assert console_sweep() == {"expired": 1, "released": 1}


def test_sweep_is_a_no_op_the_second_time(agent: Any, claimed: Handoff) -> None:
    AgentProfile.objects.filter(user=agent).update(presence="away")
    cases_release_stale()

    assert cases_release_stale() == []
