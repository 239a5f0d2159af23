from typing import Any

from escalation.held import NO_AGENT, held_signals
from escalation.models import AgentProfile, Conversation, Handoff, Message
from tests.agents_console.conftest import logged_in
from tests.conftest import BotClient
from tests.support.factories import agent_user, console_agent


def test_answers_a_decision_and_stores_no_message(bot_client: BotClient) -> None:
    conversation = bot_client.open_conversation()
    response = bot_client.post(
        f"/conversations/{conversation['id']}/evaluate",
        {"draft_text": "Your order ships tomorrow.", "draft_confidence": 0.9},
    )
    assert response.status_code == 200
    assert response.json()["escalate"] is False
    assert not Message.objects.exists()


def test_confidence_is_required(bot_client: BotClient) -> None:
    conversation = bot_client.open_conversation()
    response = bot_client.post(f"/conversations/{conversation['id']}/evaluate", {"draft_text": "x"})
    assert response.status_code == 422
    assert "draft_confidence" in response.json()["error"]["message"]


def test_confidence_must_be_a_json_number(bot_client: BotClient) -> None:
    conversation = bot_client.open_conversation()
    response = bot_client.post(
        f"/conversations/{conversation['id']}/evaluate", {"draft_confidence": False}
    )
    assert response.status_code == 422
    assert "draft_confidence" in response.json()["error"]["message"]


def evaluate(bot_client: BotClient, cid: int, confidence: float) -> dict[str, Any]:
    response = bot_client.post(
        f"/conversations/{cid}/evaluate",
        {"draft_text": "Maybe it ships tomorrow?", "draft_confidence": confidence},
    )
    assert response.status_code == 200, response.content
    return dict(response.json())


def customer_says(bot_client: BotClient, cid: int, n: int) -> None:
    body = {"external_id": f"c{n}", "sender": "customer", "text": f"Question number {n}"}
    assert bot_client.post(f"/conversations/{cid}/messages", body).status_code == 201


def test_a_bot_that_only_evaluates_reaches_the_guard(bot_client: BotClient) -> None:
    """Nobody is available: each unsure draft the bot then keeps to itself is held and
    counted; after max_held_soft_signals (3) the next one hands off."""
    cid = bot_client.open_conversation()["id"]
    decisions = []
    for n in range(4):
        customer_says(bot_client, cid, n)
        decisions.append(evaluate(bot_client, cid, 0.1))

    assert [(d["held"], d["held_count"]) for d in decisions[:3]] == [
        (True, 1),
        (True, 2),
        (True, 3),
    ]
    assert decisions[3]["escalate"] is True
    assert decisions[3]["held"] is False


def test_a_retried_evaluate_counts_its_signal_once(bot_client: BotClient) -> None:
    cid = bot_client.open_conversation()["id"]
    customer_says(bot_client, cid, 1)

    first, retry = evaluate(bot_client, cid, 0.1), evaluate(bot_client, cid, 0.1)

    assert (first["held_count"], retry["held_count"]) == (1, 1)
    assert Conversation.objects.get(pk=cid).held_soft_signals == 1


def test_the_draft_evaluate_held_then_sent_counts_once(bot_client: BotClient) -> None:
    cid = bot_client.open_conversation()["id"]
    customer_says(bot_client, cid, 1)
    assert evaluate(bot_client, cid, 0.1)["held"] is True

    body = {"external_id": "a1", "sender": "ai", "text": "Maybe it ships tomorrow?"}
    sent = bot_client.post(f"/conversations/{cid}/messages", body | {"confidence": 0.1})

    assert (sent.json()["decision"]["held"], sent.json()["decision"]["held_count"]) == (True, 1)
    assert Conversation.objects.get(pk=cid).held_soft_signals == 1


def test_the_openapi_document_shows_whether_a_signal_was_held(bot_client: BotClient) -> None:
    schema = bot_client.get("/openapi.json").json()

    decision = schema["components"]["schemas"]["DecisionOut"]["properties"]

    assert decision["held"]["type"] == "boolean"
    assert decision["held_count"]["type"] == "integer"


def handed_off(bot_client: BotClient, cid: int) -> tuple[Handoff, str]:
    """The bot hands off; an agent opens the case: its "Why it escalated" panel."""
    response = bot_client.post(f"/conversations/{cid}/handoff", {"external_id": "h1"})
    assert response.status_code == 201, response.content
    handoff = Handoff.objects.get(pk=response.json()["id"])
    page = logged_in(console_agent(presence="away")).get(f"/console/cases/{handoff.pk}/")
    content = page.content.decode()
    return handoff, content[content.index('id="h-why"') : content.index('id="h-history"')]


def test_a_draft_held_back_is_listed_on_the_case_once_however_often_evaluated(
    bot_client: BotClient,
) -> None:
    """Nobody is available: the unsure draft is held; the bot asks about it three times, then
    hands off. The agent sees that low confidence was held back, once."""
    cid = bot_client.open_conversation()["id"]
    customer_says(bot_client, cid, 1)
    answers = [evaluate(bot_client, cid, 0.1) for _ in range(3)]
    assert [a["held"] for a in answers] == [True, True, True]

    handoff, why = handed_off(bot_client, cid)

    [signal] = held_signals(handoff=handoff)
    [trigger] = answers[0]["triggers"]
    assert (signal.kind, signal.why) == ("low_confidence", NO_AGENT)
    assert (signal.score, signal.threshold) == (trigger["score"], trigger["threshold"])
    assert signal.evidence == trigger["evidence"]
    assert "Held back before the handoff (1)" in why
    assert f"score {trigger['score']:.2f} (threshold {trigger['threshold']:.2f})" in why
    assert f"held: {NO_AGENT}" in why


def test_drafts_on_later_customer_turns_are_listed_each(bot_client: BotClient) -> None:
    cid = bot_client.open_conversation()["id"]
    for n in range(2):
        customer_says(bot_client, cid, n)
        evaluate(bot_client, cid, 0.1)

    handoff, why = handed_off(bot_client, cid)

    assert [s.kind for s in held_signals(handoff=handoff)] == ["low_confidence"] * 2
    assert "Held back before the handoff (2)" in why


def test_a_draft_that_escalated_or_fired_nothing_is_not_listed(bot_client: BotClient) -> None:
    AgentProfile.objects.create(user=agent_user(), presence=AgentProfile.Presence.AVAILABLE)
    cid = bot_client.open_conversation()["id"]
    customer_says(bot_client, cid, 1)
    assert evaluate(bot_client, cid, 0.95)["triggers"][0]["fired"] is False
    escalated = evaluate(bot_client, cid, 0.1)
    assert (escalated["escalate"], escalated["held"]) == (True, False)

    handoff, why = handed_off(bot_client, cid)

    assert held_signals(handoff=handoff) == []
    assert "Held back" not in why


def test_the_draft_evaluate_held_then_sent_is_listed_once(bot_client: BotClient) -> None:
    """The sent reply holds the same signal at the same point: the turn's record is the
    draft's."""
    cid = bot_client.open_conversation()["id"]
    customer_says(bot_client, cid, 1)
    evaluate(bot_client, cid, 0.1)
    body = {"external_id": "a1", "sender": "ai", "text": "Maybe?", "confidence": 0.1}
    assert bot_client.post(f"/conversations/{cid}/messages", body).json()["decision"]["held"]

    handoff, why = handed_off(bot_client, cid)

    assert len(held_signals(handoff=handoff)) == 1
    assert "Held back before the handoff (1)" in why
