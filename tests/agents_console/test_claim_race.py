from typing import Any

import pytest

from escalation.handoff import AgentAtCapacity, HandoffUnavailable, handoff_claim
from escalation.models import AgentProfile, Handoff, Message
from tests.escalation.test_api_concurrency import race
from tests.factories import HandoffFactory, console_agent


def claim_outcomes(handoff: Handoff, agents: list[Any]) -> list[str]:
    pending = iter(agents)

    def attempt() -> str:
        agent = next(pending)
        try:
            handoff_claim(handoff=Handoff.objects.get(pk=handoff.pk), agent=agent)
        except AgentAtCapacity:
            return "full"
        except HandoffUnavailable:
            return "lost"
        return "won"

    return race(len(agents), attempt)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("count", [2, 20])
def test_exactly_one_agent_wins_a_claim_race(count: int) -> None:
    handoff = HandoffFactory()
    agents = [console_agent() for _ in range(count)]

    outcomes = claim_outcomes(handoff, agents)

    assert sorted(outcomes) == ["lost"] * (count - 1) + ["won"]
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.CLAIMED
    joined = Message.objects.filter(conversation_id=handoff.conversation_id, sender="system")
    assert joined.count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_agent_racing_for_two_cases_stays_under_max_load() -> None:
    agent = console_agent(max_cases=1)
    first, second = HandoffFactory(), HandoffFactory()
    handoffs = iter([first, second])

    def attempt() -> str:
        try:
            handoff_claim(handoff=next(handoffs), agent=agent)
        except AgentAtCapacity:
            return "full"
        return "won"

    assert sorted(race(2, attempt)) == ["full", "won"]
    assert Handoff.objects.filter(claimed_by=agent).count() == 1
    assert AgentProfile.objects.get(user=agent).max_concurrent_cases == 1
