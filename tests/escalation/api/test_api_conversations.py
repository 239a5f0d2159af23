from typing import Any

import pytest

from escalation.models import Conversation, Customer
from tests.conftest import BotClient

BODY: dict[str, Any] = {
    "external_id": "conv-42",
    "channel": "web",
    "customer": {
        "external_id": "cust-9",
        "name": "Ana Gomez",
        "email": "ana@example.com",
        "phone": "+34 600 000 000",
        "verified": True,
        "verification_method": "otp",
        "verified_at": "2026-11-29T10:00:00Z",
    },
    "callback_url": "https://bot.example.com/hooks",
}


def test_creates_a_conversation_with_its_verified_customer(bot_client: BotClient) -> None:
    response = bot_client.post("/conversations", BODY)

    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "ai"
    assert data["external_id"] == "conv-42"
    assert data["callback_url"] == "https://bot.example.com/hooks"
    assert data["customer"]["verified"] is True
    assert data["customer"]["verification_method"] == "otp"
    assert data["customer"]["verified_at"].startswith("2026-11-29T10:00:00")
    assert data["handoff"] is None
    conversation = Conversation.objects.get(pk=data["id"])
    assert conversation.bot == bot_client.bot
    assert conversation.customer.phone == "+34 600 000 000"


def test_retry_answers_the_same_and_stores_one_row(bot_client: BotClient) -> None:
    first = bot_client.post("/conversations", BODY)
    second = bot_client.post("/conversations", BODY)

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert Conversation.objects.count() == 1
    assert Customer.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"channel": "email"},
        {"callback_url": "https://other.example.com/hooks"},
        {"customer": BODY["customer"] | {"external_id": "cust-10"}},
    ],
    ids=["channel", "callback_url", "customer"],
)
def test_a_retry_for_another_conversation_is_an_idempotency_conflict(
    bot_client: BotClient, change: dict[str, Any]
) -> None:
    bot_client.post("/conversations", BODY)

    response = bot_client.post("/conversations", BODY | change)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_conflict"
    conversation = Conversation.objects.get()
    assert (conversation.channel, conversation.customer.external_id) == ("web", "cust-9")
    assert Customer.objects.count() == 1


def test_same_external_id_for_two_bots_is_two_conversations(
    bot_client: BotClient, other_bot_client: BotClient
) -> None:
    assert bot_client.post("/conversations", BODY).status_code == 201
    assert other_bot_client.post("/conversations", BODY).status_code == 201
    assert Conversation.objects.count() == 2


def test_customer_can_be_unverified(bot_client: BotClient) -> None:
    body = BODY | {"customer": {"external_id": "anon-1"}}
    data = bot_client.post("/conversations", body).json()
    assert data["customer"]["verified"] is False
    assert data["customer"]["verified_at"] is None


def test_missing_customer_is_422_with_a_message(bot_client: BotClient) -> None:
    response = bot_client.post("/conversations", {"external_id": "x"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "customer" in error["message"]
    assert Conversation.objects.count() == 0


def test_wrong_types_are_422(bot_client: BotClient) -> None:
    response = bot_client.post("/conversations", BODY | {"external_id": {"a": 1}})
    assert response.status_code == 422
    assert "external_id" in response.json()["error"]["message"]


def test_bad_email_and_callback_are_422(bot_client: BotClient) -> None:
    body = BODY | {"customer": BODY["customer"] | {"email": "not-an-email"}}
    assert bot_client.post("/conversations", body).status_code == 422
    assert bot_client.post("/conversations", BODY | {"callback_url": "ftp://x"}).status_code == 422


def test_a_verification_time_past_the_last_utc_year_is_422(bot_client: BotClient) -> None:
    """In UTC this moment is in the year 10000, past what a datetime can hold."""
    customer = BODY["customer"] | {"verified_at": "9999-12-31T23:59:59-23:59"}

    response = bot_client.post("/conversations", BODY | {"customer": customer})

    assert response.status_code == 422
    assert "9998" in response.json()["error"]["message"]
    assert not Conversation.objects.exists()
    assert not Customer.objects.exists()


@pytest.mark.parametrize("verified", [0, 1, "true"])
def test_verified_must_be_a_json_boolean(bot_client: BotClient, verified: object) -> None:
    customer = BODY["customer"] | {"verified": verified}

    response = bot_client.post("/conversations", BODY | {"customer": customer})

    assert response.status_code == 422
    assert "customer.verified" in response.json()["error"]["message"]
    assert not Customer.objects.exists()


def test_a_verification_time_without_its_offset_is_422(bot_client: BotClient) -> None:
    customer = BODY["customer"] | {"verified_at": "2026-11-29T10:00:00"}

    response = bot_client.post("/conversations", BODY | {"customer": customer})

    assert response.status_code == 422
    assert "offset" in response.json()["error"]["message"]


def test_malformed_json_is_400(bot_client: BotClient) -> None:
    response = bot_client.post("/conversations", '{"external_id": ')
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


def test_a_json_array_is_400(bot_client: BotClient) -> None:
    response = bot_client.post("/conversations", "[1, 2]")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


def test_nul_bytes_are_refused(bot_client: BotClient) -> None:
    response = bot_client.post("/conversations", BODY | {"external_id": "a\u0000b"})
    assert response.status_code == 422
    assert "NUL" in response.json()["error"]["message"]
