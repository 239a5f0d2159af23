import pytest

from escalation.models import Conversation, Handoff, Message
from tests.conftest import BotClient
from tests.support.factories import TeamFactory


def test_hands_off_with_the_packet(bot_client: BotClient, scope: None) -> None:
    conversation = bot_client.open_conversation()
    cid = conversation["id"]
    bot_client.post(
        f"/conversations/{cid}/messages",
        {"external_id": "m1", "sender": "customer", "text": "My order 1234 is late."},
    )
    bot_client.post(
        f"/conversations/{cid}/actions",
        {
            "external_id": "a1",
            "name": "lookup_order",
            "params": {"order": "1234"},
            "outcome": "succeeded",
            "detail": "delayed",
        },
    )

    response = bot_client.post(
        f"/conversations/{cid}/handoff",
        {"external_id": "h1", "summary": "Order 1234 is late.", "reason": "customer unhappy"},
    )

    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "queued"
    assert data["summary"] == "Order 1234 is late."
    assert data["identity"]["name"] == "Ana Gomez"
    assert data["identity"]["verified"] is True
    assert data["actions"][0]["name"] == "lookup_order"
    assert data["actions"][0]["outcome"] == "succeeded"
    assert Conversation.objects.get(pk=cid).status == "queued"
    assert Message.objects.filter(conversation_id=cid, sender="system").exists()


def test_without_a_summary_the_system_writes_one(bot_client: BotClient) -> None:
    cid = bot_client.open_conversation()["id"]
    bot_client.post(
        f"/conversations/{cid}/messages",
        {"external_id": "m1", "sender": "customer", "text": "I was charged twice."},
    )
    data = bot_client.post(f"/conversations/{cid}/handoff", {"external_id": "h1"}).json()
    assert "charged twice" in data["summary"]


def test_retry_returns_the_same_handoff(bot_client: BotClient) -> None:
    cid = bot_client.open_conversation()["id"]
    first = bot_client.post(f"/conversations/{cid}/handoff", {"external_id": "h1"})
    second = bot_client.post(f"/conversations/{cid}/handoff", {"external_id": "h1"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert Handoff.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [{"summary": "Another problem."}, {"reason": "another reason"}, {"team": "billing"}],
    ids=["summary", "reason", "team"],
)
def test_a_retry_with_other_values_is_an_idempotency_conflict(
    bot_client: BotClient, change: dict[str, str]
) -> None:
    TeamFactory(slug="shipping")
    TeamFactory(slug="billing")
    cid = bot_client.open_conversation()["id"]
    body = {"external_id": "h1", "summary": "Order late.", "reason": "asked", "team": "shipping"}
    bot_client.post(f"/conversations/{cid}/handoff", body)

    response = bot_client.post(f"/conversations/{cid}/handoff", body | change)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_conflict"
    handoff = Handoff.objects.get()
    assert (handoff.summary, handoff.reason, handoff.team.slug) == (
        "Order late.",
        "asked",
        "shipping",
    )


def test_a_retry_without_a_summary_answers_the_first(bot_client: BotClient) -> None:
    """With no summary the system writes one: the retry cannot differ from it."""
    cid = bot_client.open_conversation()["id"]
    first = bot_client.post(f"/conversations/{cid}/handoff", {"external_id": "h1"})
    retry = bot_client.post(f"/conversations/{cid}/handoff", {"external_id": "h1"})
    assert (retry.status_code, retry.json()) == (200, first.json())


def test_a_second_open_handoff_is_409(bot_client: BotClient) -> None:
    cid = bot_client.open_conversation()["id"]
    bot_client.post(f"/conversations/{cid}/handoff", {"external_id": "h1"})
    response = bot_client.post(f"/conversations/{cid}/handoff", {"external_id": "h2"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "handoff_open"
    assert Handoff.objects.count() == 1
