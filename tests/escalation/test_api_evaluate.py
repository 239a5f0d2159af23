from typing import Any

from escalation.models import Conversation, Message
from tests.conftest import BotClient


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
