import time
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from agents_console.models import ConsoleSettings
from agents_console.requeue import cases_release_stale
from agents_console.tasks import console_sweep
from escalation.handoff import handoff_claim, handoff_reply
from escalation.models import AgentProfile, Handoff, Message
from escalation.processes import EagerBeat
from tests.support.factories import HandoffFactory, console_agent


def reply_timeout_set(*, minutes: int) -> None:
    ConsoleSettings.objects.update_or_create(
        pk=1, defaults={"agent_reply_timeout_minutes": minutes}
    )


def test_case_of_an_agent_who_went_away_returns_to_the_queue(agent: Any, claimed: Handoff) -> None:
    AgentProfile.objects.filter(user=agent).update(presence="away")

    assert cases_release_stale() == [claimed.pk]
    claimed.refresh_from_db()
    assert claimed.status == "queued"
    last = Message.objects.filter(conversation=claimed.conversation).last()
    assert "Ana Silva was away" in last.text


def test_case_not_answered_within_the_reply_timeout_returns_to_the_queue(
    claimed: Handoff,
) -> None:
    reply_timeout_set(minutes=5)

    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        released = cases_release_stale()

    assert released == [claimed.pk]
    assert "Ana Silva did not answer in time" in claimed.conversation.messages.last().text


def test_answered_case_stays_with_its_agent(agent: Any, claimed: Handoff) -> None:
    reply_timeout_set(minutes=5)
    handoff_reply(handoff=claimed, agent=agent, text="Hi Tom")

    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert cases_release_stale() == []


def test_customer_waiting_too_long_after_the_agents_answer_returns_it(
    agent: Any, claimed: Handoff
) -> None:
    reply_timeout_set(minutes=5)
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


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_the_serving_process_runs_the_sweep(settings: Any) -> None:
    """On the embedded defaults no Celery beat runs; the serving process's own beat still
    marks a silent agent away and returns their case to the queue."""
    settings.CONSOLE_PRESENCE_GRACE_SECONDS = 0
    agent = console_agent(username="ana")
    handoff = handoff_claim(handoff=HandoffFactory(), agent=agent)
    AgentProfile.objects.filter(user=agent).update(
        last_seen_at=timezone.now() - timedelta(minutes=5)
    )
    beat = EagerBeat(
        {"sweep": {"task": "agents_console.tasks.console_sweep", "schedule": 0.05}}, tick=0.05
    )

    beat.start()
    try:
        deadline = time.monotonic() + 10
        while Handoff.objects.get(pk=handoff.pk).status != "queued" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        beat.stop()

    assert AgentProfile.objects.get(user=agent).presence == "away"
    assert Handoff.objects.get(pk=handoff.pk).status == "queued"
