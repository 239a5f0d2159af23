from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agents_console.views import TRANSCRIPT_RECENT
from escalation.models import Handoff, Message


def add_messages(handoff: Handoff, count: int) -> None:
    now = timezone.now()
    senders = ["customer", "ai", "agent", "system"]
    Message.objects.bulk_create(
        Message(
            conversation=handoff.conversation,
            sender=senders[i % 4],
            text=f"line {i}",
            agent=handoff.claimed_by if i % 4 == 2 else None,
            sent_at=now,
        )
        for i in range(count)
    )


def case_queries(client: Client, handoff: Handoff) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/console/cases/{handoff.pk}/")
    assert response.status_code == 200
    return len(queries)


def test_case_screen_queries_do_not_grow_with_the_transcript(
    agent_client: Client, claimed: Handoff
) -> None:
    add_messages(claimed, 10)
    at_ten = case_queries(agent_client, claimed)

    add_messages(claimed, 990)
    at_thousand = case_queries(agent_client, claimed)

    assert at_ten == at_thousand
    assert at_thousand <= 20


def test_long_transcript_shows_the_latest_lines_and_links_the_earlier(
    agent_client: Client, claimed: Handoff
) -> None:
    add_messages(claimed, 1000)
    latest = Message.objects.filter(conversation=claimed.conversation).latest("id")

    content = agent_client.get(f"/console/cases/{claimed.pk}/").content.decode()

    assert content.count('class="message ') == TRANSCRIPT_RECENT
    assert f'id="message-{latest.pk}"' in content
    assert f"/console/cases/{claimed.pk}/?all=1" in content


def test_the_whole_transcript_is_one_link_away(agent_client: Client, claimed: Handoff) -> None:
    add_messages(claimed, 1000)

    content = agent_client.get(f"/console/cases/{claimed.pk}/?all=1").content.decode()

    assert (
        content.count('class="message ')
        == Message.objects.filter(conversation=claimed.conversation).count()
    )
    assert "Show the earlier messages" not in content
