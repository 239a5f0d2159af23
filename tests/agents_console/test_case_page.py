from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from agents_console.models import AuditEvent, CaseViewer
from escalation.models import Handoff, Message
from tests.agents_console.conftest import logged_in
from tests.support.factories import HandoffFactory, MessageFactory


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

    assert "Claimed by Ana Silva" in content


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


def test_a_case_the_sweep_returned_opens_and_names_the_system(
    agent: Any, other_agent: Any, claimed: Handoff
) -> None:
    from agents_console.tasks import console_sweep
    from escalation.models import AgentProfile

    AgentProfile.objects.filter(user=agent).update(presence="away")
    console_sweep()

    response = logged_in(other_agent).get(f"/console/cases/{claimed.pk}/")

    assert response.status_code == 200
    assert "Returned to the queue by the system: Ana Silva was away" in response.content.decode()


def test_a_note_whose_author_was_deleted_still_shows(
    agent_client: Client, other_agent: Any, claimed: Handoff
) -> None:
    from agents_console.models import Note

    Note.objects.create(handoff=claimed, author=other_agent, text="Check the chargeback first.")
    other_agent.delete()

    content = agent_client.get(f"/console/cases/{claimed.pk}/").content.decode()

    assert "<strong>A former colleague</strong>" in content
    assert "Check the chargeback first." in content


def test_the_case_page_is_headed_by_the_customer_and_case(
    agent_client: Client, queued: Handoff
) -> None:
    content = agent_client.get(f"/console/cases/{queued.pk}/").content.decode()

    assert content.count("<h1") == 1
    assert f'Tom Becker <span class="muted">· Case {queued.pk}</span></h1>' in content


def test_an_agent_at_capacity_is_told_why_instead_of_offered_the_claim(db: None) -> None:
    from escalation.handoff import handoff_claim
    from tests.support.factories import console_agent

    agent = console_agent(username="cat", first_name="Cat", max_cases=1)
    handoff_claim(handoff=HandoffFactory(), agent=agent)
    waiting = HandoffFactory()

    content = logged_in(agent).get(f"/console/cases/{waiting.pk}/").content.decode()

    assert "Claim this case" not in content
    assert "Cat already holds 1 case(s), the most allowed (1)." in content


def test_an_agent_with_room_is_offered_the_claim(agent_client: Client, queued: Handoff) -> None:
    content = agent_client.get(f"/console/cases/{queued.pk}/").content.decode()

    assert "Claim this case" in content
