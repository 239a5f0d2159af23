from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from agents_console.models import AuditEvent, CaseViewer
from escalation.models import Handoff, Message
from tests.agents_console.conftest import logged_in
from tests.factories import HandoffFactory, MessageFactory


def test_case_shows_identity_summary_actions_and_triggers(
    agent_client: Client, queued: Handoff
) -> None:
    content = agent_client.get(f"/console/cases/{queued.pk}/").content.decode()

    assert "Tom Becker" in content
    assert "Verified by login" in content
    assert queued.identity["email"] in content
    assert "Order 1234 is late." in content
    assert "<strong>Blocked by rule issue_credit.amount ≤ 50 (asked 80)</strong>" in content
    assert "low_confidence" in content and "confidence 0.3" in content


def test_unverified_customer_is_flagged(agent_client: Client) -> None:
    handoff = HandoffFactory(conversation__customer__is_verified=False)

    content = agent_client.get(f"/console/cases/{handoff.pk}/").content.decode()

    assert "<strong>Unverified.</strong>" in content


def test_transcript_tells_senders_apart_and_marks_the_handoff(
    agent_client: Client, claimed: Handoff
) -> None:
    MessageFactory(conversation=claimed.conversation, sender="customer", text="Hello?")

    content = agent_client.get(f"/console/cases/{claimed.pk}/").content.decode()

    assert "from-customer" in content and "from-system" in content
    assert 'class="handoff-marker"' in content
    assert content.index('class="handoff-marker"') < content.index("has joined")


def test_owner_gets_a_suggested_opening_line(agent_client: Client, claimed: Handoff) -> None:
    MessageFactory(
        conversation=claimed.conversation,
        sender="customer",
        text="My order 1234 is a week late.",
        sent_at=claimed.queued_at - timedelta(minutes=1),
    )
    content = agent_client.get(f"/console/cases/{claimed.pk}/").content.decode()

    assert "Hi Tom, I&#x27;ve read your messages about “My order 1234 is a week late”" in content
    assert "the credit could not be done automatically" in content


def test_another_agents_case_is_read_only(other_agent: Any, claimed: Handoff) -> None:
    content = logged_in(other_agent).get(f"/console/cases/{claimed.pk}/").content.decode()

    assert 'id="reply-text"' not in content
    assert "Read-only: Ana Silva is working this case." in content


def test_opening_a_case_is_audited(agent_client: Client, agent: Any, queued: Handoff) -> None:
    agent_client.get(f"/console/cases/{queued.pk}/")

    assert AuditEvent.objects.filter(handoff=queued, actor=agent, kind="opened").exists()


def test_audit_trail_is_shown(agent_client: Client, claimed: Handoff) -> None:
    content = agent_client.get(f"/console/cases/{claimed.pk}/").content.decode()

    assert "Ana Silva — Claimed" in content


def test_transcript_poll_partial(agent_client: Client, claimed: Handoff) -> None:
    response = agent_client.get(
        f"/console/cases/{claimed.pk}/?poll=1", headers={"HX-Request": "true"}
    )

    content = response.content.decode()
    assert content.lstrip().startswith('<div id="transcript"')
    assert 'hx-trigger="every 5s"' in content
    assert Message.objects.filter(conversation=claimed.conversation).count() == content.count(
        'class="message '
    )


def test_transcript_partial_keeps_the_handoff_marker(
    agent_client: Client, claimed: Handoff
) -> None:
    response = agent_client.get(f"/console/cases/{claimed.pk}/", headers={"HX-Request": "true"})

    assert 'class="handoff-marker"' in response.content.decode()


def test_case_names_the_other_viewers_not_yourself(
    agent: Any, other_agent: Any, agent_client: Client, queued: Handoff
) -> None:
    now = timezone.now()
    for user, channel in ((agent, "tab-1"), (agent, "tab-2"), (other_agent, "tab-3")):
        CaseViewer.objects.create(handoff=queued, user=user, channel_name=channel, seen_at=now)

    content = agent_client.get(f"/console/cases/{queued.pk}/").content.decode()

    assert "Also viewing: Ben Okafor<" in content


def test_why_it_escalated_says_each_reason_once(agent_client: Client) -> None:
    evidence = "blocked by rule issue_credit.amount ≤ 50 (asked 80)"
    trigger = {"kind": "out_of_scope", "fired": True, "evidence": evidence}
    repeated = HandoffFactory(reason=evidence, triggers=[trigger])
    own_words = HandoffFactory(reason="Customer is a VIP", triggers=[trigger])

    repeated_page = agent_client.get(f"/console/cases/{repeated.pk}/").content.decode()
    own_page = agent_client.get(f"/console/cases/{own_words.pk}/").content.decode()

    assert repeated_page.count(evidence) == 1
    assert "Customer is a VIP" in own_page and evidence in own_page
