"""Each trigger through the Bot API: the decision escalates and the packet holds all four parts."""

from typing import Any

import pytest

from escalation.models import AgentProfile, AIAction, Conversation, Handoff
from tests.conftest import BotClient
from tests.support.factories import agent_user


@pytest.fixture
def agent_available(db: None) -> AgentProfile:
    return AgentProfile.objects.create(user=agent_user(), presence=AgentProfile.Presence.AVAILABLE)


def say(bot_client: BotClient, cid: int, n: int, text: str, **extra: Any) -> dict[str, Any]:
    body = {"external_id": f"m{n}", "sender": "customer", "text": text} | extra
    response = bot_client.post(f"/conversations/{cid}/messages", body)
    assert response.status_code == 201, response.content
    return response.json()["decision"]


def assert_full_packet(decision: dict[str, Any], kind: str) -> dict[str, Any]:
    assert decision["escalate"] is True
    handoff = decision["handoff"]
    assert handoff["identity"]["name"] == "Ana Gomez"  # 1. identity
    assert handoff["identity"]["verified"] is True
    assert handoff["summary"]  # 3. summary
    assert isinstance(handoff["actions"], list)  # 4. what the AI tried
    assert any(t["kind"] == kind and t["fired"] for t in handoff["triggers"])
    assert all(
        {"kind", "fired", "score", "threshold", "evidence"} <= set(t) for t in decision["triggers"]
    )
    assert decision["customer_notice"]
    return handoff


def test_human_requested_hands_off_on_the_first_ask(
    bot_client: BotClient, scope: None, agent_available: AgentProfile
) -> None:
    cid = bot_client.open_conversation()["id"]
    say(bot_client, cid, 1, "My order 1234 never arrived.")
    bot_client.post(
        f"/conversations/{cid}/actions",
        {
            "external_id": "a1",
            "name": "lookup_order",
            "params": {"order": "1234"},
            "outcome": "succeeded",
            "detail": "lost",
        },
    )

    decision = say(bot_client, cid, 2, "can I talk to a real person please")

    handoff = assert_full_packet(decision, "human_requested")
    assert handoff["actions"][0]["name"] == "lookup_order"
    transcript = bot_client.get(f"/conversations/{cid}").json()["messages"]  # 2. transcript
    assert [m["text"] for m in transcript[:2]] == [
        "My order 1234 never arrived.",
        "can I talk to a real person please",
    ]
    assert [m["sender"] for m in transcript] == ["customer", "customer", "system"]  # the notice
    assert Conversation.objects.get(pk=cid).status == "queued"
    retried = bot_client.post(
        f"/conversations/{cid}/messages",
        {"external_id": "m2", "sender": "customer", "text": "can I talk to a real person please"},
    )
    assert retried.status_code == 200
    assert retried.json()["decision"] == decision  # stored with the turn, answered again


def test_out_of_scope_action_is_blocked_with_its_rule_and_hands_off(
    bot_client: BotClient, scope: None
) -> None:
    cid = bot_client.open_conversation()["id"]
    say(bot_client, cid, 1, "I want 80 EUR back for the late delivery.")

    response = bot_client.post(
        f"/conversations/{cid}/actions",
        {
            "external_id": "a1",
            "name": "issue_credit",
            "params": {"amount": 80, "currency": "EUR"},
        },
    )

    data = response.json()
    assert data["allowed"] is False
    assert data["outcome"] == "blocked"
    assert "issue_credit.amount ≤ 50" in data["rule"]
    handoff = assert_full_packet(data["decision"], "out_of_scope")
    assert handoff["actions"][0]["outcome"] == "blocked"
    assert AIAction.objects.get().rule == data["rule"]


def test_low_confidence_on_evaluate_says_escalate_before_the_reply_is_sent(
    bot_client: BotClient, agent_available: AgentProfile
) -> None:
    cid = bot_client.open_conversation()["id"]
    say(bot_client, cid, 1, "Can you explain clause 14b of the contract?")

    decision = bot_client.post(
        f"/conversations/{cid}/evaluate", {"draft_text": "Maybe?", "draft_confidence": 0.2}
    ).json()

    assert decision["escalate"] is True
    assert decision["triggers"][0]["kind"] == "low_confidence"
    assert decision["handoff"] is None
    assert not Handoff.objects.exists()
    handoff = bot_client.post(f"/conversations/{cid}/handoff", {"external_id": "h1"}).json()
    assert "clause 14b" in handoff["summary"]


def test_low_confidence_ai_message_hands_off(
    bot_client: BotClient, agent_available: AgentProfile
) -> None:
    cid = bot_client.open_conversation()["id"]
    say(bot_client, cid, 1, "Can you explain clause 14b of the contract?")
    decision = say(bot_client, cid, 2, "I think so?", sender="ai", confidence=0.1)
    assert_full_packet(decision, "low_confidence")


def test_distress_hands_off_when_an_agent_is_available(
    bot_client: BotClient, agent_available: AgentProfile
) -> None:
    cid = bot_client.open_conversation()["id"]
    decision = say(bot_client, cid, 1, "This is RIDICULOUS, the third time I ask. Useless!!!")
    assert_full_packet(decision, "distress")


def test_with_nobody_available_distress_is_held_then_handed_off_by_the_guard(
    bot_client: BotClient,
) -> None:
    """max_held_soft_signals = 3 (the default): three signals are held, the fourth hands off."""
    cid = bot_client.open_conversation()["id"]
    angry = "This is ridiculous, useless service, I am fed up!!!"
    held = [say(bot_client, cid, n, f"{angry} ({n})") for n in (1, 2, 3)]
    assert [d["escalate"] for d in held] == [False, False, False]
    assert any(t["kind"] == "distress" and t["fired"] for t in held[0]["triggers"])
    assert Conversation.objects.get(pk=cid).held_soft_signals == 3

    fourth = say(bot_client, cid, 4, angry + " Still nothing!")

    assert fourth["escalate"] is True
    assert fourth["estimated_wait_seconds"] is None
    assert "No one from our support team is available" in fourth["customer_notice"]


def test_a_held_signal_says_so_and_how_many_so_far(bot_client: BotClient) -> None:
    cid = bot_client.open_conversation()["id"]
    angry = "This is ridiculous, useless service, I am fed up!!!"

    decisions = [say(bot_client, cid, n, f"{angry} ({n})") for n in (1, 2)]

    assert [(d["held"], d["held_count"]) for d in decisions] == [(True, 1), (True, 2)]
    calm = say(bot_client, cid, 3, "Where is my order 1234?")
    assert (calm["held"], calm["held_count"]) == (False, 2)


def test_with_nobody_available_a_hard_trigger_still_hands_off_honestly(
    bot_client: BotClient,
) -> None:
    cid = bot_client.open_conversation()["id"]
    decision = say(bot_client, cid, 1, "get me a human")
    assert decision["escalate"] is True
    assert decision["handoff"]["status"] == "queued"
    assert "queued" in decision["customer_notice"]


def test_busy_agents_give_an_honest_wait(bot_client: BotClient, db: None) -> None:
    profile = AgentProfile.objects.create(
        user=agent_user(), presence=AgentProfile.Presence.AVAILABLE, max_concurrent_cases=1
    )
    busy = bot_client.open_conversation("busy")["id"]
    say(bot_client, busy, 1, "agent please")
    Handoff.objects.filter(conversation_id=busy).update(status="claimed", claimed_by=profile.user)

    cid = bot_client.open_conversation()["id"]
    decision = say(bot_client, cid, 1, "I want to speak to someone")

    assert decision["estimated_wait_seconds"] == 600
    assert "you're next in line, about 10 minutes" in decision["customer_notice"]


def test_calm_conversation_continues(bot_client: BotClient, agent_available: AgentProfile) -> None:
    cid = bot_client.open_conversation()["id"]
    decision = say(bot_client, cid, 1, "Where is my order 1234?")
    assert decision["escalate"] is False
    assert {t["kind"] for t in decision["triggers"]} == {"human_requested", "distress"}
    assert not any(t["fired"] for t in decision["triggers"])


def test_distress_handed_back_to_the_ai_does_not_escalate_again(
    bot_client: BotClient,
) -> None:
    from escalation.handoff import handoff_claim, handoff_hand_back
    from tests.support.factories import console_agent

    agent = console_agent()
    cid = bot_client.open_conversation()["id"]
    say(bot_client, cid, 1, "This is RIDICULOUS, useless, I am fed up!!!")
    handoff = Handoff.objects.get(conversation_id=cid)
    handoff_claim(handoff=handoff, agent=agent)
    handoff_hand_back(handoff=handoff, agent=agent, note="Calmed down; order ships today.")

    again = say(bot_client, cid, 2, "Still ridiculous and useless, honestly!!!")

    assert again["escalate"] is False
    distress = next(t for t in again["triggers"] if t["kind"] == "distress")
    assert distress["fired"] is False and "handed back" in distress["evidence"]
    assert Conversation.objects.get(pk=cid).status == "ai"
    assert say(bot_client, cid, 3, "get me a human")["escalate"] is True


def test_the_notice_and_the_wait_are_of_the_team_the_case_goes_to(
    bot_client: BotClient, db: None
) -> None:
    """Another team's free agent does not make the wait of a busy team's queue sound short."""
    from tests.support.factories import TeamFactory

    billing = TeamFactory(slug="billing", is_default=True)
    busy = AgentProfile.objects.create(
        user=agent_user(), presence=AgentProfile.Presence.AVAILABLE, max_concurrent_cases=1
    )
    busy.teams.add(billing)
    free = AgentProfile.objects.create(user=agent_user(), presence=AgentProfile.Presence.AVAILABLE)
    free.teams.add(TeamFactory(slug="shipping"))
    first = bot_client.open_conversation("first")["id"]
    say(bot_client, first, 1, "agent please")
    Handoff.objects.filter(conversation_id=first).update(status="claimed", claimed_by=busy.user)

    cid = bot_client.open_conversation()["id"]
    decision = say(bot_client, cid, 1, "I want to speak to someone")

    assert decision["handoff"]["estimated_wait_seconds"] == 600
    assert decision["estimated_wait_seconds"] == 600
    assert "you're next in line, about 10 minutes" in decision["customer_notice"]
