from datetime import timedelta
from typing import Any, cast

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from escalation.models import Conversation, Customer, Handoff
from surveys.models import HandoffOutcome, Survey
from tests.support.factories import ConversationFactory, HandoffFactory, MessageFactory


def earlier_case(customer: Customer, *, hours_ago: int, agent: Any = None, **extra: Any) -> Handoff:
    queued = timezone.now() - timedelta(hours=hours_ago)
    handoff = cast(
        Handoff,
        HandoffFactory(
            conversation=ConversationFactory(customer=customer, bot=customer.bot),
            queued_at=queued,
            status=Handoff.Status.RESOLVED,
            claimed_by=agent,
            claimed_at=queued if agent else None,
            resolved_at=queued + timedelta(minutes=20),
            resolution=Handoff.Resolution.RESOLVED,
            triggers=[{"kind": "distress", "fired": True}],
            **extra,
        ),
    )
    return handoff


def ai_only_conversation(customer: Customer, *, hours_ago: int, text: str) -> Conversation:
    conversation = cast(Conversation, ConversationFactory(customer=customer, bot=customer.bot))
    Conversation.objects.filter(pk=conversation.pk).update(
        created_at=timezone.now() - timedelta(hours=hours_ago)
    )
    MessageFactory(conversation=conversation, text=text)
    return conversation


def history_of(client: Client, handoff: Handoff) -> str:
    content = client.get(f"/console/cases/{handoff.pk}/").content.decode()
    start = content.index('id="h-history"')
    return content[start : content.index("</section>", start)]


def test_earlier_cases_show_when_why_who_how_it_ended_survey_and_repeat(
    agent_client: Client, agent: Any, queued: Handoff
) -> None:
    earlier = earlier_case(queued.conversation.customer, hours_ago=3, agent=agent)
    HandoffOutcome.objects.create(handoff=earlier, repeated=True)
    Survey.objects.create(handoff=earlier, answered_at=timezone.now(), did_help=False)

    history = history_of(agent_client, queued)

    assert f'href="/console/cases/{earlier.pk}/"' in history
    assert "distress" in history
    assert "Resolved · Ana Silva" in history
    assert "Survey: did not help" in history
    assert "repeated themselves: yes" in history


def test_history_is_newest_first_and_includes_conversations_the_ai_kept(
    agent_client: Client, queued: Handoff
) -> None:
    customer = queued.conversation.customer
    older = earlier_case(customer, hours_ago=5)
    ai_only_conversation(customer, hours_ago=3, text="What are your opening hours?")
    newer = earlier_case(customer, hours_ago=1)

    history = history_of(agent_client, queued)

    assert "What are your opening hours?" in history
    assert "with the AI only" in history
    positions = [
        history.index(f"case {newer.pk}<"),
        history.index("with the AI only"),
        history.index(f"case {older.pk}<"),
    ]
    assert positions == sorted(positions)


def test_other_customers_cases_are_not_in_the_history(
    agent_client: Client, queued: Handoff
) -> None:
    stranger = earlier_case(ConversationFactory().customer, hours_ago=2)

    history = history_of(agent_client, queued)

    assert f"/console/cases/{stranger.pk}/" not in history
    assert "No earlier contacts." in history


def case_queries(client: Client, handoff: Handoff) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/console/cases/{handoff.pk}/").status_code == 200
    return len(queries)


def test_the_history_costs_the_same_queries_however_long_it_is(
    agent_client: Client, agent: Any, queued: Handoff
) -> None:
    customer = queued.conversation.customer
    earlier = earlier_case(customer, hours_ago=30, agent=agent)
    HandoffOutcome.objects.create(handoff=earlier, repeated=False)
    ai_only_conversation(customer, hours_ago=29, text="Hello")
    with_one = case_queries(agent_client, queued)

    for hours in range(2, 14):
        case = earlier_case(customer, hours_ago=hours, agent=agent)
        HandoffOutcome.objects.create(handoff=case, repeated=True)
        Survey.objects.create(handoff=case, answered_at=timezone.now(), did_help=True)
        ai_only_conversation(customer, hours_ago=hours, text=f"Question {hours}")
    with_many = case_queries(agent_client, queued)

    assert with_one == with_many
