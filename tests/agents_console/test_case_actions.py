from typing import Any

import pytest
from django.test import Client

from agents_console.models import AuditEvent, Note
from escalation.handoff import handoff_claim
from escalation.models import AgentProfile, Conversation, Handoff, Message
from tests.agents_console.conftest import logged_in
from tests.support.factories import HandoffFactory


def test_claim_gives_the_case_and_opens_it(
    agent_client: Client, agent: Any, queued: Handoff
) -> None:
    response = agent_client.post(f"/console/cases/{queued.pk}/claim/")

    assert response.status_code == 302
    assert response["Location"] == f"/console/cases/{queued.pk}/"
    queued.refresh_from_db()
    assert (queued.status, queued.claimed_by) == ("claimed", agent)


def test_htmx_claim_redirects_the_browser(agent_client: Client, queued: Handoff) -> None:
    response = agent_client.post(
        f"/console/cases/{queued.pk}/claim/", headers={"HX-Request": "true"}
    )

    assert response["HX-Redirect"] == f"/console/cases/{queued.pk}/"


def test_losing_claim_sees_who_won(other_agent: Any, claimed: Handoff) -> None:
    response = logged_in(other_agent).post(f"/console/cases/{claimed.pk}/claim/", follow=True)

    assert "This case was already taken by Ana Silva." in response.content.decode()
    claimed.refresh_from_db()
    assert claimed.claimed_by.username == "ana"


def test_losing_htmx_claim_gets_an_inline_notice(other_agent: Any, claimed: Handoff) -> None:
    response = logged_in(other_agent).post(
        f"/console/cases/{claimed.pk}/claim/", headers={"HX-Request": "true"}
    )

    assert 'role="alert"' in response.content.decode()
    assert "already taken" in response.content.decode()


def test_agent_at_max_load_cannot_claim(agent: Any, agent_client: Client) -> None:
    AgentProfile.objects.filter(user=agent).update(max_concurrent_cases=1)
    handoff_claim(handoff=HandoffFactory(), agent=agent)
    second = HandoffFactory()

    response = agent_client.post(f"/console/cases/{second.pk}/claim/", follow=True)

    assert "the most allowed (1)" in response.content.decode()
    second.refresh_from_db()
    assert second.status == "queued"


def test_claim_next_takes_the_most_urgent(agent_client: Client, agent: Any) -> None:
    HandoffFactory()
    urgent = HandoffFactory(triggers=[{"kind": "out_of_scope", "fired": True}])

    agent_client.post("/console/claim-next/")

    urgent.refresh_from_db()
    assert urgent.claimed_by == agent


def test_owner_reply_goes_into_the_same_conversation(
    agent_client: Client, agent: Any, claimed: Handoff
) -> None:
    agent_client.post(f"/console/cases/{claimed.pk}/reply/", {"text": "Hi Tom, on it."})

    message = Message.objects.filter(conversation=claimed.conversation).last()
    assert (message.sender, message.text, message.agent) == ("agent", "Hi Tom, on it.", agent)
    assert AuditEvent.objects.filter(handoff=claimed, kind="replied", actor=agent).exists()


def test_reply_by_another_agent_is_refused(other_agent: Any, claimed: Handoff) -> None:
    response = logged_in(other_agent).post(
        f"/console/cases/{claimed.pk}/reply/", {"text": "Me too!"}, follow=True
    )

    assert "Only the agent who claimed this case can reply" in response.content.decode()
    assert not Message.objects.filter(sender="agent").exists()


def test_htmx_reply_returns_an_empty_reply_box(agent_client: Client, claimed: Handoff) -> None:
    response = agent_client.post(
        f"/console/cases/{claimed.pk}/reply/", {"text": "Hello"}, headers={"HX-Request": "true"}
    )

    content = response.content.decode()
    assert content.lstrip().startswith('<div id="reply">')
    assert "></textarea>" in content


def test_reply_to_a_queued_case_is_refused(agent_client: Client, queued: Handoff) -> None:
    agent_client.post(f"/console/cases/{queued.pk}/reply/", {"text": "Hi"})

    assert not Message.objects.filter(sender="agent").exists()


def test_note_is_stored_and_not_sent_to_the_customer(
    agent_client: Client, claimed: Handoff
) -> None:
    before = Message.objects.count()

    agent_client.post(f"/console/cases/{claimed.pk}/notes/", {"text": "VIP, be kind"})

    assert Note.objects.get(handoff=claimed).text == "VIP, be kind"
    assert Message.objects.count() == before


def test_notes_are_escaped(agent_client: Client, claimed: Handoff) -> None:
    agent_client.post(f"/console/cases/{claimed.pk}/notes/", {"text": "<script>x</script>"})

    content = agent_client.get(f"/console/cases/{claimed.pk}/").content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in content


@pytest.mark.parametrize("resolution", ["resolved", "not_resolved", "follow_up"])
def test_resolve_with_outcome_and_note(
    agent_client: Client, claimed: Handoff, resolution: str
) -> None:
    agent_client.post(
        f"/console/cases/{claimed.pk}/resolve/", {"resolution": resolution, "note": "done"}
    )

    claimed.refresh_from_db()
    assert (claimed.status, claimed.resolution, claimed.resolution_note) == (
        "resolved",
        resolution,
        "done",
    )
    assert AuditEvent.objects.filter(handoff=claimed, kind="resolved").exists()


def test_resolve_needs_a_known_outcome(agent_client: Client, claimed: Handoff) -> None:
    agent_client.post(f"/console/cases/{claimed.pk}/resolve/", {"resolution": "maybe"})

    claimed.refresh_from_db()
    assert claimed.status == "claimed"


def test_another_agent_cannot_resolve(other_agent: Any, claimed: Handoff) -> None:
    logged_in(other_agent).post(f"/console/cases/{claimed.pk}/resolve/", {"resolution": "resolved"})

    claimed.refresh_from_db()
    assert claimed.status == "claimed"


def test_return_to_queue_tells_the_customer(agent_client: Client, claimed: Handoff) -> None:
    agent_client.post(f"/console/cases/{claimed.pk}/release/")

    claimed.refresh_from_db()
    assert (claimed.status, claimed.claimed_by) == ("queued", None)
    assert claimed.conversation.status == Conversation.Status.QUEUED
    last = Message.objects.filter(conversation=claimed.conversation).last()
    assert last.sender == "system" and "back in the queue" in last.text


def test_another_agent_cannot_return_a_case_to_the_queue(
    other_agent: Any, claimed: Handoff
) -> None:
    logged_in(other_agent).post(f"/console/cases/{claimed.pk}/release/")

    claimed.refresh_from_db()
    assert claimed.status == "claimed"


def test_hand_back_returns_the_conversation_to_the_ai_with_the_note(
    agent_client: Client, claimed: Handoff
) -> None:
    agent_client.post(f"/console/cases/{claimed.pk}/hand-back/", {"note": "Credit issued."})

    claimed.refresh_from_db()
    conversation = Conversation.objects.get(pk=claimed.conversation_id)
    assert claimed.status == Handoff.Status.RETURNED
    assert conversation.status == Conversation.Status.AI
    assert conversation.handed_back_at is not None  # soft triggers wait for the grace
    assert claimed.resolution_note == "Credit issued."  # for the assistant, not the customer
    assert "Credit issued." not in conversation.messages.last().text


def test_hand_back_needs_a_note(agent_client: Client, claimed: Handoff) -> None:
    agent_client.post(f"/console/cases/{claimed.pk}/hand-back/", {"note": ""})

    claimed.refresh_from_db()
    assert claimed.status == "claimed"


def test_supervisor_assigns_a_queued_case(
    supervisor: Any, other_agent: Any, queued: Handoff
) -> None:
    logged_in(supervisor).post(f"/console/cases/{queued.pk}/assign/", {"agent": other_agent.pk})

    queued.refresh_from_db()
    assert (queued.status, queued.claimed_by) == ("claimed", other_agent)
    assert AuditEvent.objects.get(handoff=queued, kind="assigned").actor == supervisor


def test_supervisor_reassigns_a_claimed_case(
    supervisor: Any, other_agent: Any, claimed: Handoff
) -> None:
    logged_in(supervisor).post(f"/console/cases/{claimed.pk}/assign/", {"agent": other_agent.pk})

    claimed.refresh_from_db()
    assert claimed.claimed_by == other_agent


def test_agent_cannot_assign(agent_client: Client, other_agent: Any, queued: Handoff) -> None:
    response = agent_client.post(f"/console/cases/{queued.pk}/assign/", {"agent": other_agent.pk})

    assert response.status_code == 403


def test_assign_respects_the_agents_max_load(
    supervisor: Any, other_agent: Any, queued: Handoff
) -> None:
    AgentProfile.objects.filter(user=other_agent).update(max_concurrent_cases=1)
    handoff_claim(handoff=HandoffFactory(), agent=other_agent)

    response = logged_in(supervisor).post(
        f"/console/cases/{queued.pk}/assign/", {"agent": other_agent.pk}, follow=True
    )

    assert "the most allowed (1)" in response.content.decode()
