from typing import Any

import pytest

from agents_console.models import AuditEvent
from escalation.handoff import AgentAtCapacity, HandoffUnavailable, handoff_claim, handoff_resolve
from escalation.models import AgentProfile, Conversation, Handoff, Message
from tests.agents_console.conftest import logged_in
from tests.conftest import BotClient
from tests.support.factories import HandoffFactory, bot_with_key, console_agent
from tests.support.race import race


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


@pytest.mark.django_db(transaction=True)
def test_a_double_clicked_resolve_closes_the_case_once() -> None:
    agent = console_agent()
    handoff = handoff_claim(handoff=HandoffFactory(), agent=agent)

    def click() -> int:
        client = logged_in(agent)
        url = f"/console/cases/{handoff.pk}/resolve/"
        return int(client.post(url, {"resolution": "resolved"}).status_code)

    statuses = race(2, click)

    assert sorted(statuses) == [302, 302]  # the second sees a notice, not an error
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.RESOLVED
    closing = Message.objects.filter(
        conversation_id=handoff.conversation_id, text="The conversation was marked resolved."
    )
    assert closing.count() == 1
    assert AuditEvent.objects.filter(handoff=handoff, kind="resolved").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_a_customer_message_during_the_resolve_is_kept_and_the_case_stays_closed(
    round_: int,
) -> None:
    bot, key = bot_with_key(name=f"bot-{round_}")
    agent = console_agent()
    handoff = handoff_claim(handoff=HandoffFactory(conversation__bot=bot), agent=agent)
    cid = handoff.conversation_id
    actions = iter(["resolve", "message"])

    def act() -> str:
        if next(actions) == "resolve":
            handoff_resolve(
                handoff=Handoff.objects.get(pk=handoff.pk), agent=agent, resolution="resolved"
            )
            return "resolved"
        body = {"external_id": "late-1", "sender": "customer", "text": "Thanks, one more thing"}
        return str(BotClient(bot, key).post(f"/conversations/{cid}/messages", body).status_code)

    assert sorted(race(2, act)) == ["201", "resolved"]
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.RESOLVED
    assert Conversation.objects.get(pk=cid).status == Conversation.Status.RESOLVED
    late = Message.objects.get(conversation_id=cid, external_id="late-1")
    closing = Message.objects.get(conversation_id=cid, text__contains="marked resolved")
    assert late.decision is not None
    if late.pk < closing.pk:  # it came first: the case was still with its agent
        assert late.decision["handoff"]["id"] == handoff.pk
    else:  # it came after: a fresh turn, no new handoff for a thank-you
        assert late.decision["escalate"] is False
    assert Handoff.objects.filter(conversation_id=cid).count() == 1
